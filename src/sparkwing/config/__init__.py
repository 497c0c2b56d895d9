"""Settings (where and how sparkwing runs) and the pipeline spec (what a pipeline does)."""

from sparkwing.config._graph import Node, StepGraph, build_graph
from sparkwing.config._reference import ModelRef, check_alias, check_model_name, is_model_name
from sparkwing.config._settings import (
    H2OSettings,
    LakeSettings,
    S3Settings,
    Settings,
    SparkSettings,
    WarehouseSettings,
    load_settings,
)
from sparkwing.config._spec import (
    AlgorithmSpec,
    AutoMLSpec,
    Check,
    DatasetSpec,
    ModelSpec,
    PipelineSpec,
    PromoteSpec,
    ScheduleSpec,
    ScoreSpec,
    SourceSpec,
    SplitSpec,
    Step,
    TableSpec,
    load_spec,
    parse_spec,
)
from sparkwing.config._steps import CHECK_PARAMS, STEP_PARAMS, GlrmParams
from sparkwing.config._workspace import WorkspaceLayout, is_remote

__all__ = [
    "CHECK_PARAMS",
    "STEP_PARAMS",
    "AlgorithmSpec",
    "AutoMLSpec",
    "Check",
    "DatasetSpec",
    "GlrmParams",
    "H2OSettings",
    "LakeSettings",
    "ModelRef",
    "ModelSpec",
    "Node",
    "PipelineSpec",
    "PromoteSpec",
    "S3Settings",
    "ScheduleSpec",
    "ScoreSpec",
    "Settings",
    "SourceSpec",
    "SparkSettings",
    "SplitSpec",
    "Step",
    "StepGraph",
    "TableSpec",
    "WarehouseSettings",
    "WorkspaceLayout",
    "build_graph",
    "check_alias",
    "check_model_name",
    "is_model_name",
    "is_remote",
    "load_settings",
    "load_spec",
    "parse_spec",
]
