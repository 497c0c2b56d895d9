"""The UI in a real headless Chromium (Debian's ``chromium``, driven by playwright): ``sparkwing
ui`` runs under uvicorn on a free loopback port; a user clicks from the pipelines to a failed run
and its traceback, to a successful run, to the model card, and the charts are there.

Screenshots go to the test's temp folder, or to ``$SPARKWING_UI_SCREENSHOTS`` (``docs/img`` holds
the ones made that way).
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers import sparkwing_server
from ui_workspace import QUARANTINE_LINES, Built
from ui_workspace import ui_workspace as ui_workspace  # the fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


@pytest.fixture(scope="module")
def ui_url(ui_workspace: Built) -> Iterator[str]:
    args = ["ui", "-w", str(ui_workspace.root)]
    with sparkwing_server(args, ready="/healthz", stop=signal.SIGTERM) as (base, _, _proc):
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def shots(tmp_path: Path) -> Path:
    out = Path(os.environ.get("SPARKWING_UI_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def test_click_through_pipelines_run_traceback_and_model_card(
    browser: object, ui_url: str, ui_workspace: Built, shots: Path
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(ui_url) else outside.append(r.url))

    page.goto(ui_url + "/")
    expect(page.locator("h1")).to_have_text("Pipelines")
    row = page.locator("#pipelines tr", has_text="loans")
    expect(row.locator(".badge")).to_have_text("failed")
    assert row.locator("svg.sparkline rect").count() == 2
    expect(page.locator("#pipelines")).to_contain_text("<img src=x onerror=alert(1)>")  # shown as text
    page.screenshot(path=str(shots / "ui-pipelines.png"), full_page=True)

    # to the failed run, then its failed step's traceback
    row.get_by_role("link", name=ui_workspace.failed_run).click()
    expect(page.locator("h1")).to_contain_text(ui_workspace.failed_run)
    expect(page.locator("#run-error .hint")).to_contain_text("the traceback is the python step's own")
    assert page.locator("#timeline svg rect").count() == 2
    page.get_by_role("link", name="loans_features").click()
    assert page.url.endswith("#failed-loans_features")
    traceback = page.locator("#failed-loans_features pre")
    expect(traceback).to_be_visible()
    expect(traceback).to_contain_text("ZeroDivisionError: division by zero")
    expect(traceback).to_contain_text("return a / b  # <b>not bold</b>")
    quarantine = page.locator("#quarantine-loans_raw")
    expect(quarantine).to_contain_text(f"{QUARANTINE_LINES:,} rows quarantined")
    expect(quarantine.locator("table.sample tbody tr")).to_have_count(20)
    expect(quarantine.locator("table.sample")).to_contain_text("<script>alert('x')</script>")
    with page.expect_download() as got:
        quarantine.get_by_role("link", name="part-00000-abc.json").click()
    assert Path(got.value.path()).stat().st_size > 100_000
    page.screenshot(path=str(shots / "ui-run-failed.png"), full_page=True)

    # back to the pipeline, its data quality over the runs
    page.get_by_role("link", name="loans", exact=True).click()
    page.get_by_role("link", name="data quality over these runs").click()
    expect(page.locator("h1")).to_have_text("Data quality of loans")
    share = page.locator("#quality-loans_raw figure", has_text="quarantined share")
    expect(share.locator("circle")).to_have_count(2)
    rows = page.locator("#quality-loans_clean figure", has_text="row_count")
    expect(rows.locator("line.limit")).to_have_count(1)
    box = rows.locator("svg").bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100
    page.screenshot(path=str(shots / "ui-quality.png"), full_page=True)

    # back to the pipeline, to the successful run, to the model card
    page.get_by_role("link", name="loans", exact=True).click()
    page.get_by_role("link", name=ui_workspace.ok_run).click()
    assert page.locator("#timeline svg rect").count() == 5
    expect(page.locator("#models")).to_contain_text("promoted to production")
    page.screenshot(path=str(shots / "ui-run.png"), full_page=True)
    page.get_by_role("link", name="loan_default", exact=True).click()
    expect(page.locator("#alias-log")).to_contain_text("production")
    page.get_by_role("link", name="v2").first.click()
    expect(page.locator("h1")).to_contain_text("loan_default v2")
    for chart in ["#roc svg polyline", "#pr svg polyline", "#gains svg polyline", "#lift svg polyline"]:
        box = page.locator(chart).bounding_box()
        assert box and box["width"] > 100 and box["height"] > 50, chart
    assert page.locator("#importance svg rect").count() == 20
    assert page.locator("#leaderboard svg rect").count() == 8
    expect(page.locator("#confusion td.diag").first).to_have_text("120")
    expect(page.locator("#metrics")).to_contain_text("cv")
    # the calibration plot: the diagonal, a dot per bin with rows, the strip of counts
    diagonal = page.locator("#reliability svg line.diagonal").bounding_box()
    assert diagonal and diagonal["width"] > 100 and diagonal["height"] > 100
    assert page.locator("#reliability svg circle").count() == 9
    assert page.locator("#reliability svg rect.bar").count() == 9
    box = page.locator("#reliability svg polyline").bounding_box()
    assert box and box["width"] > 100 and box["height"] > 50
    expect(page.locator("#calibration")).to_contain_text("Brier score 0.1523")
    page.locator("#calibration").screenshot(path=str(shots / "ui-calibration.png"))
    page.screenshot(path=str(shots / "ui-model.png"), full_page=True)

    page.get_by_role("link", name="Tables").click()
    page.get_by_role("link", name="credit.loans_clean").click()
    expect(page.locator("#versions > tbody > tr")).to_have_count(2)
    expect(page.locator("#preview tbody tr")).to_have_count(20)
    page.screenshot(path=str(shots / "ui-table.png"), full_page=True)

    assert errors == [] and outside == []  # no script errors, nothing fetched from elsewhere
    page.close()


def test_an_operator_promotes_in_the_browser_and_a_viewer_gets_403(
    browser: object, slapd: object, tmp_path: Path, shots: Path
) -> None:
    """Signed in through the LDAP form: dave (operator) moves an alias, alice (viewer) cannot."""
    from playwright.sync_api import Browser, expect

    from ldap_server import PASSWORDS
    from ui_workspace import build_workspace

    assert isinstance(browser, Browser)
    built = build_workspace(tmp_path / "ws")
    env = {"SPARKWING__AUTH__LDAP__URL": slapd.url,  # type: ignore[attr-defined]
           "SPARKWING__AUTH__LDAP__USER_DN": f"uid={{user}},{slapd.people}",  # type: ignore[attr-defined]
           "SPARKWING__AUTH__LDAP__GROUP_BASE": slapd.groups,  # type: ignore[attr-defined]
           "SPARKWING__AUTH__LDAP__ROLES": '{"analysts": ["viewer"], "sparkwing-admins": ["operator"]}'}
    with sparkwing_server(["ui", "-w", str(built.root)], ready="/healthz", env=env,
                          stop=signal.SIGTERM) as (base, _, _proc):  # fmt: skip
        def signed_in(user: str) -> object:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.goto(base + "/models/loan_default")
            page.fill("input[name=user]", user)
            page.fill("input[name=password]", PASSWORDS[user])
            page.get_by_role("button", name="Sign in").click()
            expect(page.locator("h1")).to_have_text("loan_default")
            return page

        ops = signed_in("dave")
        row = ops.locator("#versions tr", has_text="v1")
        expect(row.locator(".alias")).to_have_count(0)
        ops.select_option("#promote select[name=version]", "1")
        ops.fill("#promote input[name=reason]", "v2 drifts")
        ops.get_by_role("button", name="Promote").click()
        expect(row.locator(".alias")).to_have_text("production")
        expect(ops.locator("#alias-log tbody tr").first).to_contain_text("dave")
        expect(ops.locator("#alias-log tbody tr").first).to_contain_text("v2 drifts")
        ops.screenshot(path=str(shots / "ui-promote.png"), full_page=True)
        ops.context.close()

        viewer = signed_in("alice")
        expect(viewer.locator("#promote")).to_have_count(0)
        csrf = viewer.locator("form.sign-out input[name=csrf]").get_attribute("value")
        r = viewer.request.post(base + "/models/loan_default/promote",
                                form={"csrf": csrf or "", "version": "2", "alias": "production"})
        assert r.status == 403 and "needs operator" in r.text()
        viewer.context.close()
