"""The pipeline spec: pydantic models of the YAML file, and its loader.

Sections: ``sources`` → ``datasets`` → ``features`` → ``tables`` → ``models`` → ``scores``, plus
``schedule``.  Each entry names what it is built ``from``; those references make the step graph.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, InitErrorDetails, PydanticCustomError

from sparkwing.config._formats import (
    OutputFormat,
    SourceFormat,
    SourceFormatName,
    TableFormat,
    canonical_format,
    format_for_path,
)
from sparkwing.config._h2o_params import automl_algo, check_params, check_value, declared
from sparkwing.config._names import NameKind, check_name
from sparkwing.config._params import ParamSpec, resolve_params, substitute
from sparkwing.config._reference import REFERENCE_PATTERN, ModelRef
from sparkwing.config._schedule import ScheduleSpec
from sparkwing.config._steps import CHECK_KINDS, STEP_KINDS, Kind
from sparkwing.config._yaml import MAX_SPEC_BYTES, line_for, load_with_lines
from sparkwing.errors import ConfigError, InvalidName, Problem, RegistryError


def _named(value: Any, kind: NameKind) -> str:
    """``value`` if it is a valid ``kind`` name, else a ``ValueError`` (pydantic's) saying why."""
    try:
        return check_name(value, kind)
    except InvalidName as exc:
        raise ValueError(exc.message) from None


def _table_key(key: str) -> str:
    """``db.table`` (or a bare table name): each part a valid name."""
    db, dot, table = key.rpartition(".") if isinstance(key, str) else ("", "", key)
    if dot:
        _named(db, "database")
    _named(table, "table")
    return key


class _Spec(BaseModel):
    # defer_build: each model's validator is built on its first use, so a command (or a service)
    # that never reads a pipeline spec does not pay for building them all at import.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


def _one_key(value: Any, allowed: Mapping[str, Kind], what: str, extra: frozenset[str] = frozenset()) -> Kind:
    if not isinstance(value, dict):
        raise ValueError(f"a {what} is a one-key mapping like '- {next(iter(allowed))}: ...'")
    keys = [k for k in value if k not in extra]
    if len(keys) != 1:
        raise ValueError(f"a {what} needs exactly one of {sorted(allowed)}; got {sorted(keys)}")
    key = keys[0]
    if key not in allowed:
        raise ValueError(f"unknown {what} {key!r}; known: {', '.join(sorted(allowed))}")
    return allowed[key]


def _params(kind: Kind, raw: Any) -> Any:
    try:
        return kind.validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        sub = ".".join(str(p) for p in first["loc"] if p != "root")
        message = first["msg"]
        if first["type"] == "extra_forbidden" and isinstance(kind.params, type) and len(first["loc"]) == 1:
            message = "unknown field" + _suggest(str(first["loc"][0]), kind.params)
        raise ValueError(f"{kind.name}{'.' + sub if sub else ''}: {message}") from None


Loc = tuple[str | int, ...]


def _raise_at(title: str, problems: list[tuple[Loc, str, Any]]) -> None:
    """Raise one validation error per problem, each at its own location (so at its own YAML line)."""
    if problems:
        errors = [
            InitErrorDetails(type=PydanticCustomError("spec_param", "{message}", {"message": message}),
                             loc=loc, input=value)
            for loc, message, value in problems
        ]  # fmt: skip
        raise ValidationError.from_exception_data(title, errors)


def _one_key_schema(
    kinds: Mapping[str, Kind], handler: GetJsonSchemaHandler, what: str, extra: dict[str, Any] | None = None
) -> JsonSchemaValue:
    """The JSON Schema of a list item as written in YAML: one of ``{<kind>: <params>}``."""
    variants = []
    for kind in kinds.values():
        variants.append({
            "type": "object",
            "title": kind.name,
            "description": kind.summary,
            "properties": {kind.name: handler(kind.adapter.core_schema), **(extra or {})},
            "required": [kind.name],
            "additionalProperties": False,
        })  # fmt: skip
    return {"description": f"One {what}, a one-key mapping: {', '.join(kinds)}.", "oneOf": variants}


GLRM_MOVED = (
    "glrm is no longer a prep step; declare learned features instead: "
    "features: {NAME: {from: DATASET, glrm: {k: 3, columns: [...]}}}, "
    "and build the next dataset (or table, or model) from: NAME"
)


class Step(_Spec):
    """One prep step, written ``- <kind>: <params>``."""

    kind: str = Field(description="The step kind, a key of STEP_KINDS.")
    params: Any = Field(None, description="The kind's validated parameters.")

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, value: Any) -> Any:
        if isinstance(value, dict) and "kind" in value:
            return value
        if isinstance(value, dict) and "glrm" in value:
            raise ValueError(GLRM_MOVED)
        kind = _one_key(value, STEP_KINDS, "step")
        return {"kind": kind.name, "params": _params(kind, value[kind.name])}

    @classmethod
    def __get_pydantic_json_schema__(cls, _: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return _one_key_schema(STEP_KINDS, handler, "prep step")

    @property
    def references(self) -> list[str]:
        return [self.params.with_] if self.kind == "join" else []


_SEVERITY: dict[str, Any] = {
    "enum": ["error", "warn"],
    "default": "error",
    "description": "error stops the run before anything downstream is published; warn only records.",
}


class Check(_Spec):
    """One quality check, ``- not_null: [a, b]``, optionally with ``severity: warn``."""

    kind: str = Field(description="The check kind, a key of CHECK_KINDS.")
    params: Any = Field(None, description="The kind's validated parameters.")
    severity: Literal["error", "warn"] = Field("error", description=_SEVERITY["description"])

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, value: Any) -> Any:
        if isinstance(value, dict) and "kind" in value:
            return value
        kind = _one_key(value, CHECK_KINDS, "check", extra=frozenset({"severity"}))
        out = {"kind": kind.name, "params": _params(kind, value[kind.name])}
        if "severity" in value:
            out["severity"] = value["severity"]
        return out

    @classmethod
    def __get_pydantic_json_schema__(cls, _: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return _one_key_schema(CHECK_KINDS, handler, "quality check", {"severity": _SEVERITY})


class ColumnSpec(_Spec):
    """One declared column in the long form: ``{type: date, format: M/d/yy}``."""

    type: str = Field(description="Column type: int, bigint, double, string, boolean, date, timestamp, ...")
    format: str | None = Field(None, description="date/timestamp: Spark datetime pattern, e.g. M/d/yy.")

    @model_validator(mode="after")
    def _format_for_times(self) -> ColumnSpec:
        if self.format and self.type.strip().lower() not in ("date", "timestamp", "datetime"):
            raise ValueError(f"format applies to date and timestamp columns, not {self.type!r}")
        return self


class SourceSpec(_Spec):
    """A raw input in the lake."""

    uri: str = Field(description="Local path, file://, s3:// or s3a:// URI; a directory or glob.")
    format: SourceFormatName | None = Field(None, description="Inferred from the extension if absent.")
    header: bool = Field(True, description="CSV/TSV: first line holds column names.")
    delimiter: str | None = Field(None, description="CSV: ',' by default, TSV: tab.")
    quote: str = Field('"', description="CSV/TSV: quote character.")
    escape: str = Field('"', description="CSV/TSV: escape character inside quotes.")
    null_values: list[str] = Field(default_factory=lambda: ["", "NA"], description="Cells read as null.")
    encoding: str = Field("UTF-8", description="Text formats: character encoding of the files.")
    columns: dict[str, str | ColumnSpec] | None = Field(
        None,
        description="Expected columns: {name: type} or {name: {type, format}}; they project the data "
        "and cells that do not cast are quarantined.",
    )
    date_format: str | None = Field(
        None, description="CSV/TSV: Spark datetime pattern of dates, e.g. M/d/yy (default yyyy-MM-dd)."
    )
    timestamp_format: str | None = Field(
        None, description="CSV/TSV: Spark datetime pattern of timestamps, e.g. M/d/yy H:mm."
    )
    feature_prefix: str = Field("f", description="SVMLight: feature column prefix (f1..fn).")
    label_column: str = Field("label", description="SVMLight: name of the label column.")
    n_features: int | None = Field(None, ge=1, description="SVMLight: feature count (inferred).")
    zero_based: bool | Literal["auto"] = Field(
        False,
        description="SVMLight: feature indices start at 0 (false: at 1, the libsvm convention; "
        "auto: zero-based only if most rows hold index 0, recorded in the run).",
    )
    layout: Literal["dense", "vector"] = Field(
        "dense",
        description="SVMLight: dense: columns label, f1..fn; vector: label, features (one Spark ML "
        "sparse vector a row, as spark.read.format('libsvm') gives).",
    )
    allow_single_quotes: bool = Field(False, description="JSON: accept 'single-quoted' strings.")
    allow_nan: bool = Field(False, description="JSON: accept NaN, Infinity and -Infinity.")
    max_quarantine_share: float | None = Field(
        None, ge=0, le=1, description="Overrides lake.max_quarantine_share for this source."
    )
    incremental: bool = Field(
        False,
        description="Read only the files no earlier successful run consumed (new or changed); a run with "
        "none skips this source and its downstream steps.",
    )

    @property
    def column_types(self) -> dict[str, str]:
        """Declared column name -> type name, as written (both forms of ``columns``)."""
        return {c: (v if isinstance(v, str) else v.type) for c, v in (self.columns or {}).items()}

    @property
    def column_formats(self) -> dict[str, str]:
        """Declared date/timestamp columns -> their pattern (the column's own, else the source's)."""
        out: dict[str, str] = {}
        for c, v in (self.columns or {}).items():
            kind = (v if isinstance(v, str) else v.type).strip().lower()
            own = None if isinstance(v, str) else v.format
            if kind == "date" and (own or self.date_format):
                out[c] = own or self.date_format  # type: ignore[assignment]
            elif kind in ("timestamp", "datetime") and (own or self.timestamp_format):
                out[c] = own or self.timestamp_format  # type: ignore[assignment]
        return out

    @property
    def resolved_format(self) -> SourceFormat:
        """The canonical format: ``format`` (an alias resolved) or the one the extension implies."""
        if self.format:
            return canonical_format(self.format)
        fmt = format_for_path(self.uri)
        if fmt is None:
            raise ValueError(f"cannot infer the format of {self.uri!r}; set 'format'")
        return fmt

    @model_validator(mode="after")
    def _format_known(self) -> SourceSpec:
        self.resolved_format  # noqa: B018 - raises a ValueError with the fix
        return self

    @model_validator(mode="after")
    def _columns_distinct(self) -> SourceSpec:
        seen: dict[str, str] = {}
        for name in self.columns or {}:
            if name.lower() in seen:
                raise ValueError(
                    f"columns {seen[name.lower()]!r} and {name!r} differ only in case "
                    "(Spark column names are case-insensitive); keep one"
                )
            seen[name.lower()] = name
        return self


class DatasetSpec(_Spec):
    """A cleaned dataset: prep steps applied to a source, a dataset or a table, then checks."""

    from_: str = Field(alias="from", description="The source, dataset or table it starts from.")
    steps: list[Step] = Field(default_factory=list, description="Prep steps, applied in order.")
    checks: list[Check] = Field(
        default_factory=list, description="Quality checks on the result, all in one aggregate pass."
    )

    @property
    def references(self) -> list[str]:
        return [self.from_] + [r for s in self.steps for r in s.references]


class GlrmParams(_Spec):
    """H2O GLRM: ``k`` archetypes learned from the input columns; each row's projection on them
    (H2O's X factors) becomes the columns ``<prefix>1`` .. ``<prefix>k``."""

    k: int = Field(3, ge=1, description="Number of archetype features to add.")
    columns: list[str] | None = Field(None, description="Input columns; default all numeric/categorical.")
    prefix: str = Field("glrm_", description="Prefix of the added archetype columns.")
    seed: int = Field(42, description="Random seed of the GLRM fit.")
    max_iterations: int = Field(100, ge=1, description="Iteration limit of the GLRM fit.")


class FeaturesSpec(_Spec):
    """Learned features: a model fitted on a dataset and registered (card, MOJO) under this entry's
    name; its output is the input's rows with the learned columns added."""

    from_: str = Field(alias="from", description="The source, dataset or table it learns from and extends.")
    glrm: GlrmParams = Field(
        description="H2O GLRM archetype features: {k, columns, prefix, seed, max_iterations}."
    )

    @property
    def output_columns(self) -> list[str]:
        """The columns it adds, in order."""
        return [f"{self.glrm.prefix}{i + 1}" for i in range(self.glrm.k)]

    @property
    def references(self) -> list[str]:
        return [self.from_]


class TableSpec(_Spec):
    """A Hive table published from a dataset or source."""

    from_: str = Field(alias="from", description="The dataset or source it publishes.")
    format: TableFormat | None = Field(None, description="Storage; warehouse.default_format if absent.")
    partition_by: list[str] = Field(default_factory=list, description="Partition columns, in order.")
    keep_versions: int | None = Field(
        None, ge=1, description="Versions kept for rollback; overrides warehouse.keep_versions."
    )
    description: str | None = Field(None, description="Table comment in the metastore.")

    @property
    def references(self) -> list[str]:
        return [self.from_]


#: ``split: auto`` keeps a holdout only when it can mean something: at least this many rows ...
AUTO_HOLDOUT_MIN_ROWS = 10_000
#: ... and, for classification, at least this many rows of the rarest class (about 100 of them
#: in a 20 % holdout).  Otherwise it trains on every row and ranks and promotes on CV metrics.
AUTO_HOLDOUT_MIN_CLASS_ROWS = 500


#: Algorithms H2O 3.46 calibrates (``calibrate_model``), binary only.
CALIBRATABLE = ("gbm", "drf", "xgboost")


class SplitSpec(_Spec):
    """How training rows are split from the holdout rows that rank and promote models.

    Written as a mapping (``{ratio: 0.8, seed: 42, stratify: true}`` or ``{time_column, cutoff}``),
    or as ``none`` (train on every row; cross-validation metrics rank and promote) or ``auto``
    (the default: a holdout only for data large enough, see ``AUTO_HOLDOUT_MIN_ROWS``).
    """

    policy: Literal["ratio", "time", "none", "auto"] = Field(
        "ratio", description="Set from how split is written: a mapping is ratio (or time), or none/auto."
    )
    ratio: float = Field(0.8, gt=0, lt=1, description="Training share of a random split.")
    seed: int = Field(42, description="Seed of the random split.")
    stratify: bool | None = Field(
        None, description="Keep each class's share on both sides (default: true for classification)."
    )
    time_column: str | None = Field(None, description="Split on time: rows before cutoff train.")
    cutoff: str | None = Field(None, description="With time_column: rows from this value on are holdout.")

    @model_validator(mode="before")
    @classmethod
    def _word(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value not in ("none", "auto"):
                raise ValueError(f"split is none, auto or a mapping like {{ratio: 0.8}}; got {value!r}")
            return {"policy": value}
        return value

    @model_validator(mode="after")
    def _time(self) -> SplitSpec:
        if (self.time_column is None) != (self.cutoff is None):
            raise ValueError("time_column and cutoff go together")
        if self.time_column is not None:
            if self.stratify:
                raise ValueError("a time split cannot be stratified")
            if self.policy == "ratio":
                self.policy = "time"
        return self

    @classmethod
    def __get_pydantic_json_schema__(cls, core: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        mapping = handler.resolve_ref_schema(handler(core))
        props = {k: v for k, v in mapping.get("properties", {}).items() if k != "policy"}
        return {
            "description": cls.__doc__.split("\n")[0] if cls.__doc__ else "",
            "anyOf": [
                {"type": "string", "enum": ["none", "auto"],
                 "description": "none: train on every row (CV metrics); auto: a holdout for large data."},
                {"type": "object", "properties": props, "additionalProperties": False},
            ],
        }

    @property
    def holdout(self) -> bool | None:
        """True for a ratio/time split, False for none, None while ``auto`` is undecided."""
        return {"none": False, "auto": None}.get(self.policy, True)


class AutoMLSpec(_Spec):
    """H2O AutoML: a budget and which algorithms it may try."""

    max_models: int | None = Field(None, ge=1, description="Most models to train (stacked ensembles apart).")
    max_runtime_secs: float | None = Field(None, gt=0, description="Time budget for the whole search.")
    max_runtime_secs_per_model: float | None = Field(None, gt=0, description="Time budget for one model.")
    include: list[str] | None = Field(None, description="Only these algorithms, e.g. [GBM, XGBoost, GLM].")
    exclude: list[str] | None = Field(None, description="Every algorithm but these.")
    sort_metric: str | None = Field(None, description="Leaderboard metric; H2O picks one if absent.")
    nfolds: int | None = Field(None, ge=0, description="Cross-validation folds; 0 turns CV off.")
    seed: int | None = Field(None, description="Seed for reproducible runs (with max_models).")
    balance_classes: bool = Field(False, description="Over/under-sample classes to balance them.")

    @model_validator(mode="after")
    def _budget(self) -> AutoMLSpec:
        if self.max_models is None and self.max_runtime_secs is None:
            raise ValueError("set max_models or max_runtime_secs")
        if self.include and self.exclude:
            raise ValueError("use include or exclude, not both")
        problems: list[tuple[Loc, str, Any]] = []
        for field in ("include", "exclude"):
            for i, algo in enumerate(getattr(self, field) or []):
                if automl_algo(algo) is None:
                    message = check_value("enum", algo, declared("automl")["includeAlgos"]["values"])
                    problems.append(((field, i), f"unknown AutoML algorithm: {message}", algo))
        if self.sort_metric is not None:
            metric = declared("automl")["sortMetric"]
            message = check_value(metric["type"], self.sort_metric, metric["values"])
            if message:
                problems.append((("sort_metric",), message, self.sort_metric))
        _raise_at(type(self).__name__, problems)
        return self


class GridSpec(_Spec):
    """An H2O grid search over hyper-parameters of one algorithm."""

    hyper_params: dict[str, list[Any]] = Field(description="Parameter name to the values to try.")
    strategy: Literal["cartesian", "random"] = Field(
        "cartesian", description="Every combination, or a random sample of them."
    )
    max_models: int | None = Field(None, ge=1, description="Random strategy: most models to train.")
    max_runtime_secs: float | None = Field(None, gt=0, description="Random strategy: time budget.")
    seed: int | None = Field(None, description="Random strategy: seed of the sampling.")


class AlgorithmSpec(_Spec):
    """One H2O algorithm with fixed parameters, or a grid search over them."""

    name: Literal["xgboost", "gbm", "drf", "glm", "deeplearning"] = Field(description="The H2O algorithm.")
    params: dict[str, Any] = Field(default_factory=dict, description="H2O parameters, e.g. {ntrees: 100}.")
    grid: GridSpec | None = Field(None, description="Search these hyper-parameters instead of one fit.")

    @model_validator(mode="after")
    def _declared_params(self) -> AlgorithmSpec:
        """Names, types and enum values as Sparkling Water declares them (see config/_h2o_params)."""
        problems: list[tuple[Loc, str, Any]] = [
            (("params", key), message, value) for key, message, value in check_params(self.name, self.params)
        ]
        if self.grid is not None:
            problems += [
                (("grid", "hyper_params", key), message, value)
                for key, message, value in check_params(self.name, self.grid.hyper_params, grid=True)
            ]
        _raise_at(type(self).__name__, problems)
        return self



class PromoteSpec(_Spec):
    """When a new model version takes over an alias."""

    alias: str = Field("production", description="The registry alias to move to the new version.")

    @field_validator("alias")
    @classmethod
    def _alias(cls, v: str) -> str:
        return _named(v, "alias")
    metric: str = Field("auto", description="Holdout metric compared; auto picks one for the task.")
    min_improvement: float = Field(0.0, description="Promote only when the metric improves by this much.")


class ModelSpec(_Spec):
    """An H2O model trained from a table or dataset and registered as a new version."""

    from_: str = Field(alias="from", description="The table or dataset it trains on.")
    target: str = Field(description="The column to predict.")
    task: Literal["auto", "binary", "multiclass", "regression"] = Field(
        "auto", description="auto infers it from the target's type and values."
    )
    ignore: list[str] = Field(default_factory=list, description="Columns that are not features.")
    weight_column: str | None = Field(None, description="Column of row weights.")
    split: SplitSpec = Field(
        default_factory=lambda: SplitSpec(policy="auto"),
        description="How holdout rows are chosen: auto (default), none, {ratio, seed, stratify} "
        "or {time_column, cutoff}.",
    )
    holdout_from: str | None = Field(None, description="Separate leaderboard/holdout data.")
    automl: AutoMLSpec | None = Field(None, description="Train with H2O AutoML (or set algorithm).")
    algorithm: AlgorithmSpec | None = Field(None, description="Train one algorithm (or set automl).")
    promote: PromoteSpec | None = Field(None, description="Move an alias to a better new version.")
    calibrate: Literal["none", "platt", "isotonic"] = Field(
        "none",
        description="Binary gbm/drf/xgboost: H2O's own probability calibration, carried in the MOJO "
        "(platt never outputs 0 or 1).",
    )

    @model_validator(mode="after")
    def _one_engine(self) -> ModelSpec:
        if (self.automl is None) == (self.algorithm is None):
            raise ValueError("set exactly one of 'automl' or 'algorithm'")
        if self.split.policy == "none" and self.holdout_from:
            raise ValueError("split: none trains on every row; holdout_from gives a holdout: use one")
        if self.split.policy == "none" and self.automl is not None and self.automl.nfolds == 0:
            raise ValueError("split: none ranks models on cross-validation: automl.nfolds must be >= 2")
        if self.calibrate != "none":
            if self.automl is not None:
                raise ValueError("calibrate needs algorithm gbm, drf or xgboost: "
                                 "H2O 3.46's AutoML cannot calibrate its models")
            if self.algorithm is not None and self.algorithm.name not in CALIBRATABLE:
                raise ValueError(f"calibrate works for {', '.join(CALIBRATABLE)}, not {self.algorithm.name}")
        return self

    @property
    def references(self) -> list[str]:
        return [self.from_] + ([self.holdout_from] if self.holdout_from else [])


class DriftSpec(_Spec):
    """PSI thresholds for the drift of scored data against the model's training profile."""

    warn: float | None = Field(0.1, ge=0, description="PSI from which a column is reported as drifted.")
    fail: float | None = Field(
        None, ge=0, description="PSI from which the scores are not published (the step fails); none: never."
    )

    @model_validator(mode="after")
    def _ordered(self) -> DriftSpec:
        if self.warn is not None and self.fail is not None and self.warn > self.fail:
            raise ValueError(f"drift.warn ({self.warn}) is above drift.fail ({self.fail})")
        return self


#: How a Spark batch is scored: ``mojo`` (``sparkwing.mojo`` in the executors' Python workers, no
#: H2O classes) or ``h2o`` (Sparkling Water's ``H2OMOJOModel`` on the JVM); same numbers.
SparkScorer = Literal["mojo", "h2o"]


class ScoreSpec(_Spec):
    """Batch scoring of a table or dataset with a registered model version."""

    model: str = Field(
        description="Registered model: NAME (newest version), NAME@VERSION, NAME@latest or NAME@ALIAS.",
        json_schema_extra={"pattern": REFERENCE_PATTERN},  # validated by ModelRef.parse (clearer errors)
    )
    from_: str = Field(alias="from", description="The table or dataset to score.")
    output: str | None = Field(None, description="Write to this lake URI instead of a table.")
    format: OutputFormat | None = Field(
        None, description="Format of output (parquet if absent) or of the scores table (parquet or orc)."
    )
    allow_missing: bool = Field(False, description="Score missing feature columns as NA.")
    scorer: SparkScorer = Field(
        "mojo", description="mojo (sparkwing.mojo on the executors, no H2O jar) or h2o (Sparkling Water's "
        "H2OMOJOModel); the same numbers.")
    drift: DriftSpec = Field(
        default_factory=DriftSpec, description="PSI thresholds {warn, fail}; over fail nothing is published."
    )

    @field_validator("model")
    @classmethod
    def _reference(cls, v: str) -> str:
        try:
            ModelRef.parse(v)
        except (RegistryError, InvalidName) as exc:
            raise ValueError(exc.message) from None
        return v

    @property
    def model_ref(self) -> ModelRef:
        """``model`` parsed (a bare name means the newest version)."""
        return ModelRef.parse(self.model)

    @property
    def model_name(self) -> str:
        return self.model_ref.name

    @property
    def references(self) -> list[str]:
        return [self.from_, self.model_name]


class PipelineSpec(_Spec):
    """A pipeline: sources -> datasets -> features -> tables -> models -> scores, linked by ``from:``."""

    model_config = ConfigDict(json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"})

    name: str = Field(description="Pipeline name: letters, digits and _ (it names folders and locks).")
    description: str | None = Field(None, description="What the pipeline is for.")
    sources: dict[str, SourceSpec] = Field(default_factory=dict, description="Raw inputs, by name.")
    datasets: dict[str, DatasetSpec] = Field(default_factory=dict, description="Prepared data, by name.")
    features: dict[str, FeaturesSpec] = Field(
        default_factory=dict, description="Learned features (H2O GLRM), by registry name."
    )
    tables: dict[str, TableSpec] = Field(default_factory=dict, description="Hive tables, by db.table.")
    models: dict[str, ModelSpec] = Field(default_factory=dict, description="Models, by registry name.")
    scores: dict[str, ScoreSpec] = Field(default_factory=dict, description="Batch scores, by db.table.")
    params: dict[str, ParamSpec] = Field(
        default_factory=dict, description="Parameters used as ${name} anywhere in the spec, by name."
    )
    schedule: ScheduleSpec | None = Field(
        None, description="When it runs unattended: cron and/or data arrival, catch-up, retries."
    )

    _path: Path | None = PrivateAttr(None)
    _text: str = PrivateAttr("")
    _lines: dict[tuple[str | int, ...], int] = PrivateAttr(default_factory=dict)
    _param_values: dict[str, str] = PrivateAttr(default_factory=dict)
    _source: str = PrivateAttr("")  # the YAML before ``${param}`` substitution

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _named(v, "pipeline")  # it names folders and locks

    @field_validator("params")
    @classmethod
    def _param_names(cls, v: dict[str, Any]) -> dict[str, Any]:
        for key in v:
            _named(key, "parameter")
        return v

    @field_validator("sources", "datasets", "features", "models")
    @classmethod
    def _names(cls, v: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        for key in v:
            _named(key, "model" if info.field_name in ("features", "models") else "step")
        return v

    @field_validator("tables", "scores")
    @classmethod
    def _tables(cls, v: dict[str, Any]) -> dict[str, Any]:
        for key in v:
            _table_key(key)
        return v

    @model_validator(mode="after")
    def _step_retries(self) -> PipelineSpec:
        if self.schedule is not None:
            unknown = [n for n in self.schedule.step_retries if self.node_kind(n) is None]
            if unknown:
                raise ValueError(f"schedule.step_retries: unknown step(s) {sorted(unknown)}")
        return self

    @property
    def base_dir(self) -> Path:
        """Relative source URIs resolve against the spec's folder."""
        return self._path.parent if self._path else Path.cwd()

    def with_params(self, params: Mapping[str, str]) -> PipelineSpec:
        """The same spec loaded again with ``params`` (name -> value) for its ``params:``."""
        filename = str(self._path) if self._path else "<spec>"
        return spec_from_text(self._source or self._text, filename, params, path=self._path)

    @property
    def param_values(self) -> dict[str, str]:
        """The parameter values this spec was loaded with (substituted into its text)."""
        return dict(self._param_values)

    @property
    def spec_hash(self) -> str:
        return hashlib.sha256(self._text.encode()).hexdigest()[:16]

    def line_of(self, *loc: str | int) -> int | None:
        return line_for(tuple(loc), self._lines)

    def node_kind(self, name: str) -> str | None:
        from sparkwing.config._graph import KINDS

        for kind in KINDS:
            if name in getattr(self, kind):
                return kind
        return None


def load_spec(path: str | Path, params: Mapping[str, str] | None = None) -> PipelineSpec:
    """Read and validate a pipeline spec; every problem is reported with its YAML line.

    Also checks the step graph (unknown references, cycles) so that a broken spec fails
    before any work starts.  ``params`` (name -> value) fill the spec's ``params:``; the
    values, or their defaults, replace ``${name}`` in the text before it is validated.
    """
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"spec not found: {p}", hint="give the path to a pipeline YAML file")
    if p.stat().st_size > MAX_SPEC_BYTES:  # refused before reading it
        raise ConfigError(f"spec is larger than {MAX_SPEC_BYTES:,} bytes: {p}", hint="split it")
    return spec_from_text(p.read_text(encoding="utf-8"), str(p), params, path=p)


def spec_from_text(text: str, filename: str = "<spec>", params: Mapping[str, str] | None = None, *,
                   path: Path | None = None) -> PipelineSpec:
    """:func:`load_spec` for YAML text: ``params`` filled in, the step graph checked.

    ``path`` (the file the text came from) is where relative source URIs resolve; without it,
    the current directory.
    """
    from sparkwing.config._graph import build_graph

    spec = parse_spec(text, filename=filename)
    if spec.params or params:
        from datetime import datetime, timezone

        values = resolve_params(spec.params, params or {}, datetime.now(timezone.utc).date())
        spec = parse_spec(substitute(text, values), filename=filename)
        spec._param_values = values
    spec._source = text
    spec._path = path.resolve() if path is not None else None
    build_graph(spec)
    return spec


def parse_spec(text: str, filename: str = "<spec>") -> PipelineSpec:
    data, lines = load_with_lines(text, filename)
    if not isinstance(data, dict):
        raise ConfigError(
            "spec must be a YAML mapping with a 'name'",
            problems=[Problem("", "top level is not a mapping", file=filename, line=1)],
        )
    try:
        spec = PipelineSpec.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not _is_internal(p))
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown field" + _did_you_mean(loc)
            problems.append(Problem(_dotted(loc), msg, file=filename, line=line_for(loc, lines)))
        raise ConfigError(
            f"invalid spec: {len(problems)} problem(s)",
            problems=problems,
            hint="`sparkwing schema` prints the allowed fields",
        ) from None
    spec._text = text
    spec._lines = lines
    return spec


def _did_you_mean(loc: Loc) -> str:
    """``; did you mean max_models?`` for a misspelt field at ``loc``, or the known fields."""
    model = _model_at(loc[:-1])
    return "" if model is None else _suggest(str(loc[-1]), model)


def _suggest(name: str, model: type[BaseModel]) -> str:
    names = [field.alias or key for key, field in model.model_fields.items()]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else f"; known: {', '.join(names)}"


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The spec model that validates the value at ``loc`` (through dicts, lists and optionals)."""
    current: Any = PipelineSpec
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = {field.alias or name: field for name, field in current.model_fields.items()}
            if part not in fields:
                return None
            current = fields[part].annotation
        elif get_origin(current) in (dict, list):
            current = get_args(current)[-1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    args = [a for a in get_args(annotation) if a is not type(None)]
    return args[0] if get_origin(annotation) in (Union, UnionType) and len(args) == 1 else annotation


def _is_internal(part: Any) -> bool:
    return isinstance(part, str) and (part.startswith("function-") or part in {"root"})


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
