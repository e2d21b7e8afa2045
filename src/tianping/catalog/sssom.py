"""SSSOM TSV import and export of the catalog's mappings.

Export writes the metadata block as `#`-prefixed YAML (as the SSSOM spec does) followed by a
TSV with the standard column names. Import reads such a file, checks every row (predicate,
confidence, both ids present in the catalog) and writes a mapping YAML file; a bad row is
reported with its line number and column.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

from ..errors import ProblemList, TianpingError
from .loader import Catalog
from .schema import PRINCIPLE_PREFIX, Justification, Mapping, MappingFile, Predicate

COLUMNS = [
    "subject_id",
    "subject_label",
    "predicate_id",
    "object_id",
    "object_label",
    "mapping_justification",
    "confidence",
    "comment",
    "comment_zh",
    "author_id",
    "mapping_set_id",
]
CURIE_MAP = {
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "semapv": "https://w3id.org/semapv/vocab/",
    "principle": "https://github.com/tianping-ai/tianping/principle/",
}


def _label(cat: Catalog, qid: str) -> str:
    if qid.startswith(PRINCIPLE_PREFIX):
        p = cat.principles.get(qid[len(PRINCIPLE_PREFIX) :])
        return p.title.en if p else ""
    ref = cat.provisions.get(qid)
    return ref.provision.title.en if ref else ""


def to_sssom_tsv(cat: Catalog, *, include_principles: bool = True) -> str:
    buf = io.StringIO()
    meta = {
        "mapping_set_id": "https://github.com/tianping-ai/tianping/mappings/catalog",
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "curie_map": CURIE_MAP,
    }
    for line in yaml.safe_dump(meta, sort_keys=False).splitlines():
        buf.write(f"#{line}\n")
    w = csv.writer(buf, delimiter="\t", lineterminator="\n")
    w.writerow(COLUMNS)
    for m, mset in zip(cat.mappings, cat.mapping_sets, strict=True):
        if not include_principles and m.object.startswith(PRINCIPLE_PREFIX):
            continue
        w.writerow(
            [
                m.subject,
                _label(cat, m.subject),
                m.predicate.skos,
                m.object,
                _label(cat, m.object),
                m.justification.value,
                f"{m.confidence:g}",
                m.comment,
                m.comment_zh or "",
                m.author or "",
                mset,
            ]
        )
    return buf.getvalue()


_PRED = {p.skos: p for p in Predicate} | {p.value: p for p in Predicate}
_JUST = {j.value: j for j in Justification}


def read_sssom(path: Path, cat: Catalog) -> list[Mapping]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise TianpingError(f"{path}: file not found", title="file not found") from None
    problems = ProblemList()
    body_start = next((i for i, ln in enumerate(lines) if not ln.startswith("#")), len(lines))
    reader = csv.reader(lines[body_start:], delimiter="\t")
    header = next(reader, None)
    if header is None:
        raise TianpingError(f"{path}: no header row", title="invalid SSSOM")
    missing = {"subject_id", "predicate_id", "object_id"} - set(header)
    if missing:
        raise TianpingError(f"{path}:{body_start + 1}: missing required columns {sorted(missing)}", title="invalid SSSOM")
    out: list[Mapping] = []
    for n, row in enumerate(reader, start=body_start + 2):
        if not any(row):
            continue
        if len(row) != len(header):
            problems.add(f"expected {len(header)} columns, found {len(row)}", file=str(path), line=n)
            continue
        rec = dict(zip(header, row, strict=False))
        pred = _PRED.get(rec["predicate_id"])
        if pred is None:
            problems.add(f"unknown predicate '{rec['predicate_id']}'", file=str(path), line=n, field="predicate_id")
            continue
        for col in ("subject_id", "object_id"):
            if not cat.exists(rec[col]):
                problems.add(f"mapping to a missing id '{rec[col]}'", file=str(path), line=n, field=col)
        try:
            conf = float(rec.get("confidence") or 0.8)
        except ValueError:
            problems.add(f"confidence '{rec['confidence']}' is not a number", file=str(path), line=n, field="confidence")
            continue
        just = _JUST.get(rec.get("mapping_justification") or Justification.manual.value, Justification.unspecified)
        try:
            out.append(
                Mapping(
                    subject=rec["subject_id"],
                    predicate=pred,
                    object=rec["object_id"],
                    justification=just,
                    confidence=conf,
                    comment=rec.get("comment") or "Imported from SSSOM without a comment.",
                    comment_zh=rec.get("comment_zh") or None,
                    author=rec.get("author_id") or None,
                )
            )
        except Exception as exc:  # pydantic ValidationError: report the row, keep going
            problems.add(str(exc).splitlines()[-1].strip(), file=str(path), line=n)
    problems.raise_if_any("invalid SSSOM")
    return out


def import_sssom(path: Path, out: Path, cat: Catalog) -> int:
    from ..outputs import check_file, write_text

    check_file(out, "--out")
    mappings = read_sssom(path, cat)
    if not mappings:
        raise TianpingError(f"{path}: no mappings found", title="invalid SSSOM")
    set_id = out.stem.replace("_", "-").lower()
    mf = MappingFile(mapping_set_id=set_id, description=f"Imported from {path.name}", mappings=mappings)
    data = mf.model_dump(mode="json", exclude_none=True)
    write_text(
        out, yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "--out"
    )  # atomic: never a half-written mapping file
    return len(mappings)
