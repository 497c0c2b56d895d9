"""Models in Python: train (AutoML or one algorithm) and register; learn features; list, promote, load.

``fit`` runs the ``models:`` section's code (``sparkwing.train``) and ``learn_features`` the
``features:`` section's; both register through the same function the pipeline uses; ``Models``
is the registry with a MOJO loader that needs no JVM (``sparkwing.mojo``).
"""

from __future__ import annotations

import getpass
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sparkwing._types import new_run_id
from sparkwing.api._data import WorkspaceLike
from sparkwing.api._kinds import as_item
from sparkwing.api._session import spark, workspace_of
from sparkwing.config import GlrmParams, ModelSpec
from sparkwing.mojo import MojoModel, load
from sparkwing.registry import MOJO, Lineage, ModelVersion, Registry, TableLineage
from sparkwing.train import TrainResult, fit_glrm, register_result, train_model
from sparkwing.warehouse import table_info

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

log = logging.getLogger("sparkwing.api")


@dataclass
class TrainedModel:
    """What :func:`train` returns: the training result and, when registered, the version."""

    name: str
    result: TrainResult
    version: ModelVersion | None = None

    @property
    def algorithm(self) -> str:
        return self.result.algorithm

    @property
    def metrics(self) -> dict[str, Any]:
        """Holdout metrics (``auc``, ``logloss``, ``rmse``, ...); cross-validation ones without a holdout."""
        return self.result.metrics

    @property
    def leaderboard(self) -> list[dict[str, Any]]:
        return self.result.leaderboard

    @property
    def ref(self) -> str | None:
        """``name@version`` once registered."""
        return self.version.ref if self.version is not None else None


def fit(
    data: DataFrame | str,
    *,
    target: str,
    automl: Mapping[str, Any] | None = None,
    algorithm: Mapping[str, Any] | str | None = None,
    register: str | None = None,
    holdout: DataFrame | str | None = None,
    workspace: WorkspaceLike = None,
    task: str = "auto",
    ignore: Sequence[str] = (),
    **spec: Any,
) -> TrainedModel:
    """Train on a DataFrame or a published table, as a ``models:`` entry does.

    ``automl`` and ``algorithm`` take the spec's keys (``{"max_models": 6, "seed": 42}``,
    ``{"name": "gbm", "params": {"ntrees": 20, "seed": 1}}`` or just ``"glm"``); ``spec`` the
    others (``split``, ``weight_column``).  With ``register="name"`` the model becomes the next
    version of ``name`` in the workspace's registry, its lineage naming the table it came from.
    """
    ws = workspace_of(workspace)
    session = spark(ws)
    frame = session.table(data) if isinstance(data, str) else data
    hold = session.table(holdout) if isinstance(holdout, str) else holdout
    if isinstance(algorithm, str):
        algorithm = {"name": algorithm}
    name = register or "model"
    model_spec = as_item(ModelSpec, {
        "from": data if isinstance(data, str) else "python", "target": target, "task": task,
        "ignore": list(ignore), "automl": automl, "algorithm": algorithm, **spec,
    }, "sw.train")  # fmt: skip
    result = train_model(session, ws.settings, name, model_spec, frame, holdout_df=hold,
                         progress=lambda text: log.info("%s: %s", name, text))
    if register is None:
        return TrainedModel(name, result)
    lineage = Lineage(run_id=new_run_id(), tables=_tables(session, ws, data, holdout))
    return TrainedModel(name, result, register_result(Registry(ws), name, result, lineage))


@dataclass
class LearnedFeatures:
    """What :func:`learn_features` returns: the rows with the new columns and, when registered,
    the feature model's version."""

    df: DataFrame
    columns: list[str]
    version: ModelVersion | None = None


def learn_features(
    data: DataFrame | str,
    *,
    glrm: Mapping[str, Any] | None = None,
    register: str | None = None,
    workspace: WorkspaceLike = None,
) -> LearnedFeatures:
    """Learn H2O GLRM archetype columns from a DataFrame or a published table and add them to its
    rows, as a ``features:`` entry does; ``glrm`` takes that entry's keys (``{"k": 2, "columns":
    [...]}``).  With ``register="name"`` the GLRM becomes the next version of ``name``.
    """
    ws = workspace_of(workspace)
    session = spark(ws)
    frame = session.table(data) if isinstance(data, str) else data
    params = as_item(GlrmParams, dict(glrm or {}), "sw.learn_features glrm")
    out, result = fit_glrm(session, ws.settings, frame, params)
    if register is None:
        return LearnedFeatures(out, result.columns)
    lineage = Lineage(run_id=new_run_id(), tables=_tables(session, ws, data))
    return LearnedFeatures(out, result.columns, register_result(Registry(ws), register, result, lineage))


def _tables(session: Any, ws: Any, *data: Any) -> list[TableLineage]:
    out = []
    for name in data:
        if isinstance(name, str):
            info = table_info(session, name, ws)
            out.append(TableLineage(name=name, version=info.version, rows=info.rows))
    return out


class Models:
    """The workspace's model registry: versions, aliases, promotion, MOJO scorers (no JVM).

    Every method is the registry's; ``registry`` is the :class:`sparkwing.registry.Registry`.
    """

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def __repr__(self) -> str:
        return f"Models({self.registry.root!r})"

    def names(self) -> list[str]:
        """Registered model names."""
        return self.registry.models()

    def versions(self, name: str) -> list[ModelVersion]:
        return self.registry.versions(name)

    def aliases(self, name: str) -> dict[str, int]:
        return self.registry.aliases(name)

    def get(self, ref: str) -> ModelVersion:
        """``NAME``, ``NAME@VERSION``, ``NAME@latest`` or ``NAME@ALIAS``; checksums verified."""
        return self.registry.get(ref)

    def promote(
        self, name: str, version: int, alias: str = "production", *, reason: str = ""
    ) -> ModelVersion:
        """Point ``alias`` at ``version`` (checksums verified first; audited)."""
        return self.registry.promote(name, version, alias, reason=reason or "sw.models().promote",
                                     actor=getpass.getuser())

    def load(self, ref: str | ModelVersion) -> MojoModel:
        """A pure-Python scorer for a registered model (``predict(rows or pandas)``, no JVM)."""
        mv = ref if isinstance(ref, ModelVersion) else self.registry.get(ref)
        return load(mv.local_path(MOJO))


def models(workspace: WorkspaceLike = None) -> Models:
    """The registry of ``workspace``; starts no JVM."""
    return Models(Registry(workspace_of(workspace)))
