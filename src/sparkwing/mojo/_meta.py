"""What every MOJO shares: versions, columns, domains, response, threshold (mojo-format §1.3).

    >>> meta = read_meta(open_mojo("gbm.zip"))     # doctest: +SKIP
    >>> meta.category, meta.n_features              # doctest: +SKIP
    ('Binomial', 7)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sparkwing.errors import MojoError
from sparkwing.mojo._container import MojoReader, split_lines, unescape_level
from sparkwing.mojo._ini import parse_float

#: mojo_version range each algorithm reader supports (inclusive), keyed by ``algo``.
SUPPORTED_VERSIONS: dict[str, tuple[float, float]] = {
    "gbm": (1.20, 1.40),
    "drf": (1.20, 1.40),
    "isolationforest": (1.20, 1.40),
    "glm": (1.00, 1.00),
    "xgboost": (1.00, 1.10),
    "stackedensemble": (1.00, 1.01),
    "kmeans": (1.00, 1.00),
    "glrm": (1.00, 1.10),
    "deeplearning": (1.00, 1.10),
}

ALGORITHMS: dict[str, str] = {
    "Gradient Boosting Machine": "gbm",
    "Gradient Boosting Method": "gbm",
    "Distributed Random Forest": "drf",
    "Isolation Forest": "isolationforest",
    "Generalized Linear Modeling": "glm",
    "Generalized Linear Model": "glm",
    "XGBoost": "xgboost",
    "Stacked Ensemble": "stackedensemble",
    "StackedEnsemble": "stackedensemble",
    "K-means": "kmeans",
    "Generalized Low Rank Modeling": "glrm",
    "Generalized Low Rank Model": "glrm",
    "Deep Learning": "deeplearning",
    "deep learning": "deeplearning",
}


@dataclass
class Meta:
    """The common ``[info]`` keys plus columns and domains of one (sub-)model."""

    algo: str
    algorithm: str
    category: str
    h2o_version: str
    mojo_version: str
    uuid: str
    supervised: bool
    n_features: int
    n_classes: int
    columns: list[str]
    domains: list[list[str] | None]
    default_threshold: float
    prior_class_distrib: np.ndarray | None
    model_class_distrib: np.ndarray | None
    balance_classes: bool

    @property
    def feature_names(self) -> list[str]:
        return self.columns[: self.n_features]

    @property
    def feature_domains(self) -> list[list[str] | None]:
        return self.domains[: self.n_features]

    @property
    def domain_sizes(self) -> list[int]:
        return [len(d) if d is not None else 0 for d in self.feature_domains]

    @property
    def response(self) -> str | None:
        return self.columns[-1] if self.supervised and self.columns else None

    @property
    def response_domain(self) -> list[str] | None:
        return self.domains[-1] if self.supervised and self.domains else None


def _read_domain(reader: MojoReader, col: int, n: int, fname: str, escaped: bool) -> list[str]:
    if "/" in fname or "\\" in fname or fname.startswith("."):
        raise MojoError(f"model.ini names a bad domain file {fname!r}", hint="corrupt MOJO")
    lines = split_lines(reader.read_text("domains/" + fname))
    if len(lines) != n:
        raise MojoError(
            f"domain file {fname} of column {col} has {len(lines)} levels, model.ini says {n}",
            hint="the MOJO is corrupt",
        )
    return [unescape_level(s) for s in lines] if escaped else lines


def read_meta(reader: MojoReader) -> Meta:
    ini = reader.ini
    algorithm = ini.get_str("algorithm")
    algo = ALGORITHMS.get(algorithm)
    if algo is None:
        raise MojoError(
            f"unsupported MOJO algorithm {algorithm!r}",
            hint="sparkwing.mojo scores GBM, DRF/XRT, Isolation Forest, GLM, XGBoost, "
            "Stacked Ensemble, K-means, GLRM and Deep Learning",
        )
    version = ini.get_str("mojo_version")
    v = parse_float("mojo_version", version)
    lo, hi = SUPPORTED_VERSIONS[algo]
    if not (lo - 1e-9 <= v <= hi + 1e-9):
        raise MojoError(
            f"unsupported mojo_version {version} for {algorithm}",
            hint=f"sparkwing.mojo reads {algorithm} MOJOs of version {lo:.2f} to {hi:.2f}",
        )
    endianness = ini.get_str("endianness", "LITTLE_ENDIAN")
    if endianness != "LITTLE_ENDIAN":
        raise MojoError(f"unsupported MOJO endianness {endianness}", hint="only LITTLE_ENDIAN MOJOs")
    n_columns = len(ini.columns)
    n_features = ini.get_int("n_features", lo=0, hi=n_columns)
    n_classes = ini.get_int("n_classes", lo=1, hi=1_000_000)
    supervised = ini.get_bool("supervised")
    if supervised and n_features >= n_columns:
        raise MojoError("supervised MOJO has no response column", hint="corrupt MOJO")
    escaped = ini.get_bool("escape_domain_values", False)
    domains: list[list[str] | None] = [None] * n_columns
    for col, (n, fname) in sorted(ini.domain_files.items()):
        domains[col] = _read_domain(reader, col, n, fname, escaped)
    threshold = ini.get_float("default_threshold", 0.5)
    category = ini.get_str("category")
    if supervised and category in ("Binomial", "Multinomial", "Ordinal"):
        dom = domains[-1]
        if dom is None or len(dom) != n_classes:
            raise MojoError(
                f"{category} MOJO: response domain does not have n_classes={n_classes} levels",
                hint="corrupt MOJO",
            )
    prior = ini.get_floats("prior_class_distrib", None)
    model_dist = ini.get_floats("model_class_distrib", None)
    for name, arr in (("prior_class_distrib", prior), ("model_class_distrib", model_dist)):
        if arr is not None and len(arr) != n_classes:
            raise MojoError(f"model.ini {name} has {len(arr)} values, expected {n_classes}")
    if math.isnan(threshold):
        threshold = 0.5
    return Meta(
        algo=algo,
        algorithm=algorithm,
        category=category,
        h2o_version=ini.get_str("h2o_version", "unknown"),
        mojo_version=version,
        uuid=ini.get_str("uuid", ""),
        supervised=supervised,
        n_features=n_features,
        n_classes=n_classes,
        columns=list(ini.columns),
        domains=domains,
        default_threshold=threshold,
        prior_class_distrib=None if prior is None else np.array(prior),
        model_class_distrib=None if model_dist is None else np.array(model_dist),
        balance_classes=ini.get_bool("balance_classes", False),
    )


def check_encoding(reader: MojoReader) -> None:
    """Only raw level indices (AUTO / Enum / SortByResponse) are supported."""
    enc = reader.ini.get_str("_genmodel_encoding", "AUTO")
    if enc not in ("AUTO", "Enum", "SortByResponse"):
        raise MojoError(
            f"unsupported categorical encoding {enc}",
            hint="re-train with categorical_encoding='AUTO' (or 'Enum')",
        )
