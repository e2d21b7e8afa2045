"""Packs and instruments as plug-ins: TIANPING_PATH data directories, the decorator registry, entry points
of an installed third-party package, lists derived from the loaded data, and the completeness rules that
`tianping catalog validate` shows an outside author."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tianping import plugins
from tianping.errors import TianpingError

ROOT = Path(__file__).resolve().parents[1]

INSTRUMENT = """\
id: nz-acme-act
title: {en: Acme Algorithms Act 2026 (fictional), zh: 2026年阿克米算法法（虚构）}
short_title: {en: Acme Act, zh: 阿克米法}
issuer: {en: Fictional Parliament, zh: 虚构议会}
jurisdiction: NZ
kind: binding_law
dates:
  entry_into_force: 2026-07-01
source_url: https://example.org/acme-act
languages: [en]
summary: {en: A fictional law used to test third-party packs., zh: 用于测试第三方规则包的虚构法律。}
verified: false
verification_note: Fictional instrument for the plug-in test.
provisions:
  - id: s-5
    kind: article
    number: s 5
    title: {en: Register automated decisions, zh: 登记自动化决策}
    summary: {en: Operators of automated decision systems register them., zh: 自动化决策系统的运营者须进行登记。}
    principles: [accountability]
    verified: false
    verification_note: Fictional.
"""
MAPPING = """\
mapping_set_id: nz-acme
description: Fictional crosswalk for the plug-in test.
mappings:
- subject: nz-acme-act:s-5
  predicate: related
  object: eu-ai-act:art-49
  confidence: 0.6
  comment: Both require registration.
  comment_zh: 两者都要求登记。
  author: plugin-test
"""
PACK = """\
id: nz-acme
jurisdiction: NZ
covers: [NZ]
title: {en: Acme Algorithms Act (fictional), zh: 阿克米算法法（虚构）}
version: "1"
effective_from: 2026-07-01
instruments: [nz-acme-act]
applies_if: "'NZ' in system.jurisdictions"
tiers:
  - {id: registered, title: {en: Registered automated decision system, zh: 须登记的自动化决策系统}}
  - {id: other, title: {en: Other, zh: 其他}, default: true}
designations:
  - id: nz-acme-decisions
    tier: registered
    when: "system.decision_substantial_factor"
    cites: [nz-acme-act:s-5]
    because: {en: It makes decisions about people., zh: 它对个人作出决定。}
    applies_from: 2026-07-01
obligations:
  - id: nz-acme-register
    title: {en: Register the system, zh: 登记该系统}
    when: "'registered' in tiers"
    roles: [deployer]
    cites: [nz-acme-act:s-5]
    applies_from: 2026-07-01
questions:
  system.decision_substantial_factor:
    text: {en: Does it make decisions about people?, zh: 它是否对个人作出决定？}
"""
JURISDICTION_QUESTION = """\
  system.jurisdictions:
    text: {en: Is it used in New Zealand?, zh: 是否在新西兰使用？}
