"""Issue 13 item 4: hostile names at every entry point (no JVM).

The spec (pydantic), the command line (typer's CliRunner), the REST service and the UI
(FastAPI's TestClient) each get names built to escape a folder or fool a terminal; each must
answer with a clear error (a ``ConfigError`` with the name's location, ``InvalidName``'s exit code
or click's usage exit 2, a 4xx with a stable code) and nothing may appear outside the workspace.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sparkwing.cli import EXIT_CODES
from sparkwing.cli import app as cli_app
from sparkwing.config import MAX_NAME_LENGTH, parse_spec
from sparkwing.errors import ConfigError, InvalidName, RegistryError
from sparkwing.registry import Registry
from sparkwing.serve import ServeConfig
from sparkwing.serve import create_app as serve_app
from sparkwing.ui import UiConfig
from sparkwing.ui import create_app as ui_app
from sparkwing.workspace import Workspace

MOJO = Path(__file__).resolve().parents[1] / "fixtures" / "mojo" / "glm_binomial_prostate.zip"

CLASSIC = [
    "..", "../x", "../../../../tmp/sw-escape", "/tmp/sw-escape", "a/b", "a\\b", "..\\..\\x", "x\x00y",
    "x\ny", "\x1b[2J", "a\u202eb", "x" * (MAX_NAME_LENGTH + 1), ".",
]  # fmt: skip
_WORD = st.text(st.characters(codec="utf-8"), max_size=12)
#: Names every kind refuses: a classic, or any text around a separator, '..' or a control character.
HOSTILE = st.one_of(
    st.sampled_from(CLASSIC),
    st.builds(lambda a, bad, b: a + bad + b, _WORD,
              st.sampled_from(["/", "\\", "..", "/../", "\x00", "\n", "\r", "\x1b", "\u2028"]), _WORD),
    st.text(min_size=MAX_NAME_LENGTH + 1, max_size=MAX_NAME_LENGTH + 40),
)
EXAMPLES = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _files(root: Path, skip: Path) -> set[Path]:
    return {p for p in root.rglob("*") if skip not in p.parents and p != skip}


@pytest.fixture()
def sandbox(tmp_path: Path):
    """A workspace inside an otherwise empty folder; the test asserts the folder stays as it was."""
    ws = tmp_path / "ws"
    ws.mkdir()
    (tmp_path / "p.yaml").write_text("name: p\nsources:\n  raw: {uri: x.csv}\n")  # for `run --resume`
    for decoy in ("lock.json", "models/m/aliases.json", "runs/p/lock.json"):  # what `..` could reach
        (tmp_path / decoy).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / decoy).write_text("{}")
    before = _files(tmp_path, ws)
    yield ws
    assert _files(tmp_path, ws) == before, "something was created or removed outside the workspace"
    assert not Path("/tmp/sw-escape").exists()
    bad = [p for p in ws.rglob("*") if "\n" in p.name or "\x00" in p.name or ".." in p.name]
    assert bad == [], "a hostile name became a file inside the workspace"


# --- the spec -------------------------------------------------------------------------------

BASE = {
    "name": "p",
    "sources": {"raw": {"uri": "x.csv"}},
    "datasets": {"clean": {"from": "raw"}},
    "tables": {"db.t": {"from": "clean"}},
    "models": {"m": {"from": "db.t", "target": "y", "automl": {"max_models": 1},
                     "promote": {"alias": "production"}}},
    "scores": {"db.s": {"from": "db.t", "model": "m@production"}},
    "params": {"ds": {"default": "2026-01-01"}},
}


def _place(where: str, name: str) -> dict:
    spec = yaml.safe_load(yaml.safe_dump(BASE))
    if where == "pipeline":
        spec["name"] = name
    elif where == "promote alias":
        spec["models"]["m"]["promote"]["alias"] = name
    elif where == "score model":
        spec["scores"]["db.s"]["model"] = name
    elif where == "table":
        spec["tables"][f"db.{name}"] = {"from": "clean"}
    else:
        spec[where][name] = next(iter(spec[where].values()))
    return spec


@EXAMPLES
@given(name=HOSTILE, where=st.sampled_from([
    "pipeline", "sources", "datasets", "tables", "table", "models", "params", "promote alias", "score model",
]))
def test_the_spec_refuses_hostile_names(name: str, where: str) -> None:
    text = yaml.safe_dump(_place(where, name), allow_unicode=True)
    try:
        parse_spec(text)
    except ConfigError as exc:
        assert exc.problems, "the error names the location"
        assert all("\n" not in str(p) for p in exc.problems)
    else:
        pytest.fail(f"{where} {name!r} was accepted")


# --- the command line -----------------------------------------------------------------------

COMMANDS = [
    ["runs", "--pipeline", "{}"], ["runs", "show", "--", "{}"], ["runs", "unlock", "--", "{}"],
    ["models", "show", "--", "{}"], ["models", "promote", "--", "{}", "1", "production"],
    ["models", "promote", "--", "m", "1", "{}"], ["models", "export", "--", "{}", "out"],
    ["keys", "create", "--name", "{}"], ["keys", "revoke", "--", "{}"], ["tables", "show", "--", "{}"],
    ["tables", "show", "--", "db.{}"], ["tables", "rollback", "--", "{}"],
    ["tables", "rollback", "db.t", "--to", "{}"], ["run", "{spec}", "--resume", "{}"],
]  # fmt: skip


@EXAMPLES
@given(name=HOSTILE, command=st.sampled_from(COMMANDS))
def test_the_cli_refuses_hostile_names(sandbox: Path, name: str, command: list[str]) -> None:
    spec = sandbox.parent / "p.yaml"
    args = [a.replace("{spec}", str(spec)).replace("{}", name) for a in command]
    result = CliRunner().invoke(cli_app, ["-w", str(sandbox), *args], catch_exceptions=False)
    bad_name, bad_reference = EXIT_CODES[InvalidName], EXIT_CODES[RegistryError]
    assert result.exit_code in (2, bad_name, bad_reference), (args, result.exit_code, result.output)
    if result.exit_code == bad_name:
        assert "error: invalid" in result.output
    if result.exit_code == bad_reference:  # a reference's grammar around a valid name: NAME@<hostile>
        assert "invalid model reference" in result.output


# --- the REST service and the UI ------------------------------------------------------------


def _path(name: str) -> str:
    # Dots too: a client would resolve a literal '..' segment itself, before the request.
    return quote(name, safe="").replace(".", "%2E")


@EXAMPLES
@given(name=HOSTILE, route=st.sampled_from(
    ["GET /v1/models/{}", "POST /v1/models/{}:predict", "POST /v1/models/m:predict?alias={}"]))
def test_the_rest_service_refuses_hostile_names(sandbox: Path, name: str, route: str) -> None:
    reg = Registry(Workspace(sandbox))
    if not reg.models():  # one served model, so that the service starts
        reg.register("m", mojo_path=MOJO, card={"task": "binary", "target": "CAPSULE", "algorithm": "glm"})
        reg.set_alias("m", "production", 1)
    client = TestClient(serve_app(ServeConfig(workspace=str(sandbox), poll_interval=0)))
    method, url = route.split(" ")
    r = client.request(method, url.replace("{}", _path(name)), json={"rows": [{"x": 1}]})
    assert 400 <= r.status_code < 500, (url, r.status_code, r.text[:200])
    assert r.headers["content-type"].startswith("application/json")
    assert r.json().get("code"), r.text[:200]


@EXAMPLES
@given(name=HOSTILE, route=st.sampled_from([
    "/pipelines/{}", "/runs/{}/r1", "/runs/p/{}", "/runs/p/r1/quarantine/{}/f.json",
    "/runs/p/r1/quarantine/raw/{}", "/tables/{}/t", "/tables/db/{}", "/models/{}", "/models/m/{}",
    "/models/m/1/files/{}",
]))  # fmt: skip
def test_the_ui_refuses_hostile_names(sandbox: Path, name: str, route: str) -> None:
    client = TestClient(ui_app(UiConfig(workspace=str(sandbox))))
    r = client.get(route.replace("{}", _path(name)))
    assert r.status_code in (400, 404), (route, name, r.status_code)
    assert "Traceback" not in r.text and "<script" not in r.text
