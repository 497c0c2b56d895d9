"""Alias moves are followed without a restart; a bad version never replaces a good one."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from conftest import FIXTURES, PROSTATE_ROW, card_for

from sparkwing.registry import Registry
from sparkwing.workspace import Workspace


def _version(client: Any) -> int:
    return client.post("/v1/models/prostate:predict", json={"rows": [PROSTATE_ROW]}).json()["version"]


def test_admin_reload_switches_to_the_new_alias_target(workspace: Path, client: Any) -> None:
    assert _version(client) == 1
    Registry(Workspace(workspace)).set_alias("prostate", "production", 2, reason="better")
    assert _version(client) == 1  # nothing polled yet
    states = client.post("/v1/admin/reload").json()["models"]
    assert next(s for s in states if s["name"] == "prostate")["version"] == 2
    assert _version(client) == 2
    text = client.get("/metrics").text
    assert 'sparkwing_model_loaded_version{alias="production",model="prostate"} 2.0' in text
    assert 'sparkwing_model_swaps_total{alias="production",model="prostate"} 1.0' in text


def test_poller_follows_the_alias(workspace: Path, make_client: Any) -> None:
    client = make_client(poll_interval=0.05)
    Registry(Workspace(workspace)).set_alias("prostate", "production", 2)
    deadline = time.monotonic() + 20
    while _version(client) != 2:
        assert time.monotonic() < deadline, "the poller did not switch"
        time.sleep(0.05)


def test_checksum_failure_keeps_the_previous_version(workspace: Path, client: Any) -> None:
    reg = Registry(Workspace(workspace))
    mv = reg.register("prostate", mojo_path=FIXTURES / "gbm_bernoulli_prostate.zip",
                      card=card_for("gbm_bernoulli_prostate"))
    path = Path(mv.uri) / "model.mojo"
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF  # one flipped byte after registration
    path.write_bytes(bytes(data))
    reg.set_alias("prostate", "production", mv.version)
    state = next(s for s in client.post("/v1/admin/reload").json()["models"] if s["name"] == "prostate")
    assert state["version"] == 1 and state["failed_version"] == mv.version
    assert "checksum mismatch" in state["error"] and "still serving version 1" in state["error"]
    assert _version(client) == 1
    assert client.get("/readyz").status_code == 200  # still serving
    assert (
        f'sparkwing_model_load_failures_total{{model="prostate",version="{mv.version}"}} 1.0'
        in client.get("/metrics").text
    )
    # Asked for explicitly, the broken version is refused, not served.
    r = client.post(f"/v1/models/prostate:predict?version={mv.version}", json={"rows": []})
    assert (r.status_code, r.json()["code"]) == (503, "model_unavailable")


def test_unloadable_mojo_keeps_the_previous_version(workspace: Path, tmp_path: Path, client: Any) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK\x03\x04 not really a zip")
    reg = Registry(Workspace(workspace))
    mv = reg.register("prostate", mojo_path=junk, card=card_for("glm_binomial_prostate"))
    reg.set_alias("prostate", "production", mv.version)
    state = next(s for s in client.post("/v1/admin/reload").json()["models"] if s["name"] == "prostate")
    assert state["version"] == 1 and state["failed_version"] == mv.version and state["state"] == "ready"
    assert _version(client) == 1
    reg.set_alias("prostate", "production", 2)  # a good version is taken again
    client.post("/v1/admin/reload")
    assert _version(client) == 2


def test_in_flight_request_keeps_its_version(workspace: Path, client: Any) -> None:
    store = client.app.state.service.store
    held = store.pick("prostate", None, None)  # what a request takes when it starts
    Registry(Workspace(workspace)).set_alias("prostate", "production", 2)
    store.refresh()
    assert store.pick("prostate", None, None).version == 2
    assert held.version == 1 and len(held.model.predict_numpy([PROSTATE_ROW])) == 1  # still usable


def test_a_service_without_ldap_or_kerberos_never_imports_them(workspace: Path) -> None:
    """ldap3 and gssapi cost ~0.2 s of start-up: only a service that signs in with them loads them."""
    import subprocess
    import sys

    code = ("import sys\n"
            "import sparkwing.cli\n"
            "from sparkwing.serve import ServeConfig, create_app\n"
            "create_app(ServeConfig(workspace=sys.argv[1], poll_interval=0))\n"
            "print(sorted(m for m in ('ldap3', 'gssapi') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code, str(workspace)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"
