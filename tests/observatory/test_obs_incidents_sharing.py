"""Incidents: AIID import, signed bundle round trip between databases, tampering, dedup, deadlines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tianping.crypto import init_keys
from tianping.errors import TianpingError
from tianping.observatory.incidents.bundle import export_bundle, import_bundle, read_bundle, verify_bundle
from tianping.observatory.incidents.deadlines import deadlines
from tianping.observatory.incidents.schema import Incident, content_hash
from tianping.observatory.incidents.service import IncidentService, read_aiid
from tianping.store import open_database

INCIDENTS = '''_id,incident_id,date,reports,Alleged deployer of AI system,Alleged developer of AI system,Alleged harmed or nearly harmed parties,description,title
a1,901,2026-05-01,"[1,2]","[""deployco""]","[""devco"",""lab-x""]","[""users""]","A chatbot leaked personal data, 数据泄露",Model leaked PII
a2,902,2026-05-02,[3],"[""busco""]",[],"[""pedestrians""]",A self-driving bus hit a barrier,Self-driving mishap
'''
REPORTS = '''report_number,title,url,source_domain,date_published,language,authors
1,First look,https://news.test/a,news.test,2026-05-01,en,"[""A. Writer""]"
2,后续报道,https://news.test/b,news.test,2026-05-02,zh,[]
3,The bus crash,https://wire.test/c,wire.test,2026-05-02,en,[]
'''
MIT = '''Namespace,Incident ID,Published,Risk Domain,Risk Subdomain,Entity,Timing,Intent
MIT,901,true,2. Privacy & Security,2.1. Compromise of privacy by obtaining; leaking or inferring information,AI,Post-deployment,Unintentional
MIT,902,true,7. AI system safety; failures; and limitations,7.3. Lack of capability or robustness,AI,Post-deployment,Unintentional
'''
CSET = '''Incident ID,Namespace,Harm Domain,Tangible Harm,AI System,Lives Lost,Injuries,Location Country (two letters)
902,CSETv1,yes,tangible harm definitively occurred,yes,0,2,SG
'''


@pytest.fixture
def snapshot(tmp_path) -> dict[str, Path]:
    files = {"incidents": INCIDENTS, "reports": REPORTS, "classifications_MIT": MIT, "classifications_CSETv1": CSET}
    out = {}
    for name, text in files.items():
        p = tmp_path / f"{name}.csv"
        p.write_text(text, encoding="utf-8")
        out[name] = p
    return out


def _incidents(snapshot):
    return read_aiid(snapshot["incidents"], snapshot["reports"], [snapshot["classifications_MIT"], snapshot["classifications_CSETv1"]])


def test_aiid_snapshot_is_read_with_reports_and_classifications(snapshot):
    a, b = _incidents(snapshot)
    assert a.id == "aiid-901" and a.developers == ["devco", "lab-x"] and a.description.endswith("数据泄露")
    assert [r.report_number for r in a.reports] == [1, 2] and a.reports[1].language == "zh" and a.reports[0].authors == ["A. Writer"]
    mit = next(c for c in a.classifications if c.namespace == "MIT")
    assert mit.attributes["tianping_provision"] == "mit-ai-risk-domains:2.1"
    from tianping.catalog.loader import default_catalog

    assert mit.attributes["tianping_provision"] in default_catalog().provisions
    assert {c.namespace for c in b.classifications} == {"MIT", "CSETv1"}


def test_import_export_import_round_trips_without_loss(tmp_path, snapshot):
    db1 = open_database(f"sqlite:///{tmp_path / 'one.db'}")
    db2 = open_database(f"sqlite:///{tmp_path / 'two.db'}")
    one, two = IncidentService(db1), IncidentService(db2)
    res = one.save(_incidents(snapshot), origin="aiid:test")
    assert len(res.imported) == 2
    key = init_keys(tmp_path / "keys")
    info = export_bundle(one, tmp_path / "bundle.json", key)
    assert info["items"] == 2
    res2, meta = import_bundle(two, tmp_path / "bundle.json", trusted=[key.fingerprint])
    assert len(res2.imported) == 2 and meta["signer"] == key.fingerprint
    assert [i.canonical() for i in one.all()] == [i.canonical() for i in two.all()]
    assert [content_hash(i) for i in one.all()] == [content_hash(i) for i in two.all()]
    # and back again: a second export from the other database is byte-identical in content
    export_bundle(two, tmp_path / "back.json", key)
    assert [it["hash"] for it in read_bundle(tmp_path / "back.json")["items"]] == [it["hash"] for it in read_bundle(tmp_path / "bundle.json")["items"]]
    db1.dispose()
    db2.dispose()


def test_duplicates_are_not_imported_twice(tmp_path, snapshot):
    db = open_database(f"sqlite:///{tmp_path / 'd.db'}")
    svc = IncidentService(db)
    svc.save(_incidents(snapshot))
    again = svc.save(_incidents(snapshot))
    assert again.duplicates == ["aiid-901", "aiid-902"] and not again.imported
    key = init_keys(tmp_path / "k")
    export_bundle(svc, tmp_path / "b.json", key)
    res, _ = import_bundle(svc, tmp_path / "b.json")
    assert len(res.duplicates) == 2 and not res.imported
    assert len(svc.list()) == 2
    # same id, changed content: a conflict unless --replace
    changed = _incidents(snapshot)[0].model_copy(update={"title": "Model leaked PII (updated)"})
    from tianping.observatory.incidents.bundle import build_bundle, write_bundle

    write_bundle(build_bundle([changed], key), tmp_path / "c.json")
    res, _ = import_bundle(svc, tmp_path / "c.json")
    assert res.conflicts == ["aiid-901"]
    res, _ = import_bundle(svc, tmp_path / "c.json", replace=True)
    assert res.updated == ["aiid-901"] and svc.get("901")[0].title.endswith("(updated)")
    db.dispose()


def _tampered(tmp_path, snapshot, mutate) -> Path:
    db = open_database(f"sqlite:///{tmp_path / 't.db'}")
    svc = IncidentService(db)
    svc.save(_incidents(snapshot))
    key = init_keys(tmp_path / "kt", force=True)
    export_bundle(svc, tmp_path / "t.json", key)
    data = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    mutate(data)
    (tmp_path / "bad.json").write_text(json.dumps(data), encoding="utf-8")
    db.dispose()
    return tmp_path / "bad.json"


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d["items"][0]["incident"].__setitem__("title", "Nothing happened"), "items.0.incident"),
    (lambda d: d["items"][1].__setitem__("hash", d["items"][0]["hash"]), "items.1.incident"),
    (lambda d: d["items"].pop(), "signature.value"),
    (lambda d: d.__setitem__("created_at", "2020-01-01T00:00:00+00:00"), "signature.value"),
    (lambda d: d["signature"].__setitem__("fingerprint", "0" * 64), "signature.fingerprint"),
])
def test_a_tampered_bundle_is_rejected_before_anything_is_written(tmp_path, snapshot, mutate, field):
    bad = _tampered(tmp_path, snapshot, mutate)
    target = IncidentService(open_database(f"sqlite:///{tmp_path / 'target.db'}"))
    with pytest.raises(TianpingError) as ei:
        import_bundle(target, bad)
    assert ei.value.problems[0].field == field
    assert target.list() == []


def test_untrusted_signer_is_rejected(tmp_path, snapshot):
    bad = _tampered(tmp_path, snapshot, lambda d: None)
    with pytest.raises(TianpingError, match="untrusted key"):
        verify_bundle(read_bundle(bad), trusted=["ab" * 32])


def test_eu_ai_act_art_73_deadlines():
    def d(**eu):
        return deadlines(Incident(id="x", title="t", eu_ai_act={"high_risk": True, "aware_date": "2026-09-01", **eu}))[0]

    assert (d(serious_health_harm=True)["days"], d(serious_health_harm=True)["report_by"]) == (15, "2026-09-16")
    assert (d(death=True)["days"], d(death=True)["report_by"]) == (10, "2026-09-11")
    assert d(critical_infrastructure_disruption=True)["days"] == 2 and d(widespread_infringement=True)["report_by"] == "2026-09-03"
    assert d(death=True, critical_infrastructure_disruption=True)["days"] == 2  # the shortest applicable period
    assert d()["status"] == "not_applicable"
    assert deadlines(Incident(id="x", title="t", eu_ai_act={"high_risk": False, "death": True}))[0]["status"] == "not_applicable"
    maybe = deadlines(Incident(id="x", title="t", eu_ai_act={"death": True}))[0]
    assert maybe["status"] == "possibly" and maybe["question"]["zh"] and maybe["report_by"] is None
    early = d(death=True, aware_date="2025-01-10")
    assert "note" in early and early["cites"] == ["eu-ai-act:art-73"]


def test_link_to_registered_systems_and_cli(tmp_path, snapshot, sqlite_url, monkeypatch):
    from tianping.cli.main import app

    monkeypatch.setenv("TIANPING_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    base = ["--db", sqlite_url]
    r = runner.invoke(app, base + ["incidents", "import-aiid", str(snapshot["incidents"]), "--reports", str(snapshot["reports"]),
                                   "--classifications", str(snapshot["classifications_MIT"]), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["imported"] == 2
    r = runner.invoke(app, base + ["incidents", "link", "aiid-901", "no-such-system", "--json"])
    assert r.exit_code == 2
    from tianping.registry.profile import AISystem
    from tianping.registry.service import RegistryService

    db = open_database(sqlite_url)
    RegistryService(db).register(AISystem.model_validate({"id": "chatbot-1", "name": "Chatbot", "organisation": {"name": "DeployCo"}, "jurisdictions": ["EU"]}))
    r = runner.invoke(app, base + ["incidents", "link", "aiid-901", "chatbot-1", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["systems"] == ["chatbot-1"]
    r = runner.invoke(app, base + ["incidents", "list", "--system", "chatbot-1", "--json"])
    assert [x["id"] for x in json.loads(r.stdout)] == ["aiid-901"]
    assert runner.invoke(app, base + ["keys", "init"]).exit_code == 0
    r = runner.invoke(app, base + ["incidents", "export", str(tmp_path / "out.json"), "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["items"] == 2
    data = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    data["items"][0]["incident"]["systems"] = []
    (tmp_path / "bad.json").write_text(json.dumps(data), encoding="utf-8")
    r = runner.invoke(app, base + ["incidents", "verify", str(tmp_path / "bad.json"), "--json"])
    assert r.exit_code == 2 and "bundle rejected" in r.stdout
    r = runner.invoke(app, ["--lang", "zh"] + base + ["incidents", "show", "901"])
    assert r.exit_code == 0 and "sha256:" in r.stdout
    db.dispose()
