"""Put a training result into the registry: its artifacts and its card, with the lineage."""

from __future__ import annotations

from sparkwing.registry import Lineage, ModelVersion, Registry
from sparkwing.train._result import GlrmResult, TrainResult


def register_result(
    registry: Registry, name: str, result: TrainResult | GlrmResult, lineage: Lineage
) -> ModelVersion:
    """Register ``result`` as the next version of ``name``; the pipeline and ``sw.train`` share it.

    >>> register_result(Registry(ws), "loan_default", result, Lineage(run_id="r1")).version  # doctest: +SKIP
    1
    """
    card = result.card.model_copy(update={"lineage": lineage})
    pojo_dir = result.pojo_dir if isinstance(result, TrainResult) else None
    return registry.register(
        name, mojo_path=result.mojo_path, genmodel_jar_path=result.genmodel_jar_path,
        pojo_dir=pojo_dir, card=card,
    )
