"""sparkwing: raw data-lake files to models in production.

``import sparkwing as sw`` gives the Python API (see docs/python.md): every pipeline-spec
section as a call, loaded on first use so that ``import sparkwing`` stays light (no pyspark,
no py4j; ``sw.Workspace`` and ``sw.models`` start no JVM either)::

    ws = sw.Workspace("./sparkwing-home")
    raw = sw.read("data/loan.csv", workspace=ws)
    clean = sw.prepare(raw.df, [sw.steps.cast(int_rate="double")])
    sw.check(clean, [sw.checks.not_null("bad_loan")])
    sw.publish(clean, "credit.loans_clean", workspace=ws)
    model = sw.fit("credit.loans_clean", target="bad_loan", automl={"max_models": 3, "seed": 42},
                     workspace=ws, register="loan_default")
    sw.models(ws).promote("loan_default", model.version.version, alias="production")
"""

from sparkwing._lazy import lazy_attributes as _lazy_attributes
from sparkwing.errors import CheckFailed, ConfigError, SparkwingError

__version__ = "0.1.0"

# The API names and the package that defines them (sparkwing.api), imported on first use.
_LAZY = (
    "Kinds LearnedFeatures Models Pipeline TrainedModel Workspace check checks fit h2o learn_features "
    "models predict prepare publish read spark steps table tables"
).split()

__all__ = ["CheckFailed", "ConfigError", "SparkwingError", "__version__", *_LAZY]


# The API layer is imported on first use; lower layers import this package (for __version__)
# and must not reach the API layer above them through it.
__getattr__, __dir__ = _lazy_attributes(__name__, globals(), dict.fromkeys(_LAZY, "sparkwing.api"))
