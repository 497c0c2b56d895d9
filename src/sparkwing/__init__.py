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

from typing import Any

from sparkwing.errors import CheckFailed, ConfigError, SparkwingError

__version__ = "0.1.0"

# The API names and the package that defines them (sparkwing.api), imported on first use.
_LAZY = (
    "Kinds LearnedFeatures Models Pipeline TrainedModel Workspace check checks fit h2o learn_features "
    "models predict prepare publish read spark steps table tables"
).split()

__all__ = ["CheckFailed", "ConfigError", "SparkwingError", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'sparkwing' has no attribute {name!r}")
    # importlib, not an import statement: lower layers import this package (for __version__)
    # and must not reach the API layer above them through it.
    import importlib

    value = getattr(importlib.import_module("sparkwing.api"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
