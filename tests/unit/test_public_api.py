"""The public surface of every package is pinned: nothing leaks, nothing is forgotten.

Each package's names live in PUBLIC below, once; change a package's ``__all__`` and its
entry here in the same commit.  A new package under ``src/sparkwing`` needs an entry too.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import sparkwing

SRC = Path(sparkwing.__file__).parent

PUBLIC: dict[str, str] = {
    # `import sparkwing as sw`: the errors users catch, then the API (loaded lazily from sparkwing.api)
    "sparkwing": (
        "CheckFailed ConfigError SparkwingError __version__ "
        "Kinds LearnedFeatures Models Pipeline TrainedModel Workspace check checks fit h2o learn_features "
        "models predict prepare publish read spark steps table tables"
    ),
    "sparkwing.api": (
        "Kinds LearnedFeatures Models Pipeline TrainedModel Workspace check checks fit h2o learn_features "
        "models predict prepare publish read spark steps table tables"
    ),
    "sparkwing.errors": (
        "AuthError CheckFailed ConfigError EngineError InvalidName MojoError NoNewData Problem "
        "RegistryError RunNotFound RunStopped ScoringError SourceError SparkwingError StepFailed "
        "TrainingError WarehouseError WorkspaceBusy describe first_line is_transient java_cause "
        "looks_transient"
    ),
    "sparkwing.auth": (
        "ADMIN CSRF_COOKIE EVENTS OPERATOR ROLES SCOPES SCOPE_ROLES SCORER SESSION_COOKIE VIEWER "
        "KerberosProvider NegotiateAcceptor NegotiateFailed Negotiated PrincipalRoles parse_negotiate "
        "ApiKey AuditLog "
        "Authenticator BasicProvider Credentials FailureThrottle Identity KeyProvider KeyStore LdapProvider "
        "PasswordProvider Provider RateLimiter Sessions check_tls providers_from roles_of"
    ),
    "sparkwing.cli": "EXIT_CODES app exit_code format_command main submit_command",
    "sparkwing.config": (
        "AlgorithmSpec AutoMLSpec CHECK_KINDS Check DRIVER_PARSED DataTrigger DatasetSpec DriftSpec "
        "FeaturesSpec FORMAT_ALIASES GlrmParams H2OSettings Kind LakeSettings MAX_NAME_LENGTH "
        "MetastoreSettings "
        "ModelRef ModelSpec "
        "NameKind Node OUTPUT_FORMATS OutputFormat ParamSpec PipelineSpec PromoteSpec REVEAL_SECRETS "
        "RetryPolicy AuthSettings KerberosSettings LdapSettings SessionSettings "  # sign-in (section auth)
        "S3Settings SOURCE_FORMATS STEP_KINDS ScheduleSpec ScoreSpec Secret Settings SourceFormat "
        "SourceFormatName SourceSpec SparkScorer SparkSettings SplitSpec Step StepGraph "
        "TABLE_FORMATS TableFormat TableSpec WarehouseSettings build_graph canonical_format check_alias "
        "check_model_name check_name check_source_paths format_for_path is_model_name is_name is_secret_key "
        "load_settings load_spec parse_assignments parse_spec refuse_secret_conf reveal spec_from_text"
    ),
    "sparkwing.engine": (
        "JAVA17_FLAGS CloudInfo EngineLogs FlowLogin H2OCloud HistoryServer JavaRuntime check_cluster "
        "cluster_conf cluster_kind cluster_problems effective_settings event_log_of events_dir find_java "
        "free_port h2o_conf metastore_conf metastore_kind open_flow port_in_use spark_conf sparkling_jar "
        "start_h2o start_history_server start_spark stop_h2o stop_spark submitted_conf use_java"
    ),
    "sparkwing.lake": (
        "Selection SourceContext SourceResult check_locations clean_staging commit_consumed "
        "fingerprint_source ledger_uri pinned_selection read_source source_problems staging_dir write_output"
    ),
    "sparkwing.mojo": (
        "EncodedRows Feature Limits ModelInfo MojoModel RowWarning class_column inspect_text load predict_csv"
    ),
    "sparkwing.pipeline": (
        "DatasetDetails FailedTry FeaturesDetails Fingerprint FlowLink LockInfo LogReporter ModelDetails "
        "PipelineLock PrepStepStats "
        "Reporter RunRecord RunStore ScoreDetails SourceDetails StepDetails StepRecord TableDetails Trigger "
        "run_pipeline"
    ),
    "sparkwing.monitor": (
        "EPS FILE METRICS ColumnCounts DriftLog DriftReport FeatureDrift ProfileCounts RunSample StepSample "
        "column_drift compare count_columns count_dataframe count_values domains_of kind_of metrics_uri "
        "profile_columns profile_dataframe psi record_run"
    ),
    "sparkwing.prep": "CheckResult StepStats apply_steps gate resolve_stats run_checks",
    "sparkwing.registry": (
        "CARD GENMODEL_JAR MOJO ModelVersion POJO_DIR PromotionDecision Registry decide_promotion "
        # the drift reference a version keeps (card.profile)
        "BINS TOP_K DataProfile FeatureProfile "
        # the typed card.json and its parts; the headline metric (one vocabulary)
        "CARD_VERSION Artifact ConfusionMatrix Curves Feature Glrm Lineage Metrics ModelCard Pojo PrCurve "
        "RocCurve Rows Selection SourceFingerprint SourceLineage TableLineage VariableImportance Versions "
        # the calibration bins of a classification card (card.curves.reliability)
        "Reliability ReliabilityBin "
        "HEADLINE_METRIC headline_metric higher_is_better"
    ),
    "sparkwing.schedule": (
        "EXPORTERS Arrival BackfillDay Clock CronSchedule Deployment EmrPackage Fired LakeObject "
        "PipelineState Scheduler SchedulerInfo SchedulerLock StateStore SystemClock check_arrival "
        "check_uploaded deployment emr_configurations emr_steps instant_of list_objects load_package "
        "package_emr run_backfill run_job_flow_args stop_scheduler submit_argv submit_steps upload_package"
    ),
    "sparkwing.score": (
        "InputReport PYTHON_MAX_BYTES Prediction ScoreResult choose_engine output_columns predict "
        "predict_file prob_column score_batch batch_drift prediction_column"
    ),
    "sparkwing.serve": (
        "DEFAULT_ALIAS LoadedModel ModelRef ModelStore ServeConfig ServeError Service "
        "create_app is_loopback run"
    ),
    "sparkwing.train": "GlrmResult TrainResult fit_glrm project_glrm register_result train_model",
    "sparkwing.ui": "Authenticate UiConfig Viewer create_app local_viewer run",
    "sparkwing.workspace": "Storage Workspace is_remote s3_client split_s3",
    "sparkwing.warehouse": (
        "History PublishResult QueryResult TableInfo TableName VersionRecord check_read_only duckdb_sql "
        "list_published list_tables load_history "
        "publish_table published_table rollback_table run_sql table_histories table_info"
    ),
}


def _expected(package: str) -> list[str]:
    return sorted(PUBLIC[package].split())


def test_every_package_is_pinned() -> None:
    packages = {"sparkwing", "sparkwing.errors"} | {
        f"sparkwing.{m.name}" for m in pkgutil.iter_modules(sparkwing.__path__) if m.ispkg
    }
    assert sorted(packages) == sorted(PUBLIC)


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_all_is_pinned_and_resolves(package: str) -> None:
    module = importlib.import_module(package)
    names = list(module.__all__)
    assert len(names) == len(set(names)), f"{package}.__all__ lists a name twice"
    expected = _expected(package)
    added, dropped = sorted(set(names) - set(expected)), sorted(set(expected) - set(names))
    assert not added and not dropped, f"{package}: new {added}, gone {dropped}: update PUBLIC[{package!r}]"
    for name in names:
        assert hasattr(module, name), f"{package}.{name} does not resolve"


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_nothing_of_ours_leaks(package: str) -> None:
    """Every public sparkwing object reachable on the package is in ``__all__``."""
    module = importlib.import_module(package)
    leaked = [
        name for name, value in vars(module).items()
        if not name.startswith("_") and name not in module.__all__
        and getattr(value, "__module__", "").startswith("sparkwing")
    ]  # fmt: skip
    assert leaked == []


#: packages whose ``__init__`` imports some names on first use (``__getattr__``): the API, the
#: pipeline spec's modules in ``sparkwing.config`` (not on ``sparkwing serve``'s start), and the app
#: and models in ``sparkwing.serve`` (not in the supervisor of ``serve --workers N``)
LAZY_LOADERS = {"sparkwing", "sparkwing.config", "sparkwing.serve"}
LAZY_IMPORTS = {"typing", "__future__", "sparkwing._lazy"}


@pytest.mark.parametrize("package", sorted(p for p in PUBLIC if p != "sparkwing.errors"))
def test_init_imports_explicitly(package: str) -> None:
    """``__init__`` holds a docstring, explicit ``from sparkwing... import name`` lines and ``__all__``."""
    init = SRC.joinpath(*package.split(".")[1:], "__init__.py")
    tree = ast.parse(init.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{init} has no docstring"
    for node in tree.body[1:]:
        if package in LAZY_LOADERS and isinstance(node, ast.ImportFrom) and node.module in LAZY_IMPORTS:
            continue  # the lazy loader: ``__getattr__, __dir__ = _lazy_attributes(...)``
        if package in LAZY_LOADERS and isinstance(node, ast.If):  # if TYPE_CHECKING: the lazy names
            assert ast.unparse(node.test) == "TYPE_CHECKING" and not node.orelse, ast.unparse(node)[:60]
            assert all(isinstance(n, ast.ImportFrom) and (n.module or "").startswith(package + ".")
                       for n in node.body), ast.unparse(node)[:60]
            continue
        if isinstance(node, ast.ImportFrom):
            assert node.module and node.module.startswith("sparkwing."), ast.unparse(node)
            assert package == "sparkwing" or node.module.startswith(package + "."), ast.unparse(node)
            assert all(alias.name != "*" for alias in node.names), ast.unparse(node)
        else:
            assert isinstance(node, (ast.Assign, ast.AnnAssign)), f"{init}: {ast.unparse(node)[:60]}"


def test_the_api_names_match_the_lazy_loader() -> None:
    import sparkwing.api

    assert sorted(sparkwing._LAZY) == sorted(sparkwing.api.__all__)
    assert all(getattr(sparkwing, n) is getattr(sparkwing.api, n) for n in sparkwing.api.__all__)


def test_import_sparkwing_loads_no_jvm_bridge() -> None:
    """``import sparkwing as sw; sw.Workspace; sw.models(...)`` imports no pyspark/py4j."""
    import subprocess
    import sys

    code = (
        "import sys, sparkwing as sw\n"
        "ws = sw.Workspace('/tmp/sw-no-jvm'); sw.models(ws); sw.steps.cast(a='int'); sw.Pipeline\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pyspark', 'py4j', 'pysparkling', 'h2o'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
