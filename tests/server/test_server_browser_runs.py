"""Issue 16 in a real browser (Debian chromium through Playwright) against a live server on PostgreSQL.

A provider uploads a small CSV dataset and an ONNX model made here with skl2onnx, starts a
tabular run, watches its progress and gets a signed report whose evidence has the real metrics.
Another provider registers a loopback OpenAI-compatible endpoint with an API key for their
system and starts a generative run against it. The key never appears in any page, log line,
run document or report bundle (the test greps for it everywhere).
"""

from __future__ import annotations

import io
import logging
import zipfile

import httpx
import pytest
from run_fixtures import SECRET, genai_stub, make_tabular_files
from server_helpers import OUT, PASSWORDS, LiveServer, make_settings, profile
from test_server_browser import ARGS, CHROMIUM, _login  # noqa: F401  (same launch flags)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


class _Grab(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        try:
            self.lines.append(self.format(record))
        except Exception:  # noqa: BLE001
            self.lines.append(str(record.msg))


@pytest.fixture(scope="module")
def grab():
    h = _Grab()
    root = logging.getLogger()
    old = root.level
    root.addHandler(h)
    root.setLevel(logging.DEBUG)
    yield h
    root.removeHandler(h)
    root.setLevel(old)


@pytest.fixture(scope="module")
def live(server_db, tmp_path_factory, grab):
    from tianping.server import create_app

    settings = make_settings(server_db, demo_runs=False, uploads_dir=tmp_path_factory.mktemp("uploads"), local_model_runs=False)
    with LiveServer(create_app(settings, db=server_db)) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def _system(base: str, user: str, sid: str, org: str) -> None:
    tok = httpx.post(f"{base}/api/v1/auth/token", json={"username": user, "password": PASSWORDS[user]}).json()["token"]
    r = httpx.post(f"{base}/api/v1/systems", json=profile("customer-service-chatbot", org=org, id=sid),
                   headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code == 201, r.text


def _watch(page) -> set[str]:
    seen = set()
    for _ in range(600):
        seen.add(page.locator("#run-status").inner_text())
        if page.locator("#run-results").count() or page.locator(".error").count():
            break
        page.wait_for_timeout(100)
    return seen


def _report(page, base: str, sid: str) -> bytes:
    page.goto(f"{base}/systems/{sid}")
    page.get_by_role("button", name="Assess and create a signed report").click()
    page.wait_for_url(f"{base}/systems/{sid}#reports")
    with page.expect_download() as dl:
        page.get_by_role("link", name="Download the signed report (zip)").first.click()
    return open(dl.value.path(), "rb").read()


def _bundle_text(data: bytes) -> str:
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for n in z.namelist():
            out.append(z.read(n).decode("utf-8", "replace"))
    return "\n".join(out)


def test_tabular_upload_and_genai_endpoint_runs_in_the_browser(live, browser, grab, tmp_path, server_db):
    base = live.url
    files = make_tabular_files(tmp_path / "files")
    _system(base, "alice", "browser-credit", "Acme")
    _system(base, "bob", "browser-llm", "Beta Ltd")
    pages: list[str] = []

    # -- the provider's tabular run: upload, progress, real metrics, signed report --------------
    ctx = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    page = ctx.new_page()
    _login(page, base, "alice")
    page.goto(f"{base}/systems/browser-credit")
    assert page.get_by_role("button", name="Start a demo (simulated) run").count() == 0  # demo runs are off here
    page.get_by_label("Dataset (CSV or Parquet)").set_input_files(str(files["csv"]))
    page.get_by_label("Model (ONNX, skops, XGBoost, LightGBM; no pickle)").set_input_files(str(files["onnx"]))
    page.get_by_label("Target column").fill("label")
    page.get_by_label("Sensitive columns (comma-separated)").fill("sex")
    page.get_by_label("Feature columns (comma-separated, optional)").fill("x1,x2,x3")
    page.get_by_role("button", name="Upload and start the tabular tests").click()
    page.wait_for_url(f"{base}/runs/**")
    seen = _watch(page)
    assert seen & {"queued", "running"}, seen
    page.wait_for_timeout(300)
    page.reload()
    rows = page.locator("#run-results tbody tr")
    assert rows.count() > 10, page.content()[:2000]
    acc = page.locator("#run-results tbody tr", has_text="accuracy").first.inner_text()
    assert "performance" in acc
    assert page.locator("#run-status").inner_text() == "completed"
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / "16-tabular-run.png"), full_page=True)
    pages.append(page.content())
    bundle = _bundle_text(_report(page, base, "browser-credit"))
    assert "accuracy" in bundle and "tabular" in bundle
    ctx.close()

    # -- another provider: a generative run against a registered loopback endpoint --------------
    Stub = genai_stub()
    stub = Stub()
    stub.thread.start()
    try:
        ctx = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
        page = ctx.new_page()
        _login(page, base, "bob")
        page.goto(f"{base}/systems/browser-llm")
        page.get_by_label("Endpoint name").fill("loopback stub")
        page.get_by_label("Base URL").fill(stub.url)
        page.get_by_label("Model name").fill("refuser")
        page.get_by_label("API key (optional)").fill(SECRET)
        page.get_by_role("button", name="Register the endpoint").click()
        page.wait_for_url(f"{base}/systems/browser-llm#runs")
        pages.append(page.content())
        assert "loopback stub" in page.locator("#endpoints").inner_text() and "key set" in page.locator("#endpoints").inner_text()
        page.get_by_label("Model under test").select_option(index=0)
        page.locator("input[name=langs][value=zh]").uncheck()
        page.get_by_label("Samples (at most)").fill("10")
        page.get_by_role("button", name="Start the generative AI tests").click()
        page.wait_for_url(f"{base}/runs/**")
        _watch(page)
        page.wait_for_timeout(300)
        page.reload()
        assert page.locator("#run-status").inner_text() == "completed", page.content()[:3000]
        assert page.locator("#run-results tbody tr").count() >= 1
        assert stub.requests >= 10
        page.screenshot(path=str(OUT / "16-genai-run.png"), full_page=True)
        pages.append(page.content())
        bundle2 = _bundle_text(_report(page, base, "browser-llm"))
        page.goto(f"{base}/systems/browser-llm")
        pages.append(page.content())
        ctx.close()
    finally:
        stub.server.shutdown()

    # -- the key is nowhere: pages, logs, reports, run documents ----------------------------------
    assert all(SECRET not in p for p in pages)
    assert SECRET not in bundle and SECRET not in bundle2
    assert not [line for line in grab.lines if SECRET in line]
    from sqlalchemy import text

    with server_db.session() as s:
        for table, cols in (("runs", "config, result, evidence, summary, error"), ("jobs", "payload, message, error, checkpoint"),
                            ("audit_events", "data"), ("genai_samples", "record"), ("reports", "*")):
            for row in s.execute(text(f"SELECT {cols} FROM {table}")):
                assert SECRET not in " ".join(str(v) for v in row), table
