"""The chosen model's parameters go into the card as plain JSON (no H2O key objects)."""

from __future__ import annotations

import json

from sparkwing.train._train import _jsonable


def test_stacked_ensemble_base_models_become_names() -> None:
    key = {"__meta": {"schema_name": "ModelKeyV3"}, "name": "GBM_1_AutoML", "type": "Key<Model>"}
    out = _jsonable({"base_models": [key, dict(key, name="GLM_1")], "ntrees": 50,
                     "training_frame": {"name": "frame"}, "metalearner_algorithm": "glm"})
    assert out == {"base_models": ["GBM_1_AutoML", "GLM_1"], "ntrees": 50, "metalearner_algorithm": "glm"}
    json.dumps(out)
