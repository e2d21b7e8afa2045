"""Issue 16: real run kinds on the server (API): tabular on uploaded files, genai on a registered endpoint.

A provider uploads a dataset and an ONNX model (streamed, size-limited), starts a tabular run and
gets the engine's results and typed evidence; registers a loopback OpenAI-compatible endpoint with
an API key (stored encrypted, never returned) and runs a generative suite against it; cancels a
run. Bad input — an oversized, malformed or pickled upload, a wrong model file, an unknown column,
an unreachable endpoint — is a 4xx problem or a failed run with the reason, never a 5xx or a
half-written run. The demo stub kind is offered only when the server enables it.
"""

from __future__ import annotations

import logging
import time

import pytest
from run_fixtures import SECRET, genai_stub, make_tabular_files
from server_helpers import PASSWORDS, make_settings, profile
from sqlalchemy import select, text

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return make_tabular_files(tmp_path_factory.mktemp("tab"))


@pytest.fixture(scope="module")
def rclient(server_db, tmp_path_factory):
    from fastapi.testclient import TestClient

    from tianping.server import create_app

    settings = make_settings(server_db, demo_runs=False, uploads_dir=tmp_path_factory.mktemp("uploads"),
                             max_upload_bytes=200_000, local_model_runs=False)
    with TestClient(create_app(settings, db=server_db)) as c:
        yield c


@pytest.fixture(scope="module")
def auth(rclient):
    r = rclient.post("/api/v1/auth/token", json={"username": "alice", "password": PASSWORDS["alice"]})
    return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture(scope="module")
def sid(rclient, auth):
    r = rclient.post("/api/v1/systems", json=profile("customer-service-chatbot", id="real-runs-credit"), headers=auth)
    assert r.status_code == 201, r.text
    return "real-runs-credit"


def _upload(c, auth, sid, path, name=None):
    return c.post(f"/api/v1/systems/{sid}/uploads", params={"name": name or path.name}, content=path.read_bytes(),
                  headers={**auth, "content-type": "application/octet-stream"})


def _bearer(c, user):
    tok = c.post("/api/v1/auth/token", json={"username": user, "password": PASSWORDS[user]}).json()["token"]
    return {"Authorization": f"Bearer {tok}"}


