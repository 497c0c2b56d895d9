"""The UI's routes fuzzed by schemathesis from the app's own OpenAPI description: whatever the path
parameters (dots, encoded slashes, unicode, control characters), never a 5xx, never a traceback,
never a file from outside the workspace.

The UI serves HTML, not JSON (its only JSON is ``/healthz``), and publishes no schema: the test
mounts FastAPI's generated one to drive the cases, as tests/serve/test_fuzz.py does for serve.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi import Request
from fastapi.responses import JSONResponse
from hypothesis import HealthCheck, given, settings

from sparkwing.ui import UiConfig, create_app
from ui_workspace import Built
from ui_workspace import ui_workspace as ui_workspace  # the fixture


def test_every_route_fuzzed_has_no_server_errors(ui_workspace: Built) -> None:
    app = create_app(UiConfig(workspace=str(ui_workspace.root)))

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(app.openapi())

    app.add_route("/openapi.json", openapi, include_in_schema=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = sorted(op.label for op in operations)
    assert "GET /runs/{pipeline}/{run_id}/quarantine/{source}/{name}" in labels
    assert "POST /models/{name}/promote" in labels and "GET /quality/{pipeline}" in labels
    for op in operations:
        many = 20 if "{" in op.label else 3

        @settings(max_examples=many, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy())
        def fuzz(case: Any) -> None:
            response = case.call()
            where = (case.method, case.formatted_path, response.status_code, response.text[:300])
            assert response.status_code < 500, where
            assert "Traceback (most recent call last)" not in response.text, where
            if response.status_code == 200:  # (an error page echoes the name it did not find)
                assert "root:x:0:0" not in response.text, where

        fuzz()
