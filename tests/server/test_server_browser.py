"""End to end in a real browser (Debian's chromium through Playwright) against a live server on PostgreSQL.

A provider logs in, registers a system through the questionnaire, sees its classification,
starts a stub run and watches its progress, downloads the signed report (verified offline); a
reviewer approves and publishes it; an anonymous visitor finds it in the public register and
sends feedback; the zh switch shows the Chinese UI. Screenshots go to tests/output/server/.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest

from server_helpers import OUT, PASSWORDS, LiveServer, make_settings

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run"]


@pytest.fixture(scope="module")
def live(server_db):
    from tianping.server import create_app

    app = create_app(make_settings(server_db, worker_poll_seconds=0.1), db=server_db)
    with LiveServer(app) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def _shot(page, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def _login(page, base: str, user: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(PASSWORDS[user])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")


def test_provider_reviewer_public_journey(live, browser):
    from tianping.reporting.bundle import verify_bundle

    base = live.url
    # tablet-sized viewport: the UI must work on a tablet
    ctx = browser.new_context(viewport={"width": 1024, "height": 768}, accept_downloads=True, locale="en-GB")
    page = ctx.new_page()
    _login(page, base, "alice")
    _shot(page, "01-provider-dashboard")

    # the guided questionnaire: identity and jurisdictions, then the rule packs' own questions
    page.get_by_role("link", name="Register a system").click()
    page.get_by_label("System id").fill("browser-chatbot")
    page.get_by_label("System name").fill("Browser chatbot")
    page.get_by_label("CN", exact=True).check()
    page.get_by_label("EU", exact=True).check()
    page.get_by_role("button", name="Next").click()
    page.locator("input[name='roles.EU'][value='provider']").check()
    page.locator("input[name='roles.CN'][value='service_provider']").check()
    page.locator("fieldset:has(input[name='model_kinds'])").get_by_label("generative_text").check()
    page.locator("fieldset:has(input[name='public_facing'])").get_by_label("yes").check()
    page.locator("fieldset:has(input[name='interacts_with_people'])").get_by_label("yes").check()
    page.locator("fieldset:has(input[name='public_opinion_attributes'])").get_by_label("yes").check()
    _shot(page, "02-questionnaire")
    page.get_by_role("button", name="Register and classify").click()
    page.wait_for_url(f"{base}/systems/browser-chatbot")

    # classification with citations
    cls = page.locator("section[aria-labelledby='h-class']")
    # CN: the binding pack and its voluntary companion (the 2025 Global AI Governance Action Plan)
    assert cls.locator("h3", has_text="CN").count() == 2 and cls.locator("h3", has_text="EU").count() == 1
    assert cls.locator("a[href^='/provisions/']").count() > 0
    _shot(page, "03-system-classified")

    # the owner edits the profile in the web form (YAML, with the revision it was read at)
    page.get_by_role("link", name="Edit the profile").click()
    box = page.get_by_label("Profile (YAML)")
    box.fill(box.input_value() + "intended_purpose: Answers customers' questions in a browser.\n")
    _shot(page, "03b-edit-profile")
    page.get_by_role("button", name="Save the profile").click()
    page.wait_for_url(f"{base}/systems/browser-chatbot?saved=1")
    assert page.get_by_role("status").first.inner_text().endswith("The profile was saved.")
    assert page.locator("dd", has_text="Answers customers' questions in a browser.").count() == 1

    # a stub run with live progress
    page.get_by_role("button", name="Start a demo (simulated) run").click()
    page.wait_for_url(f"{base}/runs/**")
    seen = set()
    for _ in range(150):
        seen.add(page.locator("#run-status").inner_text())
        if page.locator("#run-results").count():
            break
        page.wait_for_timeout(100)
    assert page.locator("#run-results tbody tr").count() >= 4
    assert seen & {"running", "queued"}, seen  # the page showed the run before it finished
    _shot(page, "04-run-completed")

    # the signed report: download the zip and verify it offline
    page.get_by_role("link", name="Back to the system").click()
    page.get_by_role("button", name="Assess and create a signed report").click()
    page.wait_for_url(f"{base}/systems/browser-chatbot#reports")
    with page.expect_download() as dl:
        page.get_by_role("link", name="Download the signed report (zip)").first.click()
    tmp = Path(tempfile.mkdtemp())
    try:
        zpath = tmp / "report.zip"
        dl.value.save_as(zpath)
        zipfile.ZipFile(zpath).extractall(tmp / "bundle")
        assert verify_bundle(tmp / "bundle").ok
    finally:
        shutil.rmtree(tmp)
    page.get_by_role("button", name="Submit the filing").click()
    page.wait_for_url(f"{base}/systems/browser-chatbot")
    assert "submitted" in page.locator("#h-filing").inner_text()
    _shot(page, "05-filing-submitted")
    ctx.close()

    # the reviewer starts the review, approves and publishes
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    _login(page, base, "rita")
    page.get_by_role("link", name="Browser chatbot").first.click()
    for button in ("Start review", "Approve", "Publish in the register"):
        page.get_by_role("button", name=button).click()
        page.wait_for_load_state()
    assert "published" in page.locator("#h-filing").inner_text()
    _shot(page, "06-reviewer-published")
    ctx.close()

    # an anonymous visitor finds it in the public register and gives feedback
    ctx = browser.new_context(viewport={"width": 820, "height": 1180})
    page = ctx.new_page()
    page.goto(f"{base}/register")
    page.get_by_label("Search").fill("Browser")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Browser chatbot").click()
    assert page.locator("dd", has_text="TP-").count() == 1
    page.get_by_label("Message").fill("It answered a question about my bill incorrectly.")
    page.get_by_role("button", name="Send feedback").click()
    assert page.get_by_role("status").inner_text().startswith("Thank you")
    _shot(page, "07-public-register-entry")

    # the zh switch shows the Chinese UI (and keeps it)
    page.locator("#lang-switch").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_role("heading", name="就本系统提交反馈").count() == 1
    page.goto(f"{base}/register")
    assert page.get_by_role("heading", name="人工智能系统公示名录").count() == 1
    assert "公示名录" in page.locator("nav").inner_text()
    _shot(page, "08-register-zh")
    ctx.close()


def test_pages_have_landmarks_and_labels(live, browser):
    """WCAG basics on every public page: one main landmark, a nav with a name, labelled inputs, lang set."""
    page = browser.new_page()
    for path in ("/", "/register", "/catalog", "/catalog/matrix", "/login", "/provisions/eu-ai-act:art-15", "/catalog?q=鲁棒性",
                 "/observatory", "/observatory/incidents"):
        page.goto(live.url + path)
        assert page.locator("main").count() == 1 and page.locator("header").count() == 1
        assert page.locator("nav[aria-label]").count() >= 1 and page.locator("h1").count() == 1
        assert page.locator("html").get_attribute("lang") in ("en", "zh-CN")
        unlabelled = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name)""")
        assert unlabelled == [], (path, unlabelled)
    # keyboard: the skip link is the first stop and leads to the content
    page.goto(live.url + "/register")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.goto(live.url + "/catalog/matrix")
    _shot(page, "09-crosswalk-matrix")
    page.close()
