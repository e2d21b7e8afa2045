"""The filing workflow's rules live in the domain (`registry.filing`) and the server's
FilingService applies them: the state machine, who may act, deadlines in working days, the
published copy — tested on plain objects, then through the server's service on a database."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from tianping.registry import filing as fl


def _filing(**kw):
    base = dict(status=None, deadline=None, deadline_kind=None, effective_date=None, review_comment=None, filing_number=None,
                published_document=None, published_name=None, published_name_zh=None, published_jurisdictions=None,
                published_version=None, published_at=None)
    return SimpleNamespace(**{**base, **kw})


def _act(f, action, role="admin", **kw):
    fl.check_transition(f, action, role, own_organisation=True, is_provider=role == "provider")
    return fl.apply_transition(f, action, version=kw.pop("version", 1), document=kw.pop("document", {"name": "S"}),
                               name="S", now="2026-01-01T00:00:00+00:00", **kw)


def test_the_whole_workflow_on_a_plain_object():
    f = _filing()
    fl.open_filing(f, dt.date(2026, 3, 6))  # a Friday: 10 working days later is Friday 20 March
    assert (f.status, f.deadline, f.deadline_kind) == ("draft", "2026-03-20", "filing")
    assert fl.actions("draft") == ["submit"]

    data = _act(f, "submit", "provider")
    assert data["from"] == "draft" and data["to"] == "submitted" and data["late"] is (dt.date.today().isoformat() > "2026-03-20")
    assert f.deadline is None and f.deadline_kind is None
    _act(f, "start_review", "reviewer")
    with pytest.raises(fl.FilingRuleError) as e:
        _act(f, "return", "reviewer", comment="  ")
    assert (e.value.kind, e.value.field) == ("invalid", "comment") and f.status == "under_review"
    assert _act(f, "return", "reviewer", comment=" section 3 missing ")["comment"] == "section 3 missing"
    assert f.status == "returned" and f.review_comment == "section 3 missing"
    _act(f, "submit", "provider")
    assert f.review_comment is None
    _act(f, "start_review", "reviewer")
    _act(f, "approve", "reviewer")
    numbers = iter(["TP-2026-0000001", "TP-2026-0000002"])
    doc = {"name": "S", "name_zh": "系统", "jurisdictions": ["CN"]}
    data = _act(f, "publish", "reviewer", version=3, document=doc, number=lambda: next(numbers))
    assert data["filing_number"] == f.filing_number == "TP-2026-0000001"
    assert (f.published_document, f.published_name_zh, f.published_jurisdictions, f.published_version) == (doc, "系统", ["CN"], 3)

    # an edit of a published filing: changed, due 10 working days after the change takes effect
    ev = fl.apply_edit(f, placed_on_market=None, effective_date="2026-04-01", version=4)
    assert f.status == "changed" and (f.deadline, f.deadline_kind) == ("2026-04-15", "change")
    assert ev == {"from": "published", "to": "changed", "version": 4, "effective_date": "2026-04-01", "deadline": "2026-04-15",
                  "cites": [fl.DEADLINE_CITE]}
    assert fl.deadline_view(f)["working_days"] == 10 and fl.deadline_view(f)["cites"] == ["cn-algorithm-recommendation:art-24"]
    _act(f, "start_review", "reviewer")
    assert "late" in _act(f, "approve", "reviewer") and f.deadline is None
    _act(f, "publish", "reviewer", version=4, number=lambda: next(numbers))
    assert f.filing_number == "TP-2026-0000001"  # the public number is kept

    data = _act(f, "withdraw", "provider", effective_date="2026-05-29")
    assert f.status == "withdrawn" and (f.deadline, f.deadline_kind) == ("2026-06-26", "deregistration")
    assert data["deadline"] == "2026-06-26" and fl.actions("withdrawn") == []


def test_who_may_act_and_from_where():
    f = _filing(status="draft")
    with pytest.raises(fl.FilingRuleError) as e:
        fl.check_transition(f, "approve", "provider", own_organisation=True, is_provider=True)
    assert e.value.kind == "forbidden" and "provider cannot approve" in e.value.message
    with pytest.raises(fl.FilingRuleError) as e:
        fl.check_transition(f, "submit", "provider", own_organisation=False, is_provider=True)
    assert e.value.kind == "forbidden"
    with pytest.raises(fl.FilingRuleError) as e:
        _act(f, "publish")
    assert e.value.kind == "conflict" and "allowed from: approved" in e.value.message and f.status == "draft"
    with pytest.raises(fl.FilingRuleError) as e:
        fl.check_transition(f, "bless", "admin", own_organisation=True, is_provider=False)
    assert (e.value.kind, e.value.field) == ("invalid", "action")
    g = _filing(status="published")
    with pytest.raises(fl.FilingRuleError) as e:
        _act(g, "withdraw", effective_date="31/05/2026")
    assert (e.value.kind, e.value.field) == ("invalid", "effective_date") and g.status == "published"  # nothing changed
    with pytest.raises(fl.FilingRuleError) as e:
        fl.apply_edit(_filing(status="under_review"), placed_on_market=None, effective_date=None, version=2)
    assert e.value.kind == "conflict"
    draft = _filing(status="draft")
    assert fl.apply_edit(draft, placed_on_market=dt.date(2026, 3, 6), effective_date=None, version=2) is None
    assert draft.deadline == "2026-03-20"  # the filing deadline follows the launch date, no event


def test_every_state_is_reachable_and_every_action_has_sources():
    reach = {"draft"}
    frontier = ["draft"]
    while frontier:
        st = frontier.pop()
        nxt = {t.target for t in fl.TRANSITIONS.values() if st in t.sources} | ({"changed"} if st in fl.PUBLIC_STATES else set())
        for n in nxt - reach:
            reach.add(n)
            frontier.append(n)
    assert reach == set(fl.STATES)
    assert all(set(t.sources) <= set(fl.STATES) and t.roles for t in fl.TRANSITIONS.values())


def test_the_server_applies_the_domain_rules(tmp_path):
    """The server re-exports the domain's tables (one definition) and maps its rule errors to 422/403/409;
    its FilingService takes a system through the workflow with the domain's deadlines and audit data."""
    from sqlalchemy import select

    from tianping.server import filings as sf
    from tianping.server.accounts import ensure_organisation
    from tianping.server.principal import Principal
    from tianping.store import open_database
    from tianping.store.models import AuditEventRow

    assert sf.TRANSITIONS is fl.TRANSITIONS and sf.STATES is fl.STATES and sf.DEADLINE_DAYS is fl.DEADLINE_DAYS
    kinds = ("invalid", "forbidden", "conflict")
    assert [sf.rule_error(fl.FilingRuleError(k, "m", "f")).status for k in kinds] == [422, 403, 409]

    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    try:
        from server_helpers import profile
    finally:
        sys.path.pop(0)
    db = open_database(f"sqlite:///{tmp_path / 'f.db'}")
    with db.session() as s:
        org = ensure_organisation(s, "Acme")
        org_id = org.id
    provider = Principal("u1", "alice", "Alice", "provider", org_id, "Acme")
    reviewer = Principal("u2", "rita", "Rita", "reviewer", None, None)
    svc = sf.FilingService(db)
    doc = profile(id="filing-flow")
    doc["placed_on_market"] = "2026-03-06"
    view = svc.create(provider, sf.parse_profile(doc))
    assert view["filing"]["deadline"]["date"] == "2026-03-20" and view["filing"]["actions"] == ["submit"]
    with pytest.raises(sf.ServiceError) as e:
        svc.transition(provider, "filing-flow", "approve", view["filing"]["etag"])
    assert e.value.status == 403
    for who, action in ((provider, "submit"), (reviewer, "start_review"), (reviewer, "approve"), (reviewer, "publish")):
        view = svc.transition(who, "filing-flow", action, view["filing"]["etag"])
    assert view["status"] == "published" and view["filing"]["filing_number"].startswith("TP-")
    with pytest.raises(sf.ServiceError) as e:
        svc.transition(reviewer, "filing-flow", "publish", view["filing"]["etag"])
    assert e.value.status == 409
    doc["intended_purpose"] = str(doc.get("intended_purpose", "")) + " (changed)"
    view = svc.update(provider, "filing-flow", sf.parse_profile(doc), view["filing"]["etag"], effective_date="2026-04-01")
    assert view["status"] == "changed" and view["filing"]["deadline"]["date"] == "2026-04-15"
    with db.session() as s:
        acts = [e.action for e in s.scalars(select(AuditEventRow).where(AuditEventRow.subject_id == "filing-flow")
                                            .order_by(AuditEventRow.seq))]
    assert [a for a in acts if a.startswith("filing.")] == ["filing.created", "filing.submit", "filing.start_review",
                                                            "filing.approve", "filing.publish", "filing.changed"]
    db.dispose()