def _wait(c, auth, run_id, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        run = c.get(f"/api/v1/runs/{run_id}", headers=auth).json()
        if run["status"] in ("completed", "failed", "cancelled"):
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish: {run}")


def test_run_kinds_list_real_kinds_and_hide_the_demo(rclient, client):
    names = [k["name"] for k in rclient.get("/api/v1/run-kinds").json()]
    assert names[:0] == [] and {"genai", "tabular"} <= set(names) and "stub" not in names
    demo = {k["name"]: k for k in client.get("/api/v1/run-kinds").json()}  # the default test settings enable it
    assert demo["stub"]["simulated"] is True and "simulated" in demo["stub"]["title"]["en"]


def test_stub_is_refused_when_demo_runs_are_off(rclient, auth, sid):
    r = rclient.post(f"/api/v1/systems/{sid}/runs", json={"kind": "stub"}, headers=auth)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")


def test_tabular_run_on_uploaded_csv_and_onnx(rclient, auth, sid, files, server_db):
    data = _upload(rclient, auth, sid, files["csv"])
    model = _upload(rclient, auth, sid, files["onnx"])
    assert data.status_code == 201 and model.status_code == 201, (data.text, model.text)
    assert data.json()["kind"] == "data" and model.json()["kind"] == "model" and len(data.json()["sha256"]) == 64
    r = rclient.post(f"/api/v1/systems/{sid}/runs", headers=auth, json={"kind": "tabular", "config": {
        "data": data.json()["id"], "model": model.json()["id"], "target": "label", "sensitive": ["sex"],
        "features": ["x1", "x2", "x3"]}})
    assert r.status_code == 202, r.text
    run = _wait(rclient, auth, r.json()["id"])
    assert run["status"] == "completed", run
    assert run["result"]["run_id"] == run["id"] and run["engine"] == "tabular" and run["run_kind"] == "tabular"
    acc = next(m for m in run["result"]["metrics"] if m["name"] == "accuracy")
    assert 0.7 < acc["value"] <= 1.0
    assert any(e["metric"] == "accuracy" for e in run["evidence"])  # typed evidence written with the result
    with server_db.session() as s:
        ev = s.execute(text("SELECT evidence FROM runs WHERE id = :i"), {"i": run["id"]}).scalar()
    assert ev and (ev if isinstance(ev, dict) else __import__("json").loads(ev))["kind"] == "real"


def test_tabular_on_parquet_with_prediction_column(rclient, auth, sid, files, tmp_path):
    import pandas as pd

    df = pd.read_parquet(files["parquet"])
    df["pred"] = (df.x1 > 0).astype(int)
    p = tmp_path / "withpred.parquet"
    df.to_parquet(p)
    up = _upload(rclient, auth, sid, p).json()
    r = rclient.post(f"/api/v1/systems/{sid}/runs", headers=auth, json={"kind": "tabular", "config": {
        "data": up["id"], "predictions": "pred", "target": "label", "sensitive": ["sex"], "tests": ["performance", "fairness"]}})
    assert r.status_code == 202, r.text
    assert _wait(rclient, auth, r.json()["id"])["status"] == "completed"


@pytest.mark.parametrize("name,body,status", [
    ("big.csv", b"a,b\n" + b"1,2\n" * 60_000, 413),           # over the 200 kB limit of this server
    ("model.pkl", b"\x80\x04\x95junk", 400),                  # pickle refused by name and header
    ("model.onnx", b"\x80\x05\x95junk", 400),                 # pickle under another name: refused by its header
    ("data.parquet", b"not parquet at all", 422),
    ("data.csv", b"\xff\xfe\x00bad", 422),
    ("empty.csv", b"", 422),
    ("script.sh", b"#!/bin/sh\n", 422),
])
def test_bad_uploads_are_4xx_and_leave_nothing(rclient, auth, sid, name, body, status):
    r = rclient.post(f"/api/v1/systems/{sid}/uploads", params={"name": name}, content=body,
                     headers={**auth, "content-type": "application/octet-stream"})
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_bad_tabular_requests_create_no_run(rclient, auth, sid, files, tmp_path, server_db):
    data = _upload(rclient, auth, sid, files["csv"]).json()
    fake = tmp_path / "fake.onnx"
    fake.write_bytes(b"this is not an onnx graph")
    bad_model = _upload(rclient, auth, sid, fake).json()
    with server_db.session() as s:
        before = s.execute(text("SELECT count(*) FROM runs WHERE system_id = :s"), {"s": sid}).scalar()
    cases = [({"data": data["id"], "model": bad_model["id"], "target": "label"}, "config.model"),
             ({"data": data["id"], "predictions": "nope", "target": "label"}, "config.predictions"),
             ({"data": data["id"], "predictions": "x1", "target": "missing"}, "config.target"),
             ({"data": "00000000-0000-4000-8000-000000000000", "predictions": "x1", "target": "label"}, "config.data"),
             ({"data": bad_model["id"], "predictions": "x1", "target": "label"}, "config.data"),
             ({"data": data["id"], "target": "label"}, "config.model")]
    for cfg, field in cases:
        r = rclient.post(f"/api/v1/systems/{sid}/runs", headers=auth, json={"kind": "tabular", "config": cfg})
        assert r.status_code == 422, (cfg, r.text)
        assert any(p.get("field") == field for p in r.json()["problems"]), (field, r.json())
    with server_db.session() as s:
        after = s.execute(text("SELECT count(*) FROM runs WHERE system_id = :s"), {"s": sid}).scalar()
    assert after == before


def test_genai_run_on_a_registered_endpoint_never_shows_the_key(rclient, auth, sid, server_db, caplog):
    caplog.set_level(logging.DEBUG)
    Stub = genai_stub()
    stub = Stub()
    stub.thread.start()
    try:
        r = rclient.post(f"/api/v1/systems/{sid}/endpoints", headers=auth,
                         json={"name": "loopback", "base_url": stub.url, "model": "refuser", "api_key": SECRET})
        assert r.status_code == 201, r.text
        ep = r.json()
        assert ep["has_key"] is True and SECRET not in r.text
        r = rclient.post(f"/api/v1/systems/{sid}/runs", headers=auth, json={"kind": "genai", "config": {
            "target": ep["target"], "suite": "tc260", "langs": ["en"], "limit": 12}})
        assert r.status_code == 202, r.text
        run = _wait(rclient, auth, r.json()["id"])
        assert run["status"] == "completed", run
        assert run["result"]["metrics"]["samples"]["total"] == 12 and stub.requests >= 12
        assert run["evidence"], "typed evidence"
        seen = [rclient.get(f"/api/v1/systems/{sid}/endpoints", headers=auth).text, str(run),
                rclient.get(f"/api/v1/systems/{sid}/history", headers=auth).text]
        assert all(SECRET not in t for t in seen)
        with server_db.session() as s:
            stored = s.execute(text("SELECT secret FROM system_endpoints WHERE id = :i"), {"i": ep["id"]}).scalar()
            dumped = " ".join(str(v) for v in s.execute(text(
                "SELECT config, result, evidence, summary, error FROM runs WHERE id = :i"), {"i": run["id"]}).one())
            samples = " ".join(str(r[0]) for r in s.execute(text("SELECT record FROM genai_samples WHERE run_id = :i"),
                                                              {"i": run["id"]}))
            events = " ".join(str(r[0]) for r in s.execute(text("SELECT data FROM audit_events")))
        assert stored and SECRET not in stored  # encrypted at rest
        assert SECRET not in dumped and SECRET not in samples and SECRET not in events
        assert SECRET not in caplog.text
    finally:
        stub.server.shutdown()


def test_endpoint_input_is_checked(rclient, auth, sid):
    for body in ({"name": "x", "base_url": "ftp://example.org", "model": "m"},
                 {"name": "x", "base_url": "http://user:pw@127.0.0.1:1/v1", "model": "m"},
                 {"name": "x", "base_url": "http://127.0.0.1:1/v1?key=abc", "model": "m"}):
        r = rclient.post(f"/api/v1/systems/{sid}/endpoints", headers=auth, json=body)
        assert r.status_code == 422, r.text
    r = rclient.post(f"/api/v1/systems/{sid}/runs", headers=auth, json={"kind": "genai", "config": {
        "target": "endpoint:00000000-0000-4000-8000-000000000000"}})
    assert r.status_code == 422
    for cfg in ({"target": "python:os:system"}, {"suite": "no-such-suite"}, {"judge": "python:evil:fn"},
                {"attacks": ["no-such-attack"]}, {"target": "local"}):  # this server does not run the local model
        r = rclient.post(f"/api/v1/systems/{sid}/runs", headers=auth, json={"kind": "genai", "config": cfg})
        assert r.status_code == 422, (cfg, r.text)


def test_unreachable_endpoint_fails_the_run_with_the_reason(rclient, auth, sid):
    from server_helpers import free_port

    ep = rclient.post(f"/api/v1/systems/{sid}/endpoints", headers=auth, json={
        "name": "dead", "base_url": f"http://127.0.0.1:{free_port()}/v1", "model": "refuser", "api_key": SECRET}).json()
    r = rclient.post(f"/api/v1/systems/{sid}/runs", headers=auth, json={"kind": "genai", "config": {
        "target": ep["target"], "langs": ["en"], "limit": 4}})
    run = _wait(rclient, auth, r.json()["id"])
    assert run["status"] == "failed" and "did not answer" in run["error"] and SECRET not in run["error"]


def test_cancel_a_running_run(rclient, auth, sid):
    Stub = genai_stub()
    stub = Stub(delay=0.2)
    stub.thread.start()
    try:
        ep = rclient.post(f"/api/v1/systems/{sid}/endpoints", headers=auth, json={
            "name": "slow", "base_url": stub.url, "model": "refuser"}).json()
        r = rclient.post(f"/api/v1/systems/{sid}/runs", headers=auth, json={"kind": "genai", "config": {
            "target": ep["target"], "langs": ["en"], "limit": 60, "concurrency": 1}})
        rid = r.json()["id"]
        for _ in range(100):
            if rclient.get(f"/api/v1/runs/{rid}", headers=auth).json()["status"] == "running":
                break
            time.sleep(0.1)
        c = rclient.post(f"/api/v1/runs/{rid}/cancel", headers=auth)
        assert c.status_code == 200 and c.json()["status"] == "cancelled"
        time.sleep(1.0)
        n = stub.requests
        time.sleep(1.0)
        assert stub.requests - n <= 1  # the worker stopped
        assert rclient.get(f"/api/v1/runs/{rid}", headers=auth).json()["status"] == "cancelled"
        assert rclient.post(f"/api/v1/runs/{rid}/cancel", headers=auth).status_code == 409
    finally:
        stub.server.shutdown()


def test_genai_run_resumes_after_a_server_restart_without_duplicates(server_db, tmp_path_factory):
    """Stop the server mid-run (its worker puts the job back), start another: the run finishes with
    every sample exactly once."""
    from fastapi.testclient import TestClient
    from sqlalchemy import func

    from tianping.evaluation.genai.models import GenaiSampleRow
    from tianping.server import create_app

    Stub = genai_stub()
    stub = Stub(delay=0.05)
    stub.thread.start()
    settings = make_settings(server_db, demo_runs=False, uploads_dir=tmp_path_factory.mktemp("up2"), local_model_runs=False)
    try:
        with TestClient(create_app(settings, db=server_db)) as c:
            tok = _bearer(c, "alice")
            c.post("/api/v1/systems", json=profile("customer-service-chatbot", id="restart-genai"), headers=tok)
            ep = c.post("/api/v1/systems/restart-genai/endpoints", headers=tok, json={
                "name": "slow", "base_url": stub.url, "model": "refuser", "api_key": SECRET}).json()
            rid = c.post("/api/v1/systems/restart-genai/runs", headers=tok, json={"kind": "genai", "config": {
                "target": ep["target"], "langs": ["en"], "limit": 60, "concurrency": 2}}).json()["id"]
            deadline = time.time() + 60
            while time.time() < deadline:
                with server_db.session() as s:
                    n = s.scalar(select(func.count()).select_from(GenaiSampleRow).where(GenaiSampleRow.run_id == rid))
                if n >= 10:
                    break
                time.sleep(0.1)
        # the first server stopped: its worker puts the job back in the queue and the run is pending (on a
        # loaded machine the worker thread may still be finishing its in-flight requests after the app closed)
        deadline = time.time() + 60
        while True:
            with server_db.session() as s:
                mid = s.scalar(select(func.count()).select_from(GenaiSampleRow).where(GenaiSampleRow.run_id == rid))
                status = s.execute(text("SELECT status FROM runs WHERE id = :i"), {"i": rid}).scalar()
            if status != "running" or time.time() > deadline:
                break
            time.sleep(0.1)
        assert 0 < mid < 60 and status == "pending", (mid, status)
        with TestClient(create_app(settings, db=server_db)) as c:
            tok = _bearer(c, "alice")
            run = _wait(c, tok, rid)
        assert run["status"] == "completed" and run["attempts"] == 2, run
        with server_db.session() as s:
            ids = list(s.scalars(select(GenaiSampleRow.sample_id).where(GenaiSampleRow.run_id == rid)))
        assert len(ids) == len(set(ids)) == 60
    finally:
        stub.server.shutdown()


def test_web_tabular_form_refuses_oversized_and_bad_uploads(server_db, sid, files, tmp_path_factory):
    """The browser form: over the limit -> 413 (refused before reading, or cut off while streaming);
    a pickle -> 4xx; nothing is stored or created either way."""
    from fastapi.testclient import TestClient

    from tianping.server import create_app

    up = tmp_path_factory.mktemp("webup")
    settings = make_settings(server_db, demo_runs=False, uploads_dir=up, max_upload_bytes=200_000, run_worker=False)
    with TestClient(create_app(settings, db=server_db)) as c:
        c.get("/login")
        r = c.post("/login", data={"username": "alice", "password": PASSWORDS["alice"], "csrf_token": c.cookies.get("tp_csrf")},
                   follow_redirects=False)
        assert r.status_code == 303
        with server_db.session() as s:
            before = s.execute(text("SELECT count(*) FROM runs")).scalar()
        form = {"csrf_token": c.cookies.get("tp_csrf"), "target": "label"}
        for body, status in ((b"a,b\n" + b"1,2\n" * 400_000, 413),  # 1.6 MB: refused by its declared length
                             (b"a,b\n" + b"1,2\n" * 75_000, 413),   # 300 kB: cut off while streaming
                             (None, 400)):                          # a pickle named .onnx, as the model
            if body is None:
                files_ = {"data": ("data.csv", files["csv"].read_bytes()), "model": ("model.onnx", b"\x80\x04\x95pickle")}
            else:
                files_ = {"data": ("big.csv", body)}
            r = c.post(f"/systems/{sid}/runs/tabular", data=form, files=files_, follow_redirects=False)
            assert r.status_code == status, (status, r.status_code, r.text[:300])
        with server_db.session() as s:
            assert s.execute(text("SELECT count(*) FROM runs")).scalar() == before
        leftovers = [p for p in up.rglob("*") if p.is_file() and p.name != "meta.json"]
        assert all(p.name == "data.csv" for p in leftovers)  # only the valid dataset of the last form was kept


@pytest.mark.slow
def test_genai_run_on_the_bundled_local_model(server_db, tmp_path_factory):
    """The bundled SmolLM2 as the target of a server run (4 samples, 16 new tokens)."""
    from fastapi.testclient import TestClient

    from tianping.server import create_app

    settings = make_settings(server_db, demo_runs=False, uploads_dir=tmp_path_factory.mktemp("up3"))
    with TestClient(create_app(settings, db=server_db)) as c:
        tok = _bearer(c, "alice")
        c.post("/api/v1/systems", json=profile("customer-service-chatbot", id="local-model-llm"), headers=tok)
        r = c.post("/api/v1/systems/local-model-llm/runs", headers=tok, json={"kind": "genai", "config": {
            "target": "local", "langs": ["en"], "limit": 4, "max_tokens": 16}})
        assert r.status_code == 202, r.text
        run = _wait(c, tok, r.json()["id"], timeout=240)
    assert run["status"] == "completed", run
    assert run["result"]["metrics"]["samples"]["total"] == 4 and run["result"]["target"] == "local" and run["evidence"]
