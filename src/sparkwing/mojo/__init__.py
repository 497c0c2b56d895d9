"""Score H2O MOJO models in pure Python/NumPy, with the same numbers as h2o-genmodel.

No JVM, no pyspark/py4j/h2o: NumPy only (pandas optional, for DataFrame in/out)::

    >>> from sparkwing import mojo
    >>> model = mojo.load("model.zip")                       # doctest: +SKIP
    >>> model.predict([{"AGE": 65, "RACE": "1", "PSA": 1.4}])  # doctest: +SKIP
"""

from sparkwing.mojo._container import Limits
from sparkwing.mojo._model import Feature, ModelInfo, MojoModel, class_column, load
from sparkwing.mojo._rows import EncodedRows, RowWarning
from sparkwing.mojo._tools import inspect_text, predict_csv

__all__ = [
    "EncodedRows",
    "Feature",
    "Limits",
    "ModelInfo",
    "MojoModel",
    "RowWarning",
    "class_column",
    "inspect_text",
    "load",
    "predict_csv",
]
