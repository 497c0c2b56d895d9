"""``load()`` and :class:`MojoModel`: the public face of the scorers.

    >>> model = load("gbm.zip")                                   # doctest: +SKIP
    >>> model.predict({"AGE": 65, "RACE": "1", "PSA": "1.4"})     # doctest: +SKIP
      predict        p0        p1
    0       0  0.812...  0.187...
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from sparkwing.errors import MojoError, ScoringError
from sparkwing.mojo._container import DEFAULT_LIMITS, Limits, MojoReader, open_mojo
from sparkwing.mojo._meta import Meta, read_meta
from sparkwing.mojo._rows import EncodedRows, RowEncoder, RowWarning

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


class Scorer(Protocol):
    def score(self, x: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class Feature:
    """One input feature: ``type`` is ``"numeric"`` or ``"categorical"`` (with its ``domain``)."""

    name: str
    type: str
    domain: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ModelInfo:
    """What a MOJO says about itself."""

    algorithm: str  # short name: gbm, drf, glm, xgboost, stackedensemble, ...
    algorithm_full_name: str
    category: str  # Binomial, Multinomial, Ordinal, Regression, Clustering, ...
    h2o_version: str
    mojo_version: str
    uuid: str
    features: tuple[Feature, ...]
    response: str | None
    classes: tuple[str, ...] | None
    default_threshold: float | None
    output_names: tuple[str, ...]
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]


def class_column(level: str) -> str:
    """The probability column of a class, as H2O names it: ``"1"`` -> ``p1``, ``"yes"`` -> ``yes``.

    H2O prefixes number-looking class names with ``p`` so that they are valid names; MOJO,
    genmodel (Java), REST and Spark scoring all use this name.
    """
    return "p" + level if _NUMBER.match(level) else level


def _output_names(meta: Meta, scorer: Any) -> list[str]:
    cat = meta.category
    if cat in ("Binomial", "Multinomial", "Ordinal"):
        classes = [class_column(c) for c in meta.response_domain or []]
        names = ["predict", *classes]
        if getattr(scorer, "calibration", None) is not None:
            names += ["cal_" + c for c in classes]
        return names
    if cat == "Regression":
        return ["predict"]
    if cat == "Clustering":
        return ["cluster"]
    if cat == "AnomalyDetection":
        return (
            ["predict", "score", "mean_length"]
            if getattr(scorer, "flag", False)
            else ["predict", "mean_length"]
        )
    if cat == "DimReduction":
        return [f"Arch{i + 1}" for i in range(scorer.k)]
    raise MojoError(f"unsupported model category {cat}")


def build_scorer(reader: MojoReader, meta: Meta) -> Any:
    """The algorithm-specific scorer of a (sub-)model."""
    if meta.algo in ("gbm", "drf", "isolationforest"):
        from sparkwing.mojo._shared_tree import TreeScorer

        return TreeScorer(reader, meta)
    if meta.algo == "glm":
        from sparkwing.mojo._glm import GlmScorer

        return GlmScorer(reader, meta)
    if meta.algo == "xgboost":
        from sparkwing.mojo._xgboost import XGBoostScorer

        return XGBoostScorer(reader, meta)
    if meta.algo == "stackedensemble":
        from sparkwing.mojo._ensemble import EnsembleScorer

        return EnsembleScorer(reader, meta)
    if meta.algo == "kmeans":
        from sparkwing.mojo._kmeans import KMeansScorer

        return KMeansScorer(reader, meta)
    if meta.algo == "glrm":
        from sparkwing.mojo._glrm import GlrmScorer

        return GlrmScorer(reader, meta)
    if meta.algo == "deeplearning":
        from sparkwing.mojo._deeplearning import DeepLearningScorer

        return DeepLearningScorer(reader, meta)
    raise MojoError(f"unsupported MOJO algorithm {meta.algorithm!r}")  # pragma: no cover


def load_submodel(reader: MojoReader) -> tuple[Meta, Any]:
    meta = read_meta(reader)
    try:
        scorer = build_scorer(reader, meta)
    except MojoError:
        raise
    except (ValueError, IndexError, KeyError, TypeError, OverflowError, MemoryError) as exc:
        # Anything a malformed file trips inside NumPy is still "a bad MOJO".
        raise MojoError(
            f"malformed {meta.algorithm} MOJO: {type(exc).__name__}: {str(exc)[:120]}",
            hint="the MOJO is corrupt",
        ) from exc
    return meta, scorer


class MojoModel:
    """A loaded MOJO: :meth:`predict` for records/DataFrames, :meth:`predict_numpy` for arrays."""

    def __init__(self, meta: Meta, scorer: Any, limits: Limits = DEFAULT_LIMITS) -> None:
        self._meta = meta
        self._scorer = scorer
        self._encoder = RowEncoder(meta.feature_names, meta.feature_domains)
        # Rows per scoring pass, so that the work arrays stay under the budget (trees x rows).
        row_bytes = max(8 * meta.n_features, int(getattr(scorer, "row_bytes", 0)))
        batch = int(getattr(scorer, "batch_rows", self.batch_rows))  # GLRM bounds its own arrays
        self._chunk_rows = max(1, min(batch, limits.max_batch_bytes // max(1, row_bytes)))
        names = _output_names(meta, scorer)
        features = tuple(
            Feature(n, "numeric" if d is None else "categorical", None if d is None else tuple(d))
            for n, d in zip(meta.feature_names, meta.feature_domains, strict=True)
        )
        classes = meta.response_domain if meta.category in ("Binomial", "Multinomial", "Ordinal") else None
        self.info = ModelInfo(
            algorithm=meta.algo,
            algorithm_full_name=meta.algorithm,
            category=meta.category,
            h2o_version=meta.h2o_version,
            mojo_version=meta.mojo_version,
            uuid=meta.uuid,
            features=features,
            response=meta.response,
            classes=None if classes is None else tuple(classes),
            default_threshold=meta.default_threshold if meta.category == "Binomial" else None,
            output_names=tuple(names),
            details=dict(getattr(scorer, "details", {})),
        )
        self._label_array = np.array(classes or [], dtype=object)
        # One row in plain floats (no NumPy arrays) where the scorer has that path.
        row_scorer = getattr(scorer, "row_scorer", None)
        self._row_scorer: Any = row_scorer() if row_scorer is not None else None
        self._names = self.info.output_names
        self._classes = self.info.classes

    def __repr__(self) -> str:
        i = self.info
        return f"<MojoModel {i.algorithm} {i.category} h2o={i.h2o_version} features={len(i.features)}>"

    def encode(self, data: Any) -> EncodedRows:
        """Rows in feature order (NaN = missing) and the per-row warnings of building them."""
        return self._encoder.encode(data)

    def predict_numpy(self, data: Any) -> np.ndarray:
        """Raw predictions as genmodel's ``predictRaw`` lays them out (label index, probs...).

        ``data`` is a 2-D float array in ``info.feature_names`` order (NaN = missing; level
        indices for categoricals), or anything :meth:`predict` accepts.
        """
        if isinstance(data, np.ndarray):
            x = np.asarray(data, dtype=np.float64)
            if x.ndim == 1:
                x = x.reshape(1, -1)
            if x.ndim != 2 or x.shape[1] != self._meta.n_features:
                raise MojoError(
                    f"expected a (rows, {self._meta.n_features}) array, got shape {data.shape}",
                    hint="columns must follow model.info.feature_names",
                )
        else:
            x = self._encoder.encode(data, collect=False).values
        return self.score_rows(x)

    #: rows scored per call of the algorithm scorer at most: bounds the (rows x trees) work arrays
    batch_rows = 16384

    def score_rows(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 1 and self._row_scorer is not None:  # one row: plain floats, the same values
            return np.array([self._row_scorer(np.asarray(x, dtype=np.float64)[0].tolist())])
        x = np.ascontiguousarray(x, dtype=np.float64)
        step = self._chunk_rows
        try:
            # NaN/overflow are expected values here (missing inputs, exp of large margins).
            with np.errstate(all="ignore"):
                if len(x) <= step:
                    return self._scorer.score(x)
                parts = [self._scorer.score(x[i : i + step]) for i in range(0, len(x), step)]
                return np.vstack(parts)
        except MemoryError:
            raise ScoringError(f"not enough memory to score {len(x):,} rows with this model",
                               hint="score fewer rows at a time") from None

    def predict(self, data: Any, *, warnings: list[RowWarning] | None = None) -> Any:
        """Score records (a pandas DataFrame, a list of dicts or one dict) into a DataFrame.

        Unknown levels and unparseable numbers are scored as NA; pass a list as ``warnings``
        to receive one :class:`RowWarning` per replaced value.
        """
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - pandas is optional
            raise MojoError(
                "predict() needs pandas", hint="pip install pandas, or use predict_numpy()"
            ) from exc
        enc = self._encoder.encode(data, collect=warnings is not None)
        if warnings is not None:
            warnings.extend(enc.warnings)
        raw = self.score_rows(enc.values)
        return self.to_frame(raw, pd)

    def to_frame(self, raw: np.ndarray, pd: Any) -> Any:
        # A dict in column order, no reindexing and no copies: the cheapest DataFrame pandas builds.
        cols = {name: raw[:, j] for j, name in enumerate(self.info.output_names)}
        if self.info.classes is not None:
            cols["predict"] = self._labels(raw[:, 0])
        return pd.DataFrame(cols, copy=False)

    def _labels(self, idx: np.ndarray) -> np.ndarray:
        """Class labels (object array; ``None`` where the index is NaN)."""
        labels = self._label_array
        nan = np.isnan(idx)
        safe = np.clip(np.where(nan, 0, idx).astype(np.int64), 0, len(labels) - 1)
        out = labels[safe]
        if nan.any():
            out[nan] = None
        return out

    def warm_up(self) -> None:
        """Do now the set-up the one-row path does on its first call (compiling a GBM/DRF/Isolation
        Forest's trees: ~50-150 ms for 100 trees of depth 6; their batch decision table), so that
        no request pays it."""
        forest = getattr(self._scorer, "forest", None)
        if forest is not None:
            forest.prepare_rows()

    def predict_row(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Score one record into a plain dict ``{output name: value}`` -- the online call.

        The same values as one row of :meth:`predict` (the class label as its text, floats as
        ``float``), without pandas: for request/response services scoring one row at a time.
        Unknown levels and unparseable numbers are scored as NA, as in :meth:`predict`.

            >>> model.predict_row({"AGE": 65, "RACE": "1", "PSA": "1.4"})  # doctest: +SKIP
            {'predict': '0', 'p0': 0.812..., 'p1': 0.187...}
        """
        if type(record) is not dict and not isinstance(record, Mapping):  # the ABC check costs more
            raise MojoError(
                f"predict_row() takes one mapping of column -> value, not a {type(record).__name__}",
                hint="use predict() for many rows",
            )
        row = self._score_one(self._encoder.encode_row(record))
        out: dict[str, Any] = dict(zip(self._names, row, strict=False))  # regression: 1 of 2 columns
        if self._classes is not None:
            out["predict"] = self.label(row[0])
        return out

    def score_record(
        self, record: Mapping[str, Any], warnings: list[RowWarning] | None = None
    ) -> list[float]:
        """One record's raw predictions (:meth:`predict_numpy`'s layout) as a list of floats, by the
        online path of :meth:`predict_row`; a :class:`RowWarning` (row 0) per value replaced by NA
        is appended to ``warnings`` when given (in the record's key order)."""
        return self._score_one(self._encoder.encode_row(record, 0, warnings))

    def _score_one(self, row: list[float]) -> list[float]:
        """One encoded row (feature order; it may be modified) scored as :meth:`score_rows` would."""
        fast = self._row_scorer
        if fast is not None:
            return fast(row)  # type: ignore[no-any-return]
        # score_rows without its batch machinery: one row is contiguous and never chunked.
        with np.errstate(all="ignore"):
            return self._scorer.score(np.array([row], dtype=np.float64))[0].tolist()  # type: ignore[no-any-return]

    def label(self, idx: float) -> str | None:
        """The class label of a raw label index (``predict_numpy``'s first column); None for NA."""
        classes = self._classes
        if classes is None or not math.isfinite(idx):
            return None
        return classes[min(max(int(idx), 0), len(classes) - 1)]


def load(source: Any, *, limits: Limits = DEFAULT_LIMITS) -> MojoModel:
    """Load a MOJO from a path (zip or folder), ``bytes`` or a binary file object."""
    reader = open_mojo(source, limits)
    try:
        meta, scorer = load_submodel(reader)
    finally:
        reader.close()
    return MojoModel(meta, scorer, limits)
