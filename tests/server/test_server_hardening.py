"""Issue 19, server hardening: sessions end server-side, forwarded headers believed only from
trusted proxies, login throttling that a spray cannot turn into a lockout, security headers and
no-store caching on every response, a neutral answer for ids of others, API docs with no network.

Everything runs in-process (TestClient, whose peer address can be set per client) on a real
PostgreSQL, except the docs test, which loads /api/docs in Debian's chromium from a live server
with every request to another host refused.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server_helpers import OUT, PASSWORDS, LiveServer, make_settings, profile

pytestmark = [pytest.mark.postgres]


def _app(server_db, **kw):
    from tianping.server import create_app

    return create_app(make_settings(server_db, run_worker=False, **kw), db=server_db)


def _client(app, addr: str = "198.51.100.1"):
    from fastapi.testclient import TestClient

    return TestClient(app, client=(addr, 50000))


def _web_login(c, user: str, password: str | None = None):
    c.get("/login")
    r = c.post("/login", data={"username": user, "password": password or PASSWORDS[user], "csrf_token": c.cookies.get("tp_csrf")},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    return c.cookies.get("tp_session")


def _user(server_db, name: str, role: str = "provider", org: str | None = "Hardening Org") -> str:
    from tianping.server.accounts import add_user

    pw = f"{name}-password-1"
    add_user(server_db, name, pw, role, organisation=org if role == "provider" else None)
    return pw


# -- sessions ------------------------------------------------------------------------------------
def test_old_cookie_refused_after_logout(server_db):
    app = _app(server_db)
    with _client(app) as c:
        cookie = _web_login(c, "alice")
        assert c.get("/api/v1/me").json()["username"] == "alice"
        r = c.post("/logout", data={"csrf_token": c.cookies.get("tp_csrf")}, follow_redirects=False)
        assert r.status_code == 303
    # an attacker who copied the cookie before the logout: refused on the API and the pages
    with _client(app, "203.0.113.50") as thief:
        thief.cookies.set("tp_session", cookie)
        assert thief.get("/api/v1/me").status_code == 401
        page = thief.get("/systems/anything", headers={"Accept": "text/html"}, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_api_logout_ends_session_and_revokes_token(server_db):
    app = _app(server_db)
    with _client(app) as c:
        cookie = _web_login(c, "bob")
        # a cookie-authenticated logout through the API needs the CSRF header like any change
        assert c.delete("/api/v1/auth/token").status_code == 403
        assert c.delete("/api/v1/auth/token", headers={"X-CSRF-Token": c.cookies.get("tp_csrf")}).status_code == 204
        c.cookies.clear()
        c.cookies.set("tp_session", cookie)
        assert c.get("/api/v1/me").status_code == 401
        tok = c.post("/api/v1/auth/token", json={"username": "bob", "password": PASSWORDS["bob"]}).json()["token"]
        auth = {"Authorization": f"Bearer {tok}"}
        assert c.get("/api/v1/me", headers=auth).status_code == 200
        assert c.delete("/api/v1/auth/token", headers=auth).status_code == 204
        assert c.get("/api/v1/me", headers=auth).status_code == 401


def test_password_change_ends_every_session_and_token(server_db):
    pw = _user(server_db, "pat")
    app = _app(server_db)
    with _client(app) as c:
        cookie = _web_login(c, "pat", pw)
        tok = c.post("/api/v1/auth/token", json={"username": "pat", "password": pw}).json()["token"]
        auth = {"Authorization": f"Bearer {tok}"}
        assert c.put("/api/v1/me/password", json={"current_password": "wrong-password", "new_password": "pat-password-2"},
                     headers=auth).status_code == 403
        assert c.put("/api/v1/me/password", json={"current_password": pw, "new_password": "pat-password-2"},
                     headers=auth).status_code == 204
        assert c.get("/api/v1/me", headers=auth).status_code == 401
    with _client(app) as other:
        other.cookies.set("tp_session", cookie)
        assert other.get("/api/v1/me").status_code == 401
        assert other.post("/api/v1/auth/token", json={"username": "pat", "password": pw}).status_code == 401
        assert other.post("/api/v1/auth/token", json={"username": "pat", "password": "pat-password-2"}).status_code == 201


def test_deactivation_ends_sessions_and_tokens_at_once(server_db, tmp_path):
    from tianping.audit import AuditLog

    pw = _user(server_db, "dee")
    app = _app(server_db)
    with _client(app) as admin, _client(app, "198.51.100.7") as c:
        root = {"Authorization": "Bearer " + admin.post("/api/v1/auth/token", json={"username": "root", "password": PASSWORDS["root"]}).json()["token"]}
        cookie = _web_login(c, "dee", pw)
        tok = {"Authorization": "Bearer " + c.post("/api/v1/auth/token", json={"username": "dee", "password": pw}).json()["token"]}
        assert c.get("/api/v1/me", headers=tok).status_code == 200
        r = admin.patch("/api/v1/users/dee", json={"active": False}, headers=root)
        assert r.status_code == 200 and r.json()["active"] is False
        assert c.get("/api/v1/me", headers=tok).status_code == 401
        c.cookies.clear()
        c.cookies.set("tp_session", cookie)
        assert c.get("/api/v1/me").status_code == 401
        assert c.post("/api/v1/auth/token", json={"username": "dee", "password": pw}).status_code == 401
        assert admin.patch("/api/v1/users/dee", json={"active": True}, headers=root).json()["active"] is True
        assert c.get("/api/v1/me").status_code == 401  # reactivation does not bring old sessions back
        again = c.post("/api/v1/auth/token", json={"username": "dee", "password": pw})
        assert again.status_code == 201
        assert admin.patch("/api/v1/users/nobody-here", json={"active": False}, headers=root).status_code == 404
        mine = {"Authorization": f"Bearer {again.json()['token']}"}
        assert c.patch("/api/v1/users/dee", json={"active": False}, headers=mine).status_code == 403  # admins only
    kinds = [e["action"] for e in AuditLog(server_db).events()]
    assert "user.deactivated" in kinds and "user.activated" in kinds


# -- client addresses and login throttling --------------------------------------------------------
def _fail(c, user: str, xff: str | None = None) -> int:
    headers = {"X-Forwarded-For": xff} if xff else {}
    return c.post("/api/v1/auth/token", json={"username": user, "password": "not-the-password"}, headers=headers).status_code


def test_spoofed_forwarded_for_is_ignored_by_default(server_db):
    app = _app(server_db, login_free_ip=3)
    with _client(app, "127.0.0.1") as c:
        # rotating a forged X-Forwarded-For (and the user name) does not make a new client
        codes = [_fail(c, f"ghost-{i}", f"192.0.2.{i}") for i in range(5)]
        assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]
        r = c.post("/api/v1/auth/token", json={"username": "ghost-x", "password": "x"}, headers={"X-Forwarded-For": "192.0.2.99"})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
        # no https claimed by a forwarded header either: no HSTS on plain http
        assert "strict-transport-security" not in c.get("/api/v1/health", headers={"X-Forwarded-Proto": "https"}).headers


def test_forwarded_for_honoured_only_from_a_trusted_proxy(server_db):
    app = _app(server_db, login_free_ip=3, trusted_proxies=["127.0.0.1", "10.0.0.0/8"])
    with _client(app, "127.0.0.1") as proxy:
        # behind the proxy every client is its own address: rotating clients are not throttled together
        assert [_fail(proxy, f"spirit-{i}", f"192.0.2.{i}, 10.1.2.3") for i in range(5)] == [401] * 5
        # but one client's address is, whatever trusted hops it passed through
        codes = [_fail(proxy, f"spirit-{i}", f"198.51.100.200, 10.{i}.0.1") for i in range(5)]
        assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]
        # https from the trusted proxy: HSTS
        h = proxy.get("/api/v1/health", headers={"X-Forwarded-Proto": "https"}).headers
        assert h["strict-transport-security"].startswith("max-age=")
    with _client(app, "203.0.113.9") as direct:  # not a proxy: its headers are ignored
        codes = [_fail(direct, f"imp-{i}", f"192.0.2.{100 + i}") for i in range(5)]
        assert codes[3:] == [429, 429]
        assert "strict-transport-security" not in direct.get("/api/v1/health", headers={"X-Forwarded-Proto": "https"}).headers


def test_trusted_proxy_chain_and_bad_configuration():
    import asyncio

    from tianping.errors import TianpingError
    from tianping.server.security import TrustedProxies

    seen = {}

    async def app(scope, receive, send):
        seen.update(client=scope["client"][0], scheme=scope["scheme"])

    mw = TrustedProxies(app, ["127.0.0.1", "10.0.0.0/8", "::1"])

    def run(peer, xff=None, proto=None):
        headers = ([(b"x-forwarded-for", xff.encode())] if xff else []) + ([(b"x-forwarded-proto", proto.encode())] if proto else [])
        asyncio.run(mw({"type": "http", "client": (peer, 1), "headers": headers, "scheme": "http"}, None, None))
        return seen["client"], seen["scheme"]

    assert run("127.0.0.1", "1.2.3.4, 10.0.0.5") == ("1.2.3.4", "http")
    assert run("127.0.0.1", "6.6.6.6, 5.6.7.8", "https") == ("5.6.7.8", "https")  # the left part is the client's claim
    assert run("::1", "2001:db8::1") == ("2001:db8::1", "http")
    assert run("127.0.0.1", "not-an-ip") == ("127.0.0.1", "http")
    assert run("192.0.2.1", "1.2.3.4", "https") == ("192.0.2.1", "http")
    with pytest.raises(TianpingError):
        TrustedProxies(app, ["nonsense"])


def test_backoff_grows_exponentially_up_to_the_cap():
    from tianping.server.security import LoginLimiter

    lim = LoginLimiter(900, base=10, cap=900, cap_user=60)
    assert [lim.delay(n, 5, 900) for n in (0, 4, 5, 6, 7, 8)] == [0, 0, 10, 20, 40, 80]
    assert lim.delay(40, 5, 900) == 900 and lim.delay(25, 20, 60) == 60


def test_password_spray_does_not_lock_other_users_out(server_db):
    victims = [f"victim-{i}" for i in range(4)]
    pws = {v: _user(server_db, v) for v in victims}
    # behind a trusted proxy, so that one in-process client can speak for many addresses
    app = _app(server_db, trusted_proxies=["198.18.0.1"])

    def login(c, user, password, addr):
        return c.post("/api/v1/auth/token", json={"username": user, "password": password},
                      headers={"X-Forwarded-For": addr}).status_code

    with _client(app, "198.18.0.1") as c:
        # one address sprays 6 wrong passwords at every account: that address is throttled …
        codes = [login(c, v, "not-the-password", "203.0.113.66") for _ in range(6) for v in victims]
        assert codes[:20] == [401] * 20 and set(codes[20:]) == {429}
        assert login(c, victims[0], pws[victims[0]], "203.0.113.66") == 429  # even the right password, while it waits
        # … many addresses spray the same accounts (a botnet, a few tries each) …
        for i in range(3):
            assert [login(c, v, "not-the-password", f"203.0.113.{100 + i}") for v in victims] == [401] * len(victims)
        # … and every user still logs in from their own address at once
        for i, v in enumerate(victims):
            assert login(c, v, pws[v], f"198.51.100.{20 + i}") == 201, v
    with _client(app, "198.51.100.40") as web:  # and through the login form
        _web_login(web, victims[0], pws[victims[0]])


def test_one_account_hammered_from_one_address_backs_off(server_db):
    pw = _user(server_db, "hammered")
    app = _app(server_db, login_backoff_base_seconds=30)
    with _client(app, "203.0.113.77") as attacker:
        assert [_fail(attacker, "hammered") for _ in range(5)] == [401] * 5
        r = attacker.post("/api/v1/auth/token", json={"username": "hammered", "password": pw})
        assert r.status_code == 429 and 25 <= int(r.headers["Retry-After"]) <= 31
    with _client(app, "198.51.100.77") as owner:  # the owner, elsewhere, is not locked out
        assert owner.post("/api/v1/auth/token", json={"username": "hammered", "password": pw}).status_code == 201


# -- headers ----------------------------------------------------------------------------------------
def _assert_security_headers(r, *, api: bool):
    h = r.headers
    assert h["x-content-type-options"] == "nosniff", r.url
    assert h["x-frame-options"] == "DENY"
    assert h["referrer-policy"] == "same-origin"
    csp = h["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert csp.startswith("default-src 'none'") if api else csp.startswith("default-src 'self'")
    assert "strict-transport-security" not in h  # plain http, no trusted proxy


def test_security_headers_and_no_store_on_api_and_web(server_db):
    app = _app(server_db)
    with _client(app) as c:
        tok = {"Authorization": "Bearer " + c.post("/api/v1/auth/token", json={"username": "alice", "password": PASSWORDS["alice"]}).json()["token"]}
        r = c.post("/api/v1/systems", json=profile(id="headers-system"), headers=tok)
        assert r.status_code == 201
        _assert_security_headers(r, api=True)
        assert r.headers["cache-control"] == "no-store"
        for path in ("/api/v1/me", "/api/v1/systems", "/api/v1/systems/headers-system", "/api/v1/systems/headers-system/assessment"):
            r = c.get(path, headers=tok)
            assert r.status_code == 200, path
            _assert_security_headers(r, api=True)
            assert r.headers["cache-control"] == "no-store", path
        rep = c.post("/api/v1/systems/headers-system/reports", headers=tok)
        assert rep.status_code == 201, rep.text
        dl = c.get(f"/api/v1/reports/{rep.json()['id']}/download", headers=tok)
        assert dl.status_code == 200 and dl.headers["content-type"] == "application/zip"
        _assert_security_headers(dl, api=True)
        assert dl.headers["cache-control"] == "no-store"
        # errors too
        for r in (c.get("/api/v1/me"), c.get("/api/v1/nowhere"), c.post("/api/v1/auth/token", json={})):
            assert r.status_code in (401, 404, 422)
            _assert_security_headers(r, api=True)
        # the token answer must never be cached
        r = c.post("/api/v1/auth/token", json={"username": "alice", "password": PASSWORDS["alice"]})
        assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
        # anonymous public reads may be cached; static assets keep their validators
        pub = c.get("/api/v1/public/systems")
        _assert_security_headers(pub, api=True)
        assert "cache-control" not in pub.headers
        css = c.get("/static/style.css")
        assert css.status_code == 200 and "cache-control" not in css.headers and css.headers.get("etag")
        assert css.headers["x-content-type-options"] == "nosniff"
        # pages, anonymous or not, carry CSRF tokens: never stored
        for path in ("/login", "/register", "/catalog", "/api/docs"):
            r = c.get(path)
            assert r.status_code == 200, path
            _assert_security_headers(r, api=False)
            assert r.headers["cache-control"] == "no-store", path
        _web_login(c, "alice")
        for path in ("/", "/systems/headers-system", "/no-such-page"):
            r = c.get(path, headers={"Accept": "text/html"})
            _assert_security_headers(r, api=False)
            assert r.headers["cache-control"] == "no-store", path


# -- ids of other organisations ---------------------------------------------------------------------
def test_taken_id_answer_reveals_nothing_about_the_owner(server_db):
    app = _app(server_db)
    with _client(app) as c:
        tok = {u: {"Authorization": "Bearer " + c.post("/api/v1/auth/token", json={"username": u, "password": PASSWORDS[u]}).json()["token"]}
               for u in ("alice", "bob")}
        # Beta's unsubmitted draft, and one of Acme's own systems
        assert c.post("/api/v1/systems", json=profile(id="beta-secret-draft", org="Beta Ltd"), headers=tok["bob"]).status_code == 201
        assert c.post("/api/v1/systems", json=profile(id="acme-own-system"), headers=tok["alice"]).status_code == 201
        other = c.post("/api/v1/systems", json=profile(id="beta-secret-draft"), headers=tok["alice"])
        own = c.post("/api/v1/systems", json=profile(id="acme-own-system"), headers=tok["alice"])
        assert other.status_code == own.status_code == 409
        a, b = other.json(), own.json()
        assert a["detail"].replace("beta-secret-draft", "X") == b["detail"].replace("acme-own-system", "X")
        assert a["title"] == b["title"] and a["type"] == b["type"]
        text = other.text.lower()
        assert "beta" not in text.replace("beta-secret-draft", "") and "draft" not in text.replace("beta-secret-draft", "")
        assert "taken" not in text and "organisation" not in text
        # and the system itself stays a 404 for Acme, as everywhere
        assert c.get("/api/v1/systems/beta-secret-draft", headers=tok["alice"]).status_code == 404


# -- API docs, offline --------------------------------------------------------------------------------
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run"]


@pytest.mark.slow
def test_api_docs_render_with_no_network(server_db):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    from playwright.sync_api import sync_playwright

    app = _app(server_db)
    with LiveServer(app) as live, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
            page = ctx.new_page()
            outside: list[str] = []
            problems: list[str] = []

            def route(r):
                if r.request.url.startswith(live.url):
                    r.continue_()
                else:  # no network: anything not from this server fails, and is reported
                    outside.append(r.request.url)
                    r.abort()

            ctx.route("**/*", route)
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            resp = page.goto(f"{live.url}/api/docs")
            assert resp.status == 200
            page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
            assert "Tianping" in page.locator(".swagger-ui .info .title").inner_text()
            page.wait_for_selector(".opblock", timeout=30_000)
            assert page.locator(".opblock").count() > 40
            assert page.locator(".opblock-tag", has_text="auth").count() >= 1
            # open one operation: its parameters and responses render from the local schema
            page.locator(".opblock-summary", has_text="/api/v1/auth/token").first.click()
            page.wait_for_selector(".opblock-body", timeout=10_000)
            OUT.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(OUT / "api-docs-offline.png"), full_page=False)
            assert not outside, outside
            csp = [p for p in problems if re.search(r"content security policy", p, re.I)]
            assert not csp, csp
            assert not problems, problems
        finally:
            browser.close()
