"""H2O locked down by default, against the real H2O sparkwing starts (one shared cloud).

Every socket of the driver JVM is on 127.0.0.1 from the first moment of the start (sampled
every 50 ms by the ``h2o_start`` fixture, not only after "ready"); every H2O and Flow port
refuses unauthenticated requests (``GET /3/Cloud``, ``POST /99/ImportSQLTable``, the route of
CVE-2026-3960) and answers the generated login; training still works; ``sparkwing flow``'s
pieces (credentials file, table as frame) work on the same cloud.
"""

from __future__ import annotations

import base64
import os
import stat
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.spark, pytest.mark.h2o]


def call(url: str, *, method: str = "GET", auth: tuple[str, str] | None = None) -> str:
    """What ``url`` answered: an HTTP status, or why there was no HTTP answer."""
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:  # noqa: S310 - loopback test URL
            return str(resp.status)
    except urllib.error.HTTPError as exc:
        return str(exc.code)
    except (OSError, urllib.error.URLError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"no HTTP answer ({type(reason).__name__})"


def refused(answer: str) -> bool:
    return answer in ("401", "403") or answer.startswith("no HTTP answer")


def h2o_ports(cloud) -> dict[str, int]:
    rest = int(cloud.url.rsplit(":", 1)[1])
    ports = {"node REST/Flow": rest, "node internal (REST+1)": rest + 1}
    if cloud.flow_proxy:
        ports["Sparkling Water Flow proxy (stopped after start)"] = int(cloud.flow_proxy.rsplit(":", 1)[1])
    return ports


def test_every_socket_of_the_jvm_is_loopback_from_the_first_moment(h2o_start) -> None:
    cloud, sampler = h2o_start
    assert cloud.url.startswith("http://127.0.0.1:") and cloud.url != "http://127.0.0.1:54321"
    assert sampler.samples >= 10, "the sampler should have watched the whole start-up"
    seen_ports = {s.port for s in sampler.seen}
    print(f"\n{sampler.samples} samples during start-up; sockets of the JVM:",
          ", ".join(sorted(map(str, sampler.seen))))
    for what, port in h2o_ports(cloud).items():
        assert port in seen_ports, f"{what} port {port} should have been seen listening"
    public = sorted(str(s) for s in sampler.seen if not s.loopback)
    assert public == [], f"listening beyond loopback during start-up: {public}"


def test_every_h2o_port_refuses_requests_without_login(h2o) -> None:
    assert h2o.login is not None and h2o.auth == h2o.login.auth
    answers = {}
    for what, port in h2o_ports(h2o).items():
        base = f"http://127.0.0.1:{port}"
        answers[what, port] = [call(base + "/3/Cloud"), call(base + "/99/ImportSQLTable", method="POST")]
        if "internal" not in what:  # H2O's binary node-to-node port: two requests are enough
            answers[what, port].append(call(base + "/3/Cloud", auth=(h2o.login.user, "wrong")))
    print("\n" + "\n".join(f"{what} :{port}: GET /3/Cloud {a[0]}, POST /99/ImportSQLTable {a[1]}"
                           + (f", wrong password {a[2]}" if len(a) > 2 else "")
                           for (what, port), a in answers.items()))
    assert all(refused(a) for triple in answers.values() for a in triple), answers
    assert call(h2o.url + "/3/Cloud", auth=h2o.auth) == "200"


def test_attaching_to_the_running_cloud_recovers_its_login(spark, settings, h2o) -> None:
    from sparkwing.engine import start_h2o

    again = start_h2o(spark, settings)  # no new cloud: the running one, its login from its conf
    assert again.auth == h2o.auth and again.login is None  # the first cloud owns (removes) the file
    assert call(again.url + "/3/Cloud", auth=again.auth) == "200"


def test_the_login_lives_in_a_private_folder_and_no_log_holds_the_password(h2o, session_workspace) -> None:
    login = h2o.login
    assert stat.S_IMODE(os.stat(login.dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(login.realm_file).st_mode) == 0o600
    assert login.password not in Path(login.realm_file).read_text()  # its MD5 only
    assert login.password not in repr(h2o) and login.password not in repr(login)
    secret = login.password.encode()
    leaks = [p for p in Path(session_workspace).rglob("*")
             if p.is_file() and p.stat().st_size < 50_000_000 and secret in p.read_bytes()]
    assert leaks == []


def test_training_works_with_the_login_on(spark, settings, h2o, prostate) -> None:
    from sparkwing.config import ModelSpec
    from sparkwing.train import train_model

    spec = ModelSpec.model_validate({"from": "prostate", "target": "CAPSULE", "ignore": ["ID"],
                                     "algorithm": {"name": "glm", "params": {"seed": 1}}})
    result = train_model(spark, settings, "lockdown_glm", spec, prostate, cloud=h2o)
    assert Path(result.mojo_path).stat().st_size > 0


def test_flow_prints_a_credentials_file_and_loads_a_table_as_a_frame(spark, settings, h2o) -> None:
    from sparkwing.cli._flow import flow_banner, load_table
    from sparkwing.config import TableSpec
    from sparkwing.warehouse import publish_table
    from sparkwing.workspace import Workspace

    banner = "\n".join(flow_banner(h2o))
    path = Path(h2o.login.dir) / "credentials"
    assert h2o.url in banner and str(path) in banner and h2o.login.password not in banner
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    fields = dict(line.split(": ", 1) for line in path.read_text().splitlines())
    assert call(h2o.url + "/3/Cloud") == "401"
    assert call(h2o.url + "/3/Cloud", auth=(fields["user"], fields["password"])) == "200"

    ws = Workspace.from_settings(settings)
    df = spark.createDataFrame([(1, "a"), (2, "b"), (3, "c")], ["id", "grade"])
    publish_table(spark, df, "flowdb.loans_clean", TableSpec(**{"from": "loans"}), workspace=ws,
                  version="v1", run_id="run-flow", keep_versions=2)
    loaded = load_table(spark, ws, h2o, "flowdb.loans_clean")
    assert (loaded.frame, loaded.rows) == ("flowdb_loans_clean", 3)
    frames = call(f"{h2o.url}/3/Frames/flowdb_loans_clean", auth=h2o.auth)
    assert frames == "200"
