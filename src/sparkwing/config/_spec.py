"""The pipeline spec: pydantic models of the YAML file, and its loader.

Sections: ``sources`` → ``datasets`` → ``tables`` → ``models`` → ``scores``, plus ``schedule``.
Each entry names what it is built ``from``; those references make the step graph.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from sparkwing.config._steps import CHECK_PARAMS, STEP_PARAMS
from sparkwing.config._yaml import line_for, load_with_lines
from sparkwing.errors import ConfigError, Problem

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")
SourceFormat = Literal["csv", "tsv", "parquet", "orc", "json", "svmlight", "libsvm", "arff"]
_EXT_FORMATS = {
    ".csv": "csv", ".tsv": "tsv", ".txt": "csv", ".parquet": "parquet", ".orc": "orc",
    ".json": "json", ".jsonl": "json", ".ndjson": "json", ".svm": "svmlight",
    ".svmlight": "svmlight", ".libsvm": "libsvm", ".arff": "arff",
}  # fmt: skip


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _adapter(tp: Any) -> TypeAdapter[Any]:
    return TypeAdapter(tp)


def _one_key(value: Any, allowed: dict[str, Any], what: str, extra: set[str] = frozenset()) -> str:
    if not isinstance(value, dict):
        raise ValueError(f"a {what} is a one-key mapping like '- {next(iter(allowed))}: ...'")
    keys = [k for k in value if k not in extra]
    if len(keys) != 1:
        raise ValueError(f"a {what} needs exactly one of {sorted(allowed)}; got {sorted(keys)}")
    key = keys[0]
    if key not in allowed:
        raise ValueError(f"unknown {what} {key!r}; known: {', '.join(sorted(allowed))}")
    return key


def _params_error(kind: str, exc: ValidationError) -> ValueError:
    first = exc.errors()[0]
    sub = ".".join(str(p) for p in first["loc"] if p != "root")
    return ValueError(f"{kind}{'.' + sub if sub else ''}: {first['msg']}")


class Step(_Spec):
    """One prep step, written ``- <kind>: <params>``."""

    kind: str
    params: Any = None

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, value: Any) -> Any:
        if isinstance(value, dict) and "kind" in value:
            return value
        kind = _one_key(value, STEP_PARAMS, "step")
        raw = value[kind]
        if kind == "python" and isinstance(raw, str):
            raw = {"function": raw}
        try:
            params = _adapter(STEP_PARAMS[kind]).validate_python(raw)
        except ValidationError as exc:
            raise _params_error(kind, exc) from None
        return {"kind": kind, "params": getattr(params, "root", params)}

    @property
    def references(self) -> list[str]:
        return [self.params.with_] if self.kind == "join" else []


class Check(_Spec):
    """One quality check, ``- not_null: [a, b]``, optionally with ``severity: warn``."""

    kind: str
    params: Any = None
    severity: Literal["error", "warn"] = "error"

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, value: Any) -> Any:
        if isinstance(value, dict) and "kind" in value:
            return value
        kind = _one_key(value, CHECK_PARAMS, "check", extra={"severity"})
        try:
            params = _adapter(CHECK_PARAMS[kind]).validate_python(value[kind])
        except ValidationError as exc:
            raise _params_error(kind, exc) from None
        out = {"kind": kind, "params": getattr(params, "root", params)}
        if "severity" in value:
            out["severity"] = value["severity"]
        return out


class ColumnSpec(_Spec):
    """One declared column in the long form: ``{type: date, format: M/d/yy}``."""

    type: str
    format: str | None = Field(None, description="date/timestamp: Spark datetime pattern, e.g. M/d/yy.")

    @model_validator(mode="after")
    def _format_for_times(self) -> ColumnSpec:
        if self.format and self.type.strip().lower() not in ("date", "timestamp", "datetime"):
            raise ValueError(f"format applies to date and timestamp columns, not {self.type!r}")
        return self


class SourceSpec(_Spec):
    """A raw input in the lake."""

    uri: str = Field(description="Local path, file://, s3:// or s3a:// URI; a directory or glob.")
    format: SourceFormat | None = Field(None, description="Inferred from the extension if absent.")
    header: bool = Field(True, description="CSV/TSV: first line holds column names.")
    delimiter: str | None = Field(None, description="CSV: ',' by default, TSV: tab.")
    quote: str = '"'
    escape: str = '"'
    null_values: list[str] = Field(default_factory=lambda: ["", "NA"], description="Cells read as null.")
    encoding: str = "UTF-8"
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
    allow_single_quotes: bool = Field(False, description="JSON: accept 'single-quoted' strings.")
    allow_nan: bool = Field(False, description="JSON: accept NaN, Infinity and -Infinity.")
    max_quarantine_share: float | None = Field(
        None, ge=0, le=1, description="Overrides lake.max_quarantine_share for this source."
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
    def resolved_format(self) -> str:
        if self.format:
            return self.format
        name = self.uri.lower().removesuffix(".gz")
        for ext, fmt in _EXT_FORMATS.items():
            if name.endswith(ext):
                return fmt
        raise ValueError(f"cannot infer the format of {self.uri!r}; set 'format'")

    @model_validator(mode="after")
    def _format_known(self) -> SourceSpec:
        self.resolved_format  # noqa: B018 - raises a ValueError with the fix
        return self


class DatasetSpec(_Spec):
    """A cleaned dataset: prep steps applied to a source, a dataset or a table, then checks."""

    from_: str = Field(alias="from")
    steps: list[Step] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)

    @property
    def references(self) -> list[str]:
        return [self.from_] + [r for s in self.steps for r in s.references]


class TableSpec(_Spec):
    """A Hive table published from a dataset or source."""

    from_: str = Field(alias="from")
    format: Literal["parquet", "orc"] | None = None
    partition_by: list[str] = Field(default_factory=list)
    keep_versions: int | None = Field(None, ge=1)
    description: str | None = None

    @property
    def references(self) -> list[str]:
        return [self.from_]


class SplitSpec(_Spec):
    ratio: float = Field(0.8, gt=0, lt=1, description="Training share of a random split.")
    seed: int = 42
    time_column: str | None = Field(None, description="Split on time: rows before cutoff train.")
    cutoff: str | None = None

    @model_validator(mode="after")
    def _time(self) -> SplitSpec:
        if (self.time_column is None) != (self.cutoff is None):
            raise ValueError("time_column and cutoff go together")
        return self


class AutoMLSpec(_Spec):
    max_models: int | None = Field(None, ge=1)
    max_runtime_secs: float | None = Field(None, gt=0)
    max_runtime_secs_per_model: float | None = Field(None, gt=0)
    include: list[str] | None = None
    exclude: list[str] | None = None
    sort_metric: str | None = None
    nfolds: int | None = Field(None, ge=0)
    seed: int | None = None
    balance_classes: bool = False

    @model_validator(mode="after")
    def _budget(self) -> AutoMLSpec:
        if self.max_models is None and self.max_runtime_secs is None:
            raise ValueError("set max_models or max_runtime_secs")
        if self.include and self.exclude:
            raise ValueError("use include or exclude, not both")
        return self


class GridSpec(_Spec):
    hyper_params: dict[str, list[Any]]
    strategy: Literal["cartesian", "random"] = "cartesian"
    max_models: int | None = Field(None, ge=1)
    max_runtime_secs: float | None = Field(None, gt=0)
    seed: int | None = None


class AlgorithmSpec(_Spec):
    name: Literal["xgboost", "gbm", "drf", "glm", "deeplearning"]
    params: dict[str, Any] = Field(default_factory=dict)
    grid: GridSpec | None = None


class PromoteSpec(_Spec):
    alias: str = "production"
    metric: str = "auto"
    min_improvement: float = 0.0


class ModelSpec(_Spec):
    from_: str = Field(alias="from")
    target: str
    task: Literal["auto", "binary", "multiclass", "regression"] = "auto"
    ignore: list[str] = Field(default_factory=list)
    weight_column: str | None = None
    split: SplitSpec = Field(default_factory=SplitSpec)
    holdout_from: str | None = Field(None, description="Separate leaderboard/holdout data.")
    automl: AutoMLSpec | None = None
    algorithm: AlgorithmSpec | None = None
    promote: PromoteSpec | None = None

    @model_validator(mode="after")
    def _one_engine(self) -> ModelSpec:
        if (self.automl is None) == (self.algorithm is None):
            raise ValueError("set exactly one of 'automl' or 'algorithm'")
        return self

    @property
    def references(self) -> list[str]:
        return [self.from_] + ([self.holdout_from] if self.holdout_from else [])


class ScoreSpec(_Spec):
    model: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(@[A-Za-z0-9_.-]+)?$")
    from_: str = Field(alias="from")
    output: str | None = Field(None, description="Write to this lake URI instead of a table.")
    format: Literal["parquet", "orc", "csv"] | None = None
    allow_missing: bool = False

    @property
    def model_name(self) -> str:
        return self.model.split("@", 1)[0]

    @property
    def references(self) -> list[str]:
        return [self.from_, self.model_name]


class ScheduleSpec(_Spec):
    cron: str | None = None
    on_arrival: list[str] = Field(default_factory=list, description="Sources whose change triggers a run.")


class PipelineSpec(_Spec):
    name: str
    description: str | None = None
    sources: dict[str, SourceSpec] = Field(default_factory=dict)
    datasets: dict[str, DatasetSpec] = Field(default_factory=dict)
    tables: dict[str, TableSpec] = Field(default_factory=dict)
    models: dict[str, ModelSpec] = Field(default_factory=dict)
    scores: dict[str, ScoreSpec] = Field(default_factory=dict)
    schedule: ScheduleSpec | None = None

    _path: Path | None = PrivateAttr(None)
    _text: str = PrivateAttr("")
    _lines: dict[tuple[str | int, ...], int] = PrivateAttr(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NAME.match(v):
            raise ValueError("name must be letters, digits and _ (it names folders and locks)")
        return v

    @field_validator("sources", "datasets", "models")
    @classmethod
    def _names(cls, v: dict[str, Any]) -> dict[str, Any]:
        for key in v:
            if not NAME.match(key):
                raise ValueError(f"{key!r}: names are letters, digits and _")
        return v

    @field_validator("tables", "scores")
    @classmethod
    def _tables(cls, v: dict[str, Any]) -> dict[str, Any]:
        for key in v:
            if not TABLE.match(key) and not NAME.match(key):
                raise ValueError(f"{key!r}: a table is named db.table")
        return v

    @property
    def base_dir(self) -> Path:
        """Relative source URIs resolve against the spec's folder."""
        return self._path.parent if self._path else Path.cwd()

    @property
    def spec_hash(self) -> str:
        return hashlib.sha256(self._text.encode()).hexdigest()[:16]

    def line_of(self, *loc: str | int) -> int | None:
        return line_for(tuple(loc), self._lines)

    def node_kind(self, name: str) -> str | None:
        for kind in ("sources", "datasets", "tables", "models", "scores"):
            if name in getattr(self, kind):
                return kind
        return None


def load_spec(path: str | Path) -> PipelineSpec:
    """Read and validate a pipeline spec; every problem is reported with its YAML line.

    Also checks the step graph (unknown references, cycles) so that a broken spec fails
    before any work starts.
    """
    from sparkwing.config._graph import build_graph

    p = Path(path)
    if not p.exists():
        raise ConfigError(f"spec not found: {p}", hint="give the path to a pipeline YAML file")
    text = p.read_text(encoding="utf-8")
    spec = parse_spec(text, filename=str(p))
    spec._path = p.resolve()
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
            problems.append(Problem(_dotted(loc), msg, file=filename, line=line_for(loc, lines)))
        raise ConfigError(
            f"invalid spec: {len(problems)} problem(s)",
            problems=problems,
            hint="`sparkwing schema` prints the allowed fields",
        ) from None
    spec._text = text
    spec._lines = lines
    return spec


def _is_internal(part: Any) -> bool:
    return isinstance(part, str) and (part.startswith("function-") or part in {"root"})


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
