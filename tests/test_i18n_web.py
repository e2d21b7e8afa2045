"""The web UI in every language: the provider flow's pages (login, dashboard, register a system, the
system page, the public register) in the language chosen by ?lang=, the cookie or Accept-Language."""

from __future__ import annotations

import html
import sys
from pathlib import Path

import pytest

from tianping.i18n import available_languages, language_name, t

pytest.importorskip("fastapi")
sys.path.insert(0, str(Path(__file__).resolve().parent / "server"))
from server_helpers import PASSWORDS, make_settings, profile, seed_users  # noqa: E402

LANGS = ["en", "zh", "ms", "id", "th", "vi", "fil"]


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    from fastapi.testclient import TestClient

    from tianping.server import create_app
    from tianping.store import open_database

    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('web') / 'server.db'}")
    seed_users(db)
    app = create_app(make_settings(db, run_worker=False), db=db)
    with TestClient(app) as c:
        c.get("/login")
        r = c.post("/login", data={"username": "alice", "password": PASSWORDS["alice"], "csrf_token": c.cookies.get("tp_csrf")},
                   follow_redirects=False)
        assert r.status_code == 303
        doc = profile(id="i18n-web")
        assert c.post("/api/v1/systems", json=doc, headers={"X-CSRF-Token": c.cookies.get("tp_csrf")}).status_code == 201
        yield c
    db.dispose()


def _page(c, path: str) -> str:
    r = c.get(path)
    assert r.status_code == 200, (path, r.status_code)
    return html.unescape(r.text)


@pytest.mark.parametrize("lang", LANGS)
def test_provider_flow_pages_in_each_language(web, lang):
    web.get(f"/lang/{lang}?next=/")  # the language switch sets the cookie
    dashboard = _page(web, "/")
    assert t("web.nav.dashboard", lang) in dashboard and t("web.systems", lang) in dashboard
    new = _page(web, "/systems/new")
    assert t("web.new.title", lang) in new and t("web.new.step1", lang) in new
    system = _page(web, "/systems/i18n-web")
    assert t("web.classification", lang) in system and t("web.obligations", lang) in system
    register = _page(web, "/register")
    assert t("web.register.title", lang) in register
    # every page offers every language, each under its own name
    for code in available_languages():
        assert f'href="/lang/{code}?' in dashboard and language_name(code) in dashboard


def test_query_cookie_and_accept_language(web):
    web.cookies.clear()
    assert t("web.home.title", "th") in _page(web, "/?lang=th")
    assert t("web.home.title", "th") in _page(web, "/")  # ?lang= set the cookie
    web.cookies.clear()
    r = web.get("/", headers={"Accept-Language": "fr-FR, vi;q=0.8, en;q=0.5"})
    assert t("web.home.title", "vi") in html.unescape(r.text) and 'lang="vi"' in r.text
    web.cookies.clear()
    r = web.get("/", headers={"Accept-Language": "de"})
    assert t("web.home.title", "en") in html.unescape(r.text)


# -- a real browser: screenshots of the provider flow in every language (tests/output/i18n/, git-ignored) ----

CHROMIUM = "/usr/bin/chromium"
OUT = Path(__file__).resolve().parent / "output" / "i18n"


@pytest.mark.slow
def test_provider_flow_screenshots_in_each_language(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    pytest.importorskip("playwright")
    from playwright.sync_api import sync_playwright
    from server_helpers import LiveServer

    from tianping.server import create_app
    from tianping.store import open_database

    db = open_database(f"sqlite:///{tmp_path / 'server.db'}")
    seed_users(db)
    app = create_app(make_settings(db, run_worker=False), db=db)
    OUT.mkdir(parents=True, exist_ok=True)
    with LiveServer(app) as srv, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True)
        page = browser.new_page()
        page.goto(f"{srv.url}/login?lang=en")
        page.get_by_label("User name").fill("alice")
        page.get_by_label("Password").fill(PASSWORDS["alice"])
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{srv.url}/")
        csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "tp_csrf")
        assert page.request.post(f"{srv.url}/api/v1/systems", data=profile(id="shot"), headers={"X-CSRF-Token": csrf}).status == 201
        for lang in LANGS:
            for name, path, key in (("dashboard", "/", "web.nav.dashboard"), ("new", "/systems/new", "web.new.step1"),
                                    ("system", "/systems/shot", "web.classification"), ("register", "/register", "web.register.title")):
                page.goto(f"{srv.url}{path}{'&' if '?' in path else '?'}lang={lang}")
                assert t(key, lang) in page.inner_text("body"), (lang, name)
                page.screenshot(path=str(OUT / f"{lang}-{name}.png"), full_page=True)
        browser.close()
    db.dispose()
