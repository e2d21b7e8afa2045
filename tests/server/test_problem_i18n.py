"""API problem+json bodies in the client's language (Accept-Language): `title` and, where the error
carries a message id, `detail`; `type`, `status`, `instance` and the `problems` member do not change."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from server_helpers import PASSWORDS, make_settings, profile, seed_users

from tianping import i18n
from tianping.server.problems import problem_title, title_id

SRC = Path(__file__).resolve().parents[2] / "src" / "tianping"


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    from fastapi.testclient import TestClient

    from tianping.server import create_app
    from tianping.store import open_database

    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('problems') / 'server.db'}")
    seed_users(db)
    app = create_app(make_settings(db, run_worker=False), db=db)
    with TestClient(app) as c:
        token = c.post("/api/v1/auth/token", json={"username": "alice", "password": PASSWORDS["alice"]}).json()["token"]
        yield c, {"Authorization": f"Bearer {token}"}
    db.dispose()


def _get(c, path, lang, headers=None):
    return c.get(path, headers={**(headers or {}), "Accept": "application/json", "Accept-Language": lang})


@pytest.mark.parametrize(("lang", "title", "detail"), [
    ("th", "ไม่พบ", "ไม่พบ ระบบ 'no-such-system'"),
    ("vi", "Không tìm thấy", "Không tìm thấy hệ thống 'no-such-system'"),
    ("en", "not found", "system 'no-such-system' not found"),
])
def test_not_found_in_the_clients_language(api, lang, title, detail):
    c, auth = api
    r = _get(c, "/api/v1/systems/no-such-system", lang, auth)
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["title"] == title and body["detail"] == detail
    assert body["type"] == "https://tianping.dev/problems/not-found"  # stable whatever the language
    assert body["status"] == 404 and body["instance"] == "/api/v1/systems/no-such-system"
    assert r.headers["content-language"] == lang


def test_unauthorised_title_and_detail_in_two_languages(api):
    c, _ = api
    zh = _get(c, "/api/v1/systems", "zh-CN,zh;q=0.9").json()
    ms = _get(c, "/api/v1/systems", "ms-MY").json()
    assert zh["type"] == ms["type"] == "https://tianping.dev/problems/unauthorised"
    assert zh["title"] == "未登录或未授权" and zh["detail"].startswith("请登录")
    assert ms["title"] == "Tidak dibenarkan" and ms["detail"].startswith("log masuk")


def test_validation_problem_keeps_its_machine_fields(api):
    """422: the title is translated; the located problems (field paths, messages) stay as they are."""
    c, auth = api
    bad = {**profile(id="bad-1"), "risk": {"harm_probability": "sometimes"}}
    en = c.post("/api/v1/systems", json=bad, headers={**auth, "Accept-Language": "en"})
    fil = c.post("/api/v1/systems", json=bad, headers={**auth, "Accept-Language": "fil-PH"})
    assert en.status_code == fil.status_code and en.status_code in (400, 422)
    e, f = en.json(), fil.json()
    assert e["type"] == f["type"] and e["problems"] == f["problems"]
    assert f["title"] == problem_title(e["title"], "fil") != e["title"]


def test_request_validation_detail_in_the_clients_language(api):
    """Pydantic's errors of a request body: the detail in Thai and Chinese, English unchanged (pydantic's words)."""
    c, auth = api
    body = {"username": "x"}  # the password is missing
    en = c.post("/api/v1/auth/token", json=body, headers={"Accept-Language": "en"})
    th = c.post("/api/v1/auth/token", json=body, headers={"Accept-Language": "th"})
    zh = c.post("/api/v1/auth/token", json=body, headers={"Accept-Language": "zh"})
    assert en.status_code == th.status_code == zh.status_code == 422
    assert "Field required" in en.json()["detail"]
    assert i18n.t("problem.input.missing", "th") in th.json()["detail"] and "Field required" not in th.json()["detail"]
    assert i18n.t("problem.input.missing", "zh") in zh.json()["detail"]
    assert en.json()["problems"] == th.json()["problems"]  # field paths and pydantic's messages: machine fields


def test_route_not_found_and_unknown_language(api):
    c, _ = api
    r = _get(c, "/api/v1/no/such/route", "id-ID")
    assert r.status_code == 404 and r.json()["title"] == "Tidak ditemukan" and r.json()["detail"] == "Tidak ditemukan"
    r = _get(c, "/api/v1/no/such/route", "de-DE, xx")  # no catalog for these: English
    assert r.json()["title"] == "not found" and r.headers["content-language"] == "en"


def _titles_in_code() -> set[str]:
    """Every constant `title=` given to an error (TianpingError, ServiceError, …, raise_if_any) in src/tianping."""
    out = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
                if name.endswith("Error") or name == "raise_if_any":
                    out |= {kw.value.value for kw in node.keywords if kw.arg == "title" and isinstance(kw.value, ast.Constant)
                            and isinstance(kw.value.value, str)}
    return out


def test_every_problem_title_is_translated():
    titles = _titles_in_code() | {"method not allowed", "error", "internal error", "invalid input", "not found"}
    assert len(titles) > 100  # the scan finds the titles (not an empty set passing trivially)
    missing = {lang: sorted(tt for tt in titles if not i18n.has_message(title_id(tt), lang))
               for lang in i18n.available_languages()}
    assert missing == {lang: [] for lang in i18n.available_languages()}
    assert problem_title("file not found", "th") == "ไม่พบไฟล์" and problem_title("no such title", "th") == "no such title"