"""
PROFILE = "id: nz-sys\nname: N\norganisation: {name: O}\njurisdictions: [nz]\nroles: {nz: [deployer]}\ndecision_substantial_factor: true\n"


def data_dir(root: Path, *, question: bool = True, mapping: bool = True) -> Path:
    for sub in ("packs", "instruments", "mappings"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "instruments" / "nz-acme-act.yaml").write_text(INSTRUMENT, encoding="utf-8")
    if mapping:
        (root / "mappings" / "nz-acme.yaml").write_text(MAPPING, encoding="utf-8")
    (root / "packs" / "nz-acme.yaml").write_text(PACK + (JURISDICTION_QUESTION if question else ""), encoding="utf-8")
    return root


@pytest.fixture
def tianping_path(tmp_path, monkeypatch):
    """Set TIANPING_PATH to a fresh data directory; caches are re-read before and after."""

    def use(**kw) -> Path:
        d = data_dir(tmp_path / "data", **kw)
        monkeypatch.setenv(plugins.ENV_PATH, str(d))
        plugins.reload()
        return d

    yield use
    monkeypatch.delenv(plugins.ENV_PATH, raising=False)
    plugins.reload()


def test_tianping_path_adds_a_pack_and_an_instrument(tianping_path):
    from tianping.catalog.loader import default_catalog
    from tianping.catalog.validate import validate_catalog
    from tianping.registry.profile import AISystem
    from tianping.registry.questionnaire import KNOWN_JURISDICTIONS, questions
    from tianping.rules.engine import classify, coverage
    from tianping.rules.pack import default_packs

    assert "NZ" not in KNOWN_JURISDICTIONS
    tianping_path()
    assert "nz-acme-act" in default_catalog().instruments
    assert "nz-acme" in [lp.pack.id for lp in default_packs()]
    s = AISystem.model_validate({"id": "nz-sys", "name": "N", "organisation": {"name": "O"}, "jurisdictions": ["nz"],
                                 "roles": {"nz": ["deployer"]}, "decision_substantial_factor": True})
    (r,) = [r for r in classify(s) if r.applies != "no"]
    assert r.pack == "nz-acme" and r.tier == "registered" and [o.id for o in r.obligations] == ["nz-acme-register"]
    assert coverage(jurisdictions=["NZ"])[0]["status"] == "covered"
    # lists are derived from the loaded data: the questionnaire knows NZ and asks the pack's question
    assert "NZ" in KNOWN_JURISDICTIONS and "NZ" in plugins.jurisdictions()
    assert [q.field for q in questions(["NZ"], "en")] == ["decision_substantial_factor"]
    validate_catalog()  # complete: a question for every field read, the instrument in the crosswalk


@pytest.mark.parametrize("kw, needle, field", [
    ({"question": False}, "reads 'system.jurisdictions' but asks no question", "questions"),
    ({"mapping": False}, "instrument 'nz-acme-act' is not in the crosswalk", "id"),
])
def test_catalog_validate_shows_an_outside_author_the_completeness_rules(tianping_path, kw, needle, field):
    from tianping.catalog.validate import validate_catalog

    d = tianping_path(**kw)
    with pytest.raises(TianpingError) as ei:
        validate_catalog()
    hits = [p for p in ei.value.problems if needle in p.message]
    assert hits and hits[0].field == field and str(d) in (hits[0].file or ""), [p.render() for p in ei.value.problems]


def test_catalog_validate_cli_locates_plugin_problems(tianping_path):
    from typer.testing import CliRunner

    from tianping.cli.main import app

    tianping_path(question=False)
    res = CliRunner().invoke(app, ["catalog", "validate"])
    assert res.exit_code == 2 and "nz-acme.yaml" in res.output and "asks no question" in " ".join(res.output.split())


def test_a_broken_pack_file_is_located(tianping_path):
    from tianping.rules.pack import default_packs

    d = tianping_path()
    (d / "packs" / "nz-acme.yaml").write_text(PACK.replace("cites: [nz-acme-act:s-5]\n    because", "cites: [nz-acme-act:s-9]\n    because"),
                                              encoding="utf-8")
    plugins.reload()
    with pytest.raises(TianpingError) as ei:
        default_packs()
    assert "nz-acme-act:s-9" in ei.value.problems[0].message and ei.value.problems[0].line


def test_duplicate_pack_id_is_refused(tianping_path):
    from tianping.rules.pack import PACK_DIR, default_packs

    d = tianping_path()
    (d / "packs" / "copy.yaml").write_text((PACK_DIR / "jp-ai-promotion-act.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    plugins.reload()
    with pytest.raises(TianpingError) as ei:
        default_packs()
    assert "duplicate rule pack id 'jp-ai-promotion-act'" in ei.value.problems[0].message


def test_decorator_registry_for_exporters_and_checklists(tianping_path):
    from tianping.assessment.checklists import checklist_items
    from tianping.registry.exports import export_profile
    from tianping.registry.profile import AISystem

    @plugins.register("exporters", "acme-register")
    def export_acme(system):
        return {"format": "acme-register", "document": {"name": system.name}, "missing": [], "not_applicable": [], "notes": []}

    try:
        s = AISystem.model_validate({"id": "nz-sys", "name": "N", "organisation": {"name": "O"}, "jurisdictions": ["NZ"]})
        assert export_profile(s, "acme-register")["document"] == {"name": "N"}
    finally:
        plugins.unregister("exporters", "acme-register")
    tianping_path()
    plugins.register("checklists", "acme", {"nz-acme-act": "article"})
    try:
        assert plugins.checklists()["nz-acme-act"] == "article"
        assert [i.qid for i in checklist_items("nz-acme-act")] == ["nz-acme-act:s-5"]
        assert {"aiverify", "iso-iec-42001", "nist-ai-rmf"} <= set(plugins.checklists())
    finally:
        plugins.unregister("checklists", "acme")
        from tianping.assessment import checklists as cl

        cl.CHECKLISTS.pop("nz-acme-act", None)
    with pytest.raises(TianpingError):
        plugins.register("widgets", "x", object())


def test_api_accepts_any_code_the_normaliser_accepts():
    from tianping.server.api import checklist, questionnaire

    doc = questionnaire(jurisdictions="us-co, vn,COE", lang="en")
    assert doc["jurisdictions"] == ["US-CO", "VN", "COE"]
    fields = {q["field"] for q in doc["questions"]}
    assert {"employees_fte", "harm_severity"} <= fields  # Colorado's and Viet Nam's packs are asked
    assert questionnaire(jurisdictions="gb", lang="en")["jurisdictions"] == ["GB"]  # no pack: still a valid code
    with pytest.raises(TianpingError) as ei:
        questionnaire(jurisdictions="EU,UK", lang="en")
    assert "did you mean 'GB'" in str(ei.value.problems[0].message) and ei.value.problems[0].field == "jurisdictions"
    assert checklist("nist-ai-rmf")["items"]
    with pytest.raises(TianpingError):
        checklist("no-such-checklist")


def test_lists_are_not_hard_coded_any_more():
    api = (ROOT / "src" / "tianping" / "server" / "api.py").read_text(encoding="utf-8")
    web = (ROOT / "src" / "tianping" / "server" / "web.py").read_text(encoding="utf-8")
    q = (ROOT / "src" / "tianping" / "registry" / "questionnaire.py").read_text(encoding="utf-8")
    assert '("EU", "CN", "SG"' not in q and 'Literal["aiverify"' not in api and "KNOWN_JURISDICTIONS" not in api + web


# ------------------------------------------------------------------ a third-party package, installed
PYPROJECT = """\
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "acme-tianping"
version = "0.1.0"
description = "A third-party Tianping plug-in: the fictional Acme Algorithms Act"

