"""SSSOM round trip, OSCAL catalogs and JSON exports."""

from __future__ import annotations

import csv
import json

import pytest

from tianping.catalog.export import export, oscal_instruments
from tianping.catalog.loader import default_catalog
from tianping.catalog.sssom import import_sssom, read_sssom, to_sssom_tsv
from tianping.errors import TianpingError


def test_sssom_round_trip(tmp_path):
    cat = default_catalog()
    tsv = to_sssom_tsv(cat)
    assert tsv.startswith("#mapping_set_id:")
    path = tmp_path / "all.sssom.tsv"
    path.write_text(tsv, encoding="utf-8")
    back = read_sssom(path, cat)
    assert len(back) == len(cat.mappings)
    assert {(m.subject, m.predicate, m.object) for m in back} == {(m.subject, m.predicate, m.object) for m in cat.mappings}
    rows = list(csv.DictReader((ln for ln in tsv.splitlines() if not ln.startswith("#")), delimiter="\t"))
    assert all(r["predicate_id"].startswith("skos:") for r in rows)


def test_sssom_import_reports_bad_rows_by_line(tmp_path):
    cat = default_catalog()
    path = tmp_path / "bad.sssom.tsv"
    path.write_text(
        "#mapping_set_id: x\n"
        "subject_id\tpredicate_id\tobject_id\tconfidence\tcomment\n"
        "eu-ai-act:art-15\tskos:closeMatch\tnist-ai-rmf:MEASURE-2.5\t0.8\tBoth ask for validated performance.\n"
        "eu-ai-act:art-15\tskos:sortOfMatch\tnist-ai-rmf:MEASURE-2.5\t0.8\tBad predicate here.\n"
        "eu-ai-act:art-15\tskos:closeMatch\tnist-ai-rmf:NOPE-9.9\t0.8\tMissing object here.\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.yaml"
    with pytest.raises(TianpingError) as ei:
        import_sssom(path, out, cat)
    probs = ei.value.problems
    assert [(p.line, p.field) for p in probs] == [(4, "predicate_id"), (5, "object_id")]
    assert not out.exists()  # nothing half-written


def test_sssom_import_writes_a_valid_mapping_file(tmp_path):
    from tianping.catalog.schema import MappingFile
    from tianping.yamlio import load_yaml_file

    cat = default_catalog()
    path = tmp_path / "ok.sssom.tsv"
    path.write_text(
        "subject_id\tpredicate_id\tobject_id\tconfidence\tcomment\n"
        "eu-ai-act:art-15\tskos:relatedMatch\tiso-iec-42001:A.6.2.4\t0.7\tBoth ask for verification of system behaviour.\n",
        encoding="utf-8",
    )
    out = tmp_path / "imported-set.yaml"
    assert import_sssom(path, out, cat) == 1
    mf = MappingFile.model_validate(load_yaml_file(out).data)
    assert mf.mappings[0].object == "iso-iec-42001:A.6.2.4"


def test_oscal_catalogs(tmp_path):
    from trestle.oscal.catalog import Catalog as OscalCatalog

    cat = default_catalog()
    assert {"nist-ai-rmf", "iso-iec-42001", "aiverify"} <= set(oscal_instruments(cat))
    written = export("oscal", tmp_path, ["nist-ai-rmf", "iso-iec-42001", "aiverify"])
    expected = {"nist-ai-rmf": 72, "iso-iec-42001": 38, "aiverify": 90}
    for path in written:
        doc = json.loads(path.read_text(encoding="utf-8"))
        parsed = OscalCatalog.model_validate(doc["catalog"])  # trestle accepts what we wrote
        n = 0

        def walk(groups=None, controls=None):
            nonlocal n
            for g in groups or []:
                walk(getattr(g, "groups", None), getattr(g, "controls", None))
            for c in controls or []:
                n += 1
                walk(None, c.controls)

        walk(parsed.groups, parsed.controls)
        iid = path.name.split(".oscal")[0]
        assert n == expected[iid], iid


def test_oscal_refuses_non_control_instrument(tmp_path):
    with pytest.raises(TianpingError):
        export("oscal", tmp_path, ["oecd-ai-principles"])


def test_json_export_every_instrument(tmp_path):
    cat = default_catalog()
    written = export("json", tmp_path)
    assert len(written) == len(cat.instruments)
    doc = json.loads((tmp_path / "eu-ai-act.json").read_text(encoding="utf-8"))
    assert doc["id"] == "eu-ai-act" and doc["provisions"]
    schemas = export("schema", tmp_path / "schema")
    assert {p.name for p in schemas} == {"instrument.schema.json", "principles.schema.json", "mappings.schema.json"}


def test_committed_json_schemas_are_current_and_accept_every_file(tmp_path):
    """The exported JSON Schemas (for editors and non-Python tools) match pydantic and accept our data."""
    import jsonschema
    import yaml

    from tianping.catalog.loader import DATA_DIR

    committed = DATA_DIR.parent / "jsonschema"
    fresh = export("schema", tmp_path)
    for path in fresh:
        assert (committed / path.name).read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), path.name
    schema = json.loads((committed / "instrument.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    for f in sorted((DATA_DIR / "instruments").glob("*.yaml")):
        doc = json.loads(json.dumps(yaml.safe_load(f.read_text(encoding="utf-8")), default=str))
        errors = list(validator.iter_errors(doc))
        assert not errors, (f.name, errors[0].message)
    bad = json.loads(json.dumps(yaml.safe_load((DATA_DIR / "instruments" / "oecd-ai-principles.yaml").read_text(encoding="utf-8")), default=str))
    bad["colour"] = "red"
    assert list(validator.iter_errors(bad))
