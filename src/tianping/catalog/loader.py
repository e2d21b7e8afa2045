"""Load and validate the catalog data files.

Validation happens in two passes: each file against its pydantic schema (errors located by
file, line and field), then cross-references across files (parents, principle ids, mapping
ends, duplicate ids). All problems of a pass are reported together so a curator can fix a
file in one go.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import ProblemList, TianpingError
from ..yamlio import (
    LocatedDoc,
    RecordedDocs,
    load_yaml_file,
    read_files,
    read_record,
    record_key,
    validation_problems,
    write_record,
)
from .schema import (
    PRINCIPLE_PREFIX,
    Instrument,
    InstrumentStatus,
    Justification,
    Mapping,
    MappingFile,
    Principle,
    PrincipleFile,
    Provision,
    qualified,
)

DATA_DIR = Path(__file__).parent / "data"
_MAPPINGS_LOCK = threading.RLock()
# the modules whose code decides whether a catalog is valid: part of the digest of a catalog's record
_CHECKING_CODE = ("tianping.catalog.loader", "tianping.catalog.schema", "tianping.catalog.vocab", "tianping.yamlio")

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass
class ProvisionRef:
    """A provision together with the instrument that holds it."""

    instrument: Instrument
    provision: Provision

    @property
    def qid(self) -> str:
        return qualified(self.instrument.id, self.provision.id)


@dataclass
class Catalog:
    instruments: dict[str, Instrument] = field(default_factory=dict)
    principles: dict[str, Principle] = field(default_factory=dict)
    provisions: dict[str, ProvisionRef] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # id -> file it came from
    amended_by: dict[str, list[str]] = field(default_factory=dict)  # instrument id -> ids of the acts amending it
    digest: str | None = None  # names the record of this exact catalog having passed every check (yamlio.record_key)
    # the crosswalk, or (when the catalog's record says it is valid) how to load it on first use:
    # classification never reads it, and its ~1,300 mappings were a third of the catalog's load time
    _mappings: list[Mapping] = field(default_factory=list, repr=False)
    _mapping_sets: list[str] = field(default_factory=list, repr=False)  # parallel to `mappings`: the set each came from
    _load_mappings: Callable[[Catalog], None] | None = field(default=None, repr=False)

    @property
    def mappings(self) -> list[Mapping]:
        self._mappings_loaded()
        return self._mappings

    @property
    def mapping_sets(self) -> list[str]:
        self._mappings_loaded()
        return self._mapping_sets

    def _mappings_loaded(self) -> None:
        if self._load_mappings is None:
            return
        with _MAPPINGS_LOCK:  # a server's threads may ask at once: each waits until the crosswalk is whole
            load = self._load_mappings
            if load is not None:
                try:
                    load(self)
                except BaseException:
                    del self._mappings[:], self._mapping_sets[:]
                    raise
                self._load_mappings = None

    def versions_of(self, iid: str) -> list[dict]:
        """The dated versions of an instrument: those it declares, then one per amending act in the
        catalog (from the act's entry into force, or its latest status when that date is unknown)."""
        inst = self.instrument(iid)
        out = [v.model_dump(mode="json") for v in inst.versions]
        if not out:
            start = inst.dates.entry_into_force or inst.dates.published or inst.dates.adopted
            out.append(
                {
                    "id": "original",
                    "label": inst.version or "original text",
                    "valid_from": start.isoformat() if start else None,
                    "amended_by": [],
                    "source_url": inst.source_url,
                    "verified": inst.verified,
                    "verification_note": None,
                }
            )
        for aid in self.amended_by.get(iid, []):
            act = self.instruments[aid]
            assert act.amendment is not None
            eif = act.amendment.date_of(InstrumentStatus.in_force)
            base = inst.short_title.en if inst.short_title else inst.title.en
            out.append(
                {
                    "id": aid,
                    "label": f"{base} as amended by {act.version or aid}",
                    "valid_from": eif.date.isoformat() if eif and eif.date else None,
                    "amended_by": [aid],
                    "status": (act.amendment.status_on(None) or act.status or InstrumentStatus.proposed).value,
                    "source_url": act.source_url,
                    "verified": bool(eif and eif.verified and act.verified),
                    "verification_note": eif.verification_note if eif else "entry into force not recorded",
                }
            )
        return out

    def provision(self, qid: str) -> ProvisionRef:
        try:
            return self.provisions[qid]
        except KeyError:
            raise TianpingError(f"unknown provision id '{qid}'", title="not found") from None

    def instrument(self, iid: str) -> Instrument:
        try:
            return self.instruments[iid]
        except KeyError:
            known = ", ".join(sorted(self.instruments))
            raise TianpingError(f"unknown instrument id '{iid}' (known: {known})", title="not found") from None

    def exists(self, qid: str) -> bool:
        if qid.startswith(PRINCIPLE_PREFIX):
            return qid[len(PRINCIPLE_PREFIX) :] in self.principles
        return qid in self.provisions

    def add_mappings(self, mappings: list[Mapping], mapping_set: str) -> None:
        self._mappings_loaded()
        self._extend_mappings(mappings, mapping_set)

    def _extend_mappings(self, mappings: list[Mapping], mapping_set: str) -> None:
        self._mappings.extend(mappings)
        self._mapping_sets.extend([mapping_set] * len(mappings))

    def principle_mappings(self) -> list[Mapping]:
        return [m for m in self.mappings if m.object.startswith(PRINCIPLE_PREFIX)]

    def provision_mappings(self) -> list[Mapping]:
        return [
            m for m in self.mappings if not m.object.startswith(PRINCIPLE_PREFIX) and not m.subject.startswith(PRINCIPLE_PREFIX)
        ]


def _parse(doc: LocatedDoc, model: type[ModelT]) -> ModelT:
    if not isinstance(doc.data, dict):
        raise TianpingError(f"{doc.path}: expected a mapping at the top of the file", title="invalid catalog file")
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise TianpingError(validation_problems(exc, doc), title="invalid catalog file") from None


def load_instrument_file(path: Path) -> tuple[Instrument, LocatedDoc]:
    doc = load_yaml_file(path)
    inst = _parse(doc, Instrument)
    return inst, doc


def _inline_principle_mappings(inst: Instrument) -> list[Mapping]:
    out = []
    for p in inst.provisions:
        for ref in p.principle_refs:
            out.append(
                Mapping(
                    subject=qualified(inst.id, p.id),
                    predicate=ref.predicate,
                    object=PRINCIPLE_PREFIX + ref.id,
                    justification=Justification.manual,
                    confidence=ref.confidence,
                    comment=ref.comment or f"The {p.kind.value} '{p.title.en}' expresses this principle.",
                    comment_zh=None if ref.comment else f"“{p.title.zh}”体现了该原则。",
                )
            )
    return out


def load_catalog(
    data_dir: Path | str = DATA_DIR, *, extra_instruments: Iterable[Path] = (), extra_mappings: Iterable[Path] = ()
) -> Catalog:
    """Load a catalog directory; `extra_instruments` and `extra_mappings` are further YAML files
    (plug-ins and `TIANPING_PATH`, see tianping.plugins) loaded and checked with it."""
    data_dir = Path(data_dir)
    principles_file = data_dir / "principles.yaml"
    instrument_files = sorted((data_dir / "instruments").glob("*.yaml")) + list(extra_instruments)
    mapping_files = sorted((data_dir / "mappings").glob("*.yaml")) + list(extra_mappings)
    contents = read_files([principles_file, *instrument_files, *mapping_files])
    content_of = dict(contents)
    digest = record_key("catalog", contents, _CHECKING_CODE)
    record = read_record(digest)
    known_valid = record is not None
    recorded = RecordedDocs(record)  # the files' data from the record when it holds them

    def load(path: Path) -> LocatedDoc:
        return recorded.load(path, content_of[path])

    def load_mapping_file(path: Path) -> LocatedDoc:  # not kept in the record: classification never reads them
        return load_yaml_file(path, content_of[path])

    cat = Catalog(digest=digest)
    problems = ProblemList()
    docs: dict[str, LocatedDoc] = {}

    # principles
    pdoc = load(principles_file)
    pfile = _parse(pdoc, PrincipleFile)
    for i, pr in enumerate(pfile.principles):
        if pr.id in cat.principles:
            problems.add(
                f"duplicate principle id '{pr.id}'",
                file=pdoc.path,
                line=pdoc.line_of(("principles", i, "id")),
                field=f"principles.{i}.id",
            )
        cat.principles[pr.id] = pr

    # instruments
    for path in instrument_files:
        doc = load(path)
        inst = _parse(doc, Instrument)
        if inst.id != path.stem:
            problems.add(
                f"instrument id '{inst.id}' does not match the file name '{path.name}'",
                file=str(path),
                line=doc.line_of(("id",)),
                field="id",
            )
        if inst.id in cat.instruments:
            problems.add(
                f"duplicate instrument id '{inst.id}' (also in {cat.sources[inst.id]})",
                file=str(path),
                line=doc.line_of(("id",)),
                field="id",
            )
            continue
        cat.instruments[inst.id] = inst
        cat.sources[inst.id] = str(path)
        docs[inst.id] = doc
        local_ids: set[str] = set()
        for i, prov in enumerate(inst.provisions):
            if prov.id in local_ids:
                problems.add(
                    f"duplicate provision id '{prov.id}'",
                    file=str(path),
                    line=doc.line_of(("provisions", i, "id")),
                    field=f"provisions.{i}.id",
                )
            local_ids.add(prov.id)
            cat.provisions[qualified(inst.id, prov.id)] = ProvisionRef(inst, prov)
        for i, prov in enumerate(inst.provisions):
            if prov.parent is not None and prov.parent not in local_ids:
                problems.add(
                    f"parent '{prov.parent}' is not a provision of '{inst.id}'",
                    file=str(path),
                    line=doc.line_of(("provisions", i, "parent")),
                    field=f"provisions.{i}.parent",
                )
            for j, ref in enumerate(prov.principle_refs):
                if ref.id not in cat.principles:
                    problems.add(
                        f"unknown principle '{ref.id}'",
                        file=str(path),
                        line=doc.line_of(("provisions", i, "principles", j)),
                        field=f"provisions.{i}.principles.{j}",
                    )
    for iid, inst in cat.instruments.items():
        if inst.amendment is not None:
            for j, target in enumerate(inst.amendment.amends):
                if target not in cat.instruments:
                    problems.add(
                        f"amended instrument '{target}' is not in the catalog",
                        file=cat.sources[iid],
                        line=docs[iid].line_of(("amendment", "amends", j)),
                        field=f"amendment.amends.{j}",
                    )
                else:
                    cat.amended_by.setdefault(target, []).append(iid)
            for j, ch in enumerate(inst.amendment.changes):
                for k, q in enumerate(ch.provisions):
                    if q not in cat.provisions:
                        problems.add(
                            f"change cites '{q}', which is not in the catalog",
                            file=cat.sources[iid],
                            line=docs[iid].line_of(("amendment", "changes", j, "provisions", k)),
                            field=f"amendment.changes.{j}.provisions.{k}",
                        )
        for j, rel in enumerate(inst.related):
            if rel.id not in cat.instruments:
                problems.add(
                    f"related instrument '{rel.id}' is not in the catalog",
                    file=cat.sources[iid],
                    line=docs[iid].line_of(("related", j, "id")),
                    field=f"related.{j}.id",
                )

    def load_mappings(cat: Catalog) -> None:
        mapping_problems = ProblemList()
        for inst in cat.instruments.values():
            cat._extend_mappings(_inline_principle_mappings(inst), f"inline:{inst.id}")
        _load_mapping_files(cat, mapping_files, load_mapping_file, mapping_problems)
        mapping_problems.raise_if_any("invalid catalog")

    if known_valid:
        # this exact catalog passed every check before: its crosswalk is loaded when first used
        problems.raise_if_any("invalid catalog")
        cat._load_mappings = load_mappings
        return cat
    for inst in cat.instruments.values():
        cat._extend_mappings(_inline_principle_mappings(inst), f"inline:{inst.id}")
    _load_mapping_files(cat, mapping_files, load_mapping_file, problems)
    problems.raise_if_any("invalid catalog")
    write_record(digest, {"valid": True, "data": recorded.kept})
    return cat


def _load_mapping_files(
    cat: Catalog, mapping_files: list[Path], load: Callable[[Path], LocatedDoc], problems: ProblemList
) -> None:
    for path in mapping_files:
        doc = load(path)
        mfile = _parse(doc, MappingFile)
        seen: set[tuple[str, str, str]] = set()
        for i, m in enumerate(mfile.mappings):
            for end in ("subject", "object"):
                qid = getattr(m, end)
                if not cat.exists(qid):
                    problems.add(
                        f"mapping to a missing id '{qid}'",
                        file=str(path),
                        line=doc.line_of(("mappings", i, end)),
                        field=f"mappings.{i}.{end}",
                    )
            key = (m.subject, m.predicate.value, m.object)
            if key in seen:
                problems.add("duplicate mapping", file=str(path), line=doc.line_of(("mappings", i)), field=f"mappings.{i}")
            seen.add(key)
        cat._extend_mappings(list(mfile.mappings), mfile.mapping_set_id)


@lru_cache(maxsize=4)
def default_catalog() -> Catalog:
    """The bundled catalog with the plug-ins' instruments and mappings, loaded once per process."""
    from ..plugins import files

    return load_catalog(DATA_DIR, extra_instruments=files("instruments"), extra_mappings=files("mappings"))
