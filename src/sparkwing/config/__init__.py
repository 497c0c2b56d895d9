"""Settings (where and how sparkwing runs) and the pipeline spec (what a pipeline does).

The pipeline spec's modules (spec, steps, schedule, graph, params, sources) are imported on
first use of one of their names: ``sparkwing serve`` and the settings need none of them, and
building their pydantic models is a tenth of the service's start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sparkwing._lazy import lazy_attributes as _lazy_attributes
from sparkwing.config._auth import AuthSettings, KerberosSettings, LdapSettings, SessionSettings
from sparkwing.config._formats import (
    DRIVER_PARSED,
    FORMAT_ALIASES,
    OUTPUT_FORMATS,
    SOURCE_FORMATS,
    TABLE_FORMATS,
    OutputFormat,
    SourceFormat,
    SourceFormatName,
    TableFormat,
    canonical_format,
    format_for_path,
)
from sparkwing.config._names import MAX_NAME_LENGTH, NameKind, check_name, is_name
from sparkwing.config._reference import ModelRef, check_alias, check_model_name, is_model_name
from sparkwing.config._secrets import REVEAL_SECRETS, Secret, is_secret_key, refuse_secret_conf, reveal
from sparkwing.config._settings import (
    H2OSettings,
    LakeSettings,
    MetastoreSettings,
    S3Settings,
    Settings,
    SparkSettings,
    WarehouseSettings,
    load_settings,
)

if TYPE_CHECKING:
    from sparkwing.config._graph import Node, StepGraph, build_graph
    from sparkwing.config._params import ParamSpec, parse_assignments
    from sparkwing.config._schedule import DataTrigger, RetryPolicy, ScheduleSpec
    from sparkwing.config._sources import check_source_paths
    from sparkwing.config._spec import (
        AlgorithmSpec,
        AutoMLSpec,
        Check,
        DatasetSpec,
        DriftSpec,
        FeaturesSpec,
        GlrmParams,
        ModelSpec,
        PipelineSpec,
        PromoteSpec,
        ScoreSpec,
        SourceSpec,
        SparkScorer,
        SplitSpec,
        Step,
        TableSpec,
        load_spec,
        parse_spec,
        spec_from_text,
    )
    from sparkwing.config._steps import CHECK_KINDS, STEP_KINDS, Kind

#: name -> the module that defines it, for the names imported on first use
_LAZY = {
    name: module
    for module, names in {
        "_graph": ("Node", "StepGraph", "build_graph"),
        "_params": ("ParamSpec", "parse_assignments"),
        "_schedule": ("DataTrigger", "RetryPolicy", "ScheduleSpec"),
        "_sources": ("check_source_paths",),
        "_spec": ("AlgorithmSpec", "AutoMLSpec", "Check", "DatasetSpec", "DriftSpec", "FeaturesSpec",
                  "GlrmParams", "ModelSpec", "PipelineSpec", "PromoteSpec", "ScoreSpec", "SourceSpec",
                  "SparkScorer", "SplitSpec", "Step", "TableSpec", "load_spec", "parse_spec",
                  "spec_from_text"),
        "_steps": ("CHECK_KINDS", "STEP_KINDS", "Kind"),
    }.items()
    for name in names
}


__getattr__, __dir__ = _lazy_attributes(__name__, globals(), {n: f".{m}" for n, m in _LAZY.items()})

__all__ = [
    "CHECK_KINDS",
    "DRIVER_PARSED",
    "FORMAT_ALIASES",
    "MAX_NAME_LENGTH",
    "OUTPUT_FORMATS",
    "REVEAL_SECRETS",
    "SOURCE_FORMATS",
    "STEP_KINDS",
    "TABLE_FORMATS",
    "AlgorithmSpec",
    "AuthSettings",
    "AutoMLSpec",
    "Check",
    "DataTrigger",
    "DatasetSpec",
    "FeaturesSpec",
    "GlrmParams",
    "H2OSettings",
    "KerberosSettings",
    "Kind",
    "LakeSettings",
    "LdapSettings",
    "MetastoreSettings",
    "ModelRef",
    "ModelSpec",
    "NameKind",
    "Node",
    "OutputFormat",
    "ParamSpec",
    "PipelineSpec",
    "PromoteSpec",
    "RetryPolicy",
    "S3Settings",
    "ScheduleSpec",
    "DriftSpec",
    "ScoreSpec",
    "Secret",
    "SessionSettings",
    "Settings",
    "SourceFormat",
    "SourceFormatName",
    "SourceSpec",
    "SparkScorer",
    "SparkSettings",
    "SplitSpec",
    "Step",
    "StepGraph",
    "TableFormat",
    "TableSpec",
    "WarehouseSettings",
    "build_graph",
    "canonical_format",
    "check_source_paths",
    "check_alias",
    "check_model_name",
    "check_name",
    "format_for_path",
    "is_model_name",
    "is_name",
    "is_secret_key",
    "load_settings",
    "load_spec",
    "parse_assignments",
    "parse_spec",
    "refuse_secret_conf",
    "reveal",
    "spec_from_text",
]
