"""An OpenAPI-driven fuzz run (schemathesis): whatever the generated request, never a 5xx.

Cases come from each operation's hypothesis strategy (schemathesis' own pytest plugin does not
run under this pytest version); every case is sent to the app in process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from sparkwing.serve import ServeConfig, create_app


def _check(case: Any) -> None:
    response = case.call()
    # 503 ("model not loaded") cannot happen here: every served model is loaded.
    assert response.status_code < 500, (
        case.method,
        case.formatted_path,
        response.status_code,
        response.text[:300],
    )
    if response.status_code >= 400:
        body = response.json()  # every error is JSON with a stable code
        assert isinstance(body.get("code"), str) and "Traceback" not in response.text


def test_openapi_fuzz_has_no_server_errors(workspace: Path) -> None:
    app = create_app(ServeConfig(workspace=str(workspace), poll_interval=0))
    app.state.service.store.refresh()  # the models the schema names and exemplifies
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = sorted(op.label for op in operations)
    assert "POST /v1/models/{name}:predict" in labels and "POST /v1/admin/reload" in labels
    for op in operations:
        runs = 40 if "predict" in op.label else 5

        @settings(max_examples=runs, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy())
        def fuzz(case: Any) -> None:
            _check(case)

        fuzz()
