"""The 2025 Global AI Governance Action Plan: all thirteen actions in the catalog, and its voluntary rule pack
(a companion of `cn`) on three systems - in scope, out of scope, undetermined with the questions that decide
it - never binding, its citations resolving to the plan's actions and its dates those of the catalog."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from tianping.catalog.loader import default_catalog
from tianping.cli.main import app
from tianping.registry.profile import AISystem
from tianping.rules.engine import classify, coverage
from tianping.rules.pack import default_packs

PACK = "cn-ai-governance-action-plan"
PLAN = "cn-ai-governance-action-plan"
NUMERALS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三"]
ALL_OBLIGATIONS = ["gap-risk-assessment", "gap-traceability", "gap-data-protection", "gap-data-quality",
                   "gap-energy-efficiency", "gap-open-source", "gap-standards"]


@pytest.fixture(scope="module")
def cat():
    return default_catalog()


@pytest.fixture(scope="module")
def lp():
    (found,) = [p for p in default_packs() if p.pack.id == PACK]
    return found


def system(jurisdictions, roles=None, **kw) -> AISystem:
    base = dict(id="sys-plan", name="S", organisation={"name": "Org"}, jurisdictions=jurisdictions, roles=roles or {})
    base.update(kw)
    return AISystem.model_validate(base)


def under(s, as_of=None):
    (r,) = [r for r in classify(s, as_of=as_of) if r.pack == PACK]
    return r


def ids(obls):
    return [o.id for o in obls]


# a Chinese developer offering an open-weight model that processes personal data
IN_SCOPE = dict(jurisdictions=["CN"], roles={"CN": ["developer", "service_provider"]}, open_source=True,
                model_kinds=["generative_text"], data=[{"category": "personal"}])


# ------------------------------------------------------------------ the catalog: all thirteen actions
def test_all_thirteen_actions_in_order(cat):
    inst = cat.instruments[PLAN]
    actions = [p for p in inst.provisions if p.kind.value == "action"]
    assert [p.id for p in actions] == [f"action-{n}" for n in range(1, 14)]
    assert [p.number for p in actions] == NUMERALS
    assert inst.facts == {"actions": len(actions)}
    for p in actions:
        assert p.title.en and p.title.zh and p.summary.en and p.summary.zh and p.principles
        # honest flags: what was not read in the official text says so, and says what was read
        assert p.verified or (p.verification_note and len(p.verification_note) > 40), p.id
    assert all(p.verified for p in actions[:3]) and not any(p.verified for p in actions[3:])


def test_new_actions_reach_other_instruments(cat):
    """Actions 4-13 each have a graded, justified crosswalk row, except the public-sector action (9), which
    has no counterpart the project could justify."""
    rows = [m for m in cat.provision_mappings() if m.subject.startswith(f"{PLAN}:") or m.object.startswith(f"{PLAN}:")]
    linked = {m.subject.split(":", 1)[1] for m in rows if m.subject.startswith(f"{PLAN}:")}
    assert {f"action-{n}" for n in range(1, 14)} - linked == {"action-9"}
    for m in rows:
        assert m.object in cat.provisions and m.subject in cat.provisions
        assert m.object.split(":", 1)[0] != PLAN and len(m.comment) >= 40 and 0.2 <= m.confidence <= 0.95


# ------------------------------------------------------------------ the pack as data
def test_pack_is_voluntary_companion_of_cn_and_cites_the_plan(lp, cat):
    pack = lp.pack
    assert pack.voluntary and not pack.proposed and pack.extends == "cn"
    assert pack.jurisdiction == "CN" and pack.covers == ["CN"] and pack.instruments == [PLAN]
    assert pack.effective_from == cat.instruments[PLAN].dates.published == dt.date(2025, 7, 26)
    rules = lp.designations + lp.obligations
    assert ids(lp.obligations) == ALL_OBLIGATIONS
    for r in rules:
        assert r.cites and all(c.startswith(f"{PLAN}:action-") and c in cat.provisions for c in r.cites), r.id
        assert r.spec.applies_from == dt.date(2025, 7, 26), r.id
        # a rule citing an action not verified in the official text is not verified either
        if not all(cat.provisions[c].provision.verified for c in r.cites):
            assert r.spec.verified is False, r.id
    # every profile field a rule reads has a question, in English and Chinese
    read = {f for r in rules for f in r.reads} | set(lp.applies_if.reads)
    fields = {f for f in read if f.startswith(("system.", "derived."))}
    assert fields == {"system.jurisdictions", "system.roles.CN", "derived.data_categories", "system.open_source"}
    for f in fields:
        q = pack.questions[f]
        assert q.text.en and q.text.zh
    # texts in the data languages too (the pack carries them; codes kept)
    for text in [pack.title, *(t.title for t in pack.tiers), *(o.title for o in pack.obligations)]:
        for lang in ("ms", "id", "th", "vi", "fil"):
            assert getattr(text, lang), (text.en, lang)
    assert "service_provider" in pack.questions["system.roles.CN"].text.th


# ------------------------------------------------------------------ three systems
def test_in_scope_developer_gets_every_practice_from_the_release_date():
    r = under(system(**IN_SCOPE))
    assert r.applies == "yes" and r.voluntary and r.tier == "developer_provider"
    assert ids(r.obligations) == ALL_OBLIGATIONS and r.questions == []
    assert {o.applies_from for o in r.obligations} == {"2025-07-26"}
    assert all(o.verified is False for o in r.obligations)
    assert [x["rule"] for x in r.reasons] == ["gap-developer-provider"]
    # before the plan was released nothing applies yet; the practices are upcoming with their date
    early = under(system(**IN_SCOPE), as_of=dt.date(2025, 7, 25))
    assert early.obligations == [] and {o.applies_from for o in early.upcoming} == {"2025-07-26"}
    assert under(system(**IN_SCOPE), as_of=dt.date(2025, 7, 26)).obligations
    # closed weights: no open-source practice
    closed = under(system(**{**IN_SCOPE, "open_source": False}))
    assert "gap-open-source" not in ids(closed.obligations) and "gap-data-quality" in ids(closed.obligations)


def test_in_house_user_gets_only_the_users_practices():
    r = under(system(["CN"], {"CN": ["deployer"]}, data=[{"category": "personal"}], open_source=True))
    assert r.tier == "user" and ids(r.obligations) == ["gap-risk-assessment", "gap-data-protection"]
    no_personal = under(system(["CN"], {"CN": ["deployer"]}, data=[]))
    assert ids(no_personal.obligations) == ["gap-risk-assessment"] and no_personal.questions == []


def test_out_of_scope_outside_china():
    s = system(["SG", "EU"], {"SG": ["provider"], "EU": ["provider"]}, open_source=True)
    r = under(s)
    assert r.applies == "no" and r.obligations == [] and r.tier is None
    # asked for Singapore or the EU, the plan's pack is not even consulted
    assert PACK not in {x.pack for x in classify(s, jurisdictions=["SG", "EU"])}


def test_undetermined_without_the_china_roles_asks_them():
    r = under(system(["CN", "SG"], {"SG": ["provider"]}))
    assert r.applies == "yes" and r.tier == "undetermined" and r.possible_tiers == ["developer_provider"]
    asked = {q.field: q for q in r.questions}
    assert set(asked) == {"system.roles.CN", "derived.data_categories"}
    assert asked["system.roles.CN"].choices == ["developer", "provider", "service_provider", "technical_supporter", "deployer"]
    assert asked["system.roles.CN"].text["en"] and asked["system.roles.CN"].text["zh"]
    # the one practice for everyone still shows; the developer's practices wait for the answer
    assert ids(r.obligations) == ["gap-risk-assessment"] and ids(r.possible_obligations) == ["gap-data-protection"]
    # answering the question decides the tier
    assert under(system(["CN", "SG"], {"SG": ["provider"], "CN": ["technical_supporter"]})).tier == "developer_provider"


# ------------------------------------------------------------------ never binding
def test_never_a_binding_obligation():
    results = [r for r in classify(system(**IN_SCOPE), jurisdictions=["CN"]) if r.applies != "no"]
    by_pack = {r.pack: r for r in results}
    assert set(by_pack) == {"cn", PACK}
    assert by_pack[PACK].voluntary is True and by_pack["cn"].voluntary is False
    # China stays bindingly covered because of `cn`, never because of the plan
    packs = [lp for lp in default_packs() if "CN" in lp.covers]
    assert [lp.pack.id for lp in packs if not lp.pack.voluntary] == ["cn"]
    (c,) = coverage(jurisdictions=["CN"])
    assert PACK in c["packs"] and c["binding_pack"] is True


def test_cli_marks_the_plan_voluntary(tmp_path):
    f = tmp_path / "sys.json"
    f.write_text(json.dumps({"id": "sys-plan", "name": "S", "organisation": {"name": "Org"}, **IN_SCOPE}), encoding="utf-8")
    runner = CliRunner()
    db = ["--db", str(tmp_path / "t.db")]
    res = runner.invoke(app, [*db, "classify", str(f), "--jurisdiction", "CN", "--json"])
    assert res.exit_code == 0, res.output
    (r,) = [r for r in json.loads(res.stdout)["results"] if r["pack"] == PACK]
    assert r["voluntary"] is True and r["tier"] == "developer_provider"
    obl = runner.invoke(app, [*db, "obligations", str(f), "--jurisdiction", "CN", "--json"])
    assert obl.exit_code == 0, obl.output
    rows = [x for x in json.loads(obl.stdout)["obligations"] if x["voluntary"]]
    assert len(rows) == 1 and [o["id"] for o in rows[0]["applies"]] == ALL_OBLIGATIONS