[project.entry-points."tianping.packs"]
acme = "acme_tianping:PACKS"

[project.entry-points."tianping.instruments"]
acme = "acme_tianping:INSTRUMENTS"

[project.entry-points."tianping.mappings"]
acme = "acme_tianping:MAPPINGS"

[tool.setuptools]
packages = ["acme_tianping"]

[tool.setuptools.package-data]
acme_tianping = ["packs/*.yaml", "instruments/*.yaml", "mappings/*.yaml"]
"""
INIT = """\
from pathlib import Path

HERE = Path(__file__).parent
PACKS = HERE / "packs"
INSTRUMENTS = HERE / "instruments"
MAPPINGS = HERE / "mappings"
"""


def _run(cmd, **kw):
    env = {k: v for k, v in os.environ.items() if k not in (plugins.ENV_PATH, "PYTHONPATH", "VIRTUAL_ENV")}
    env["PIP_NO_INDEX"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    res = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, timeout=600, **kw)
    return res


@pytest.mark.slow
def test_third_party_pack_package_installed_in_a_venv_classifies(tmp_path):
    base_python = ROOT / ".venv" / "bin" / "python"
    if not base_python.exists():
        pytest.skip("no .venv")
    pkg = tmp_path / "acme-tianping"
    data_dir(pkg / "acme_tianping")
    (pkg / "acme_tianping" / "__init__.py").write_text(INIT, encoding="utf-8")
    (pkg / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")

    venv = tmp_path / "venv"
    # without its own pip/setuptools: those of .venv (reached below) build and install the package offline
    res = _run([base_python, "-m", "venv", "--system-site-packages", "--without-pip", venv])
    assert res.returncode == 0, res.stderr
    py = venv / "bin" / "python"
    # --system-site-packages reaches the base interpreter's packages; Tianping and its dependencies live in
    # .venv, so add that site directory too (addsitedir also reads its .pth files: the editable install)
    site_new = _run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    site_dev = _run([base_python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    Path(site_new, "zz_tianping_dev.pth").write_text(f"import site; site.addsitedir({site_dev!r})\n", encoding="utf-8")
    res = _run([py, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", pkg])
    assert res.returncode == 0, res.stdout + res.stderr
    # that venv's `tianping` command
    tp = venv / "bin" / "tianping"
    tp.write_text(f"#!{py}\nimport sys\nfrom tianping.cli.main import run\nsys.exit(run())\n", encoding="utf-8")
    tp.chmod(0o755)

    eps = _run([py, "-c", "from importlib.metadata import entry_points; print(sorted(e.name for e in entry_points(group='tianping.packs')))"])
    assert "acme" in eps.stdout, eps.stdout + eps.stderr
    profile = tmp_path / "nz.yaml"
    profile.write_text(PROFILE, encoding="utf-8")
    res = _run([tp, "--db", tmp_path / "t.db", "classify", profile, "--json"], cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    doc = json.loads(res.stdout)
    (r,) = [r for r in doc["results"] if r["applies"] != "no"]
    assert r["pack"] == "nz-acme" and r["tier"] == "registered" and [o["id"] for o in r["obligations"]] == ["nz-acme-register"]
    assert doc["coverage"][0]["status"] == "covered" and doc["coverage"][0]["packs"] == ["nz-acme"]
    res = _run([tp, "catalog", "validate"], cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    # the development environment itself does not see the plug-in
    assert "nz-acme" not in _run([base_python, "-c", "from tianping.rules.pack import default_packs; print([p.pack.id for p in default_packs()])"]).stdout
    assert sys.executable  # (the tests' own interpreter is untouched)


def test_a_data_directory_registered_in_process(tmp_path):
    from tianping.catalog.loader import default_catalog
    from tianping.rules.pack import default_packs

    d = data_dir(tmp_path / "acme")
    plugins.register("data", "acme", d)
    try:
        assert "nz-acme" in [lp.pack.id for lp in default_packs()] and "nz-acme-act" in default_catalog().instruments
        assert plugins.describe()["data"] == ["acme"]
    finally:
        plugins.unregister("data", "acme")
    assert "nz-acme" not in [lp.pack.id for lp in default_packs()]
