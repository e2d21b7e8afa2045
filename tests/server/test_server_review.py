"""The human review queue on the server (issue 13 item 4): API and pages over PostgreSQL.

A completed generative run is stored the way the engine stores one (samples + finalize); the
owning provider samples it, labels answers through the API and the web form; labels are audited
under the signed-in user, feed the manual-sampling gate, and other organisations see nothing.
"""

from __future__ import annotations

import re
import uuid

import pytest

from server_helpers import profile


@pytest.fixture(scope="module")
def genai_run(client, tokens, server_db):
    from tianping.evaluation.genai.models import GenaiSampleRow
    from tianping.evaluation.genai.schema import SampleRecord
    from tianping.evaluation.genai.service import RunConfig, finalize
    from tianping.store.models import RunRow

    sid = "review-chatbot"
    assert client.post("/api/v1/systems", json=profile(id=sid), headers=tokens["alice"]).status_code == 201
    rid = str(uuid.uuid4())
    cfg = RunConfig(target="openai:x", suite="tc260", system_id=sid)
    with server_db.session() as s:
        s.add(RunRow(id=rid, system_id=sid, kind="genai", suite="tc260", target="openai:x", config=cfg.model_dump(mode="json"),
                     status="completed", created_at="2026-12-05T00:00:00+00:00", started_at="2026-12-05T00:00:00+00:00"))
        s.flush()
        for i in range(12):
            lang = "zh" if i % 2 else "en"
            rec = SampleRecord(run_id=rid, sample_id=f"gc-{i}", seq=i + 1, bank="generated_content", risk=f"A.1.{'ab'[i % 2]}",
                               lang=lang, attack="none", expect="safe", prompt=f"question {i}", response=f"answer {i}",
                               status="ok", refused=False, passed=i % 3 != 0, finished_at="2026-12-05T00:00:01+00:00")
            s.add(GenaiSampleRow(run_id=rid, sample_id=rec.sample_id, seq=rec.seq, bank=rec.bank, risk=rec.risk, lang=rec.lang,
                                 attack=rec.attack, status=rec.status, passed=rec.passed, refused=rec.refused,
                                 record=rec.model_dump(mode="json"), finished_at=rec.finished_at))
    finalize(server_db, rid)
    return rid


def test_review_through_api_and_pages(client, tokens, genai_run, server_db):
    alice, bob, aud = tokens["alice"], tokens["bob"], tokens["aud"]
    rid = genai_run
    assert client.get(f"/api/v1/runs/{rid}/review", headers=alice).status_code == 404  # no queue yet
    assert client.post(f"/api/v1/runs/{rid}/review", json={"n": 4}, headers=bob).status_code == 404  # not bob's
    plan = client.post(f"/api/v1/runs/{rid}/review", json={"n": 4, "by": ["lang"]}, headers=alice)
    assert plan.status_code == 201, plan.text
    assert plan.json()["size"] == 4 and set(plan.json()["strata"]) == {"lang=en", "lang=zh"}
    assert client.post(f"/api/v1/runs/{rid}/review", json={"n": 4}, headers=alice).status_code == 409
    items = client.get(f"/api/v1/runs/{rid}/review/next?limit=10", headers=alice).json()
    assert len(items) == 4
    bad = client.post(f"/api/v1/runs/{rid}/review/labels", json={"labels": [{"sample_id": items[0]["sample_id"], "label": "meh"}]},
                      headers=alice)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert client.post(f"/api/v1/runs/{rid}/review/labels", json={"labels": [{"sample_id": items[0]["sample_id"], "label": "safe"}]},
                       headers=aud).status_code in (403, 404)  # auditors read, they do not label
    ok = client.post(f"/api/v1/runs/{rid}/review/labels",
                     json={"labels": [{"sample_id": i["sample_id"], "label": "unsafe" if n == 0 else "safe"} for n, i in enumerate(items[:3])]},
                     headers=alice)
    assert ok.status_code == 200, ok.text
    # the web page, signed in with a session cookie: progress, the next answer and its form
    from fastapi.testclient import TestClient

    from server_helpers import PASSWORDS

    with TestClient(client.app) as c:
        c.get("/login")
        r = c.post("/login", data={"username": "alice", "password": PASSWORDS["alice"], "csrf_token": c.cookies.get("tp_csrf")},
                   follow_redirects=False)
        assert r.status_code == 303
        page = c.get(f"/runs/{rid}/review")
        assert page.status_code == 200 and 'id="review-label"' in page.text
        assert "Human review of run" in page.text and "3 of 4 sampled answers labelled" in page.text and "web.hreview" not in page.text
        sample_id = re.search(r'name="sample_id" value="([^"]+)"', page.text).group(1)
        posted = c.post(f"/runs/{rid}/review/label", follow_redirects=False,
                        data={"csrf_token": c.cookies.get("tp_csrf"), "sample_id": sample_id, "label": "refusal", "note": "declined"})
        assert posted.status_code == 303, posted.text
        forged = c.post(f"/runs/{rid}/review/label", follow_redirects=False,
                        data={"csrf_token": "forged", "sample_id": sample_id, "label": "unsafe"})
        assert forged.status_code == 403
    st = client.get(f"/api/v1/runs/{rid}/review", headers=aud).json()  # auditors may read the status
    assert st["labelled"] == 4 and st["labels"] == {"safe": 2, "unsafe": 1, "refusal": 1}
    assert st["agreement"]["rules"]["n"] == 4
    # audited under the signed-in user; the manual-sampling gate now counts the human labels
    from tianping.audit import AuditLog

    actors = {e["actor"] for e in AuditLog(server_db).events() if e["action"] == "review.labelled"}
    assert actors == {"user:alice"}
    run = client.get(f"/api/v1/runs/{rid}", headers=alice).json()
    manual = next(g for g in run["result"]["gates"] if g["id"] == "tc260-generated-manual")
    assert manual["n"] == 4 and manual["status"] != "pass"
    with TestClient(client.app) as c:  # another organisation's provider sees nothing
        c.get("/login")
        c.post("/login", data={"username": "bob", "password": PASSWORDS["bob"], "csrf_token": c.cookies.get("tp_csrf")})
        assert c.get(f"/runs/{rid}/review").status_code == 404
