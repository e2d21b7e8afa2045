"""Bad catalog files fail with the file, line and field named — and nothing is loaded."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from tianping.catalog.loader import DATA_DIR, load_catalog
from tianping.errors import TianpingError

GOOD = textwrap.dedent(
    """\
    id: demo-law
    title: {en: Demo law, zh: 示例法}
    issuer: {en: Nobody, zh: 无}
    jurisdiction: INTL
    kind: binding_law
    source_url: https://example.org/demo
    languages: [en]
    summary: {en: A demo instrument for tests., zh: 用于测试的示例文件。}
    provisions:
      - id: art-1
        kind: article
        title: {en: Scope, zh: 范围}
        summary: {en: Says what the demo covers., zh: 说明示例的范围。}
        principles: [safety]
      - id: art-2
        kind: article
        parent: art-1
        title: {en: Duties, zh: 义务}
        summary: {en: Lists the demo duties., zh: 列出示例义务。}
        principles: [accountability]
    """
)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    (d / "instruments").mkdir(parents=True)
    (d / "mappings").mkdir()
    shutil.copy(DATA_DIR / "principles.yaml", d / "principles.yaml")
    (d / "instruments" / "demo-law.yaml").write_text(GOOD, encoding="utf-8")
    return d


def _problem(data_dir: Path):
    with pytest.raises(TianpingError) as ei:
        load_catalog(data_dir)
    return ei.value.problems


def test_good_file_loads(data_dir):
    cat = load_catalog(data_dir)
    assert list(cat.instruments) == ["demo-law"]
    assert cat.provision("demo-law:art-2").provision.parent == "art-1"


def test_syntax_error_names_file_and_line(data_dir):
    f = data_dir / "instruments" / "demo-law.yaml"
    f.write_text(GOOD.replace("  - id: art-2\n", "  - id: [art-2\n"), encoding="utf-8")
    (p,) = _problem(data_dir)
    assert p.file == str(f)
    assert p.line is not None and 15 <= p.line <= 22
    assert "syntax" in p.message.lower()


def test_unknown_field_names_field_and_line(data_dir):
    f = data_dir / "instruments" / "demo-law.yaml"
    f.write_text(GOOD.replace("    principles: [accountability]\n", "    principles: [accountability]\n    colour: red\n"), encoding="utf-8")
    (p,) = _problem(data_dir)
    assert p.field == "provisions.1.colour"
    assert p.line == 21
    assert p.message == "unknown field"
    assert p.file.endswith("demo-law.yaml")


def test_wrong_enum_value_is_located(data_dir):
    f = data_dir / "instruments" / "demo-law.yaml"
    f.write_text(GOOD.replace("kind: binding_law", "kind: bylaw"), encoding="utf-8")
    (p,) = _problem(data_dir)
    assert p.field == "kind" and p.line == 5


def test_duplicate_provision_id(data_dir):
    f = data_dir / "instruments" / "demo-law.yaml"
    f.write_text(GOOD.replace("  - id: art-2", "  - id: art-1").replace("    parent: art-1\n", ""), encoding="utf-8")
    probs = _problem(data_dir)
    dup = [p for p in probs if "duplicate provision id" in p.message]
    assert dup and dup[0].field == "provisions.1.id" and dup[0].line == 15


def test_duplicate_yaml_key(data_dir):
    f = data_dir / "instruments" / "demo-law.yaml"
    f.write_text(GOOD.replace("jurisdiction: INTL\n", "jurisdiction: INTL\njurisdiction: EU\n"), encoding="utf-8")
    (p,) = _problem(data_dir)
    assert "duplicate key 'jurisdiction'" in p.message and p.line == 5


def test_duplicate_instrument_id(data_dir):
    (data_dir / "instruments" / "zz-copy.yaml").write_text(GOOD, encoding="utf-8")
    probs = _problem(data_dir)
    msgs = " | ".join(p.message for p in probs)
    assert "does not match the file name" in msgs and "duplicate instrument id 'demo-law'" in msgs


def test_mapping_to_missing_id(data_dir):
    (data_dir / "mappings" / "x.yaml").write_text(textwrap.dedent(
        """\
        mapping_set_id: xx-set
        mappings:
          - subject: demo-law:art-1
            predicate: close
            object: demo-law:art-2
            comment: Both talk about the demo in detail.
          - subject: demo-law:art-1
            predicate: close
            object: demo-law:art-99
            comment: This one points nowhere at all.
        """), encoding="utf-8")
    (p,) = _problem(data_dir)
    assert p.field == "mappings.1.object" and p.line == 9 and "demo-law:art-99" in p.message
    assert p.file.endswith("x.yaml")


def test_unknown_principle_and_missing_parent(data_dir):
    f = data_dir / "instruments" / "demo-law.yaml"
    f.write_text(GOOD.replace("principles: [safety]", "principles: [saftey]").replace("parent: art-1", "parent: art-9"), encoding="utf-8")
    probs = {p.field: p for p in _problem(data_dir)}
    assert "unknown principle 'saftey'" in probs["provisions.0.principles.0"].message
    assert probs["provisions.0.principles.0"].line == 14
    assert probs["provisions.1.parent"].line == 17


def test_summary_required_for_requirements(data_dir):
    f = data_dir / "instruments" / "demo-law.yaml"
    f.write_text(GOOD.replace("    summary: {en: Lists the demo duties., zh: 列出示例义务。}\n", ""), encoding="utf-8")
    (p,) = _problem(data_dir)
    assert "needs a summary" in p.message and p.field == "provisions.1"


def test_missing_zh_title(data_dir):
    f = data_dir / "instruments" / "demo-law.yaml"
    f.write_text(GOOD.replace("title: {en: Scope, zh: 范围}", "title: {en: Scope}"), encoding="utf-8")
    (p,) = _problem(data_dir)
    assert p.field == "provisions.0.title.zh" and p.line == 12
