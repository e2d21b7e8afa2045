"""Export the catalog: every instrument as JSON, control catalogs as OSCAL, schemas as JSON Schema."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from pathlib import Path

from ..errors import TianpingError
from .loader import Catalog, default_catalog
from .schema import Instrument, MappingFile, PrincipleFile, Provision, ProvisionKind

CONTROL_KINDS = {ProvisionKind.subcategory, ProvisionKind.control, ProvisionKind.check}
OSCAL_NS = "https://github.com/tianping-ai/tianping/ns/oscal"
OSCAL_VERSION = "1.1.2"
_UUID_NS = uuid.UUID("6f0b3f4e-9a6c-4c55-9d43-1d7c2a3b8e01")  # stable uuids for stable ids


def oscal_instruments(cat: Catalog) -> list[str]:
    """Instruments that hold controls (NIST AI RMF subcategories, ISO 42001 controls, AI Verify checks)."""
    return [iid for iid, inst in cat.instruments.items() if any(p.kind in CONTROL_KINDS for p in inst.provisions)]


def _oscal_id(local: str) -> str:
    token = re.sub(r"[^A-Za-z0-9_.\-]", "-", local)
    return token if re.match(r"[A-Za-z_]", token) else f"_{token}"


def to_oscal(inst: Instrument) -> dict:
    from pydantic import AnyUrl
    from trestle.oscal import catalog as oc
    from trestle.oscal import common as om

    ns = AnyUrl(OSCAL_NS)

    children: dict[str | None, list[Provision]] = {}
    for p in inst.provisions:
        children.setdefault(p.parent, []).append(p)

    def has_controls(p: Provision) -> bool:
        return any(c.kind in CONTROL_KINDS or has_controls(c) for c in children.get(p.id, []))

    def props(p: Provision) -> list:
        out = []
        if p.number:
            out.append(om.Property(name="label", value=p.number))
        out.append(om.Property(name="title-zh", value=p.title.zh, ns=ns))
        out.append(om.Property(name="verified", value=str(p.verified).lower(), ns=ns))
        for ref in p.principle_refs:
            out.append(om.Property(name="principle", value=ref.id, ns=ns))
        return out

    def parts(p: Provision) -> list | None:
        if not p.summary:
            return None
        return [
            om.Part(id=f"{_oscal_id(p.id)}_smt", name="statement", prose=p.summary.en),
            om.Part(id=f"{_oscal_id(p.id)}_smt.zh", name="statement", ns=ns, class_="zh", prose=p.summary.zh),
        ]

    def control(p: Provision):
        subs = [control(c) for c in children.get(p.id, []) if c.kind in CONTROL_KINDS]
        return oc.Control(
            id=_oscal_id(p.id), class_=p.kind.value, title=p.title.en, props=props(p), parts=parts(p), controls=subs or None
        )

    def group(p: Provision):
        kids = [c for c in children.get(p.id, []) if c.kind in CONTROL_KINDS or has_controls(c)]
        if kids and all(c.kind not in CONTROL_KINDS for c in kids):
            return oc.Group1(
                id=_oscal_id(p.id),
                class_=p.kind.value,
                title=p.title.en,
                props=props(p),
                parts=parts(p),
                groups=[group(c) for c in kids],
            )
        return oc.Group2(
            id=_oscal_id(p.id),
            class_=p.kind.value,
            title=p.title.en,
            props=props(p),
            parts=parts(p),
            controls=[control(c) if c.kind in CONTROL_KINDS else control_from_group(c) for c in kids] or None,
        )

    def control_from_group(p: Provision):
        # a grouping nested among controls is flattened into a control with sub-controls
        return oc.Control(
            id=_oscal_id(p.id),
            class_=p.kind.value,
            title=p.title.en,
            props=props(p),
            parts=parts(p),
            controls=[control(c) for c in children.get(p.id, []) if c.kind in CONTROL_KINDS] or None,
        )

    roots = [p for p in children.get(None, []) if p.kind in CONTROL_KINDS or has_controls(p)]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    metadata = om.Metadata(
        title=inst.title.en,
        last_modified=now,
        version=inst.version or "1.0",
        oscal_version=om.OscalVersion(root=om.StringDatatype(root=OSCAL_VERSION)),
        props=[
            om.Property(name="title-zh", value=inst.title.zh, ns=ns),
            om.Property(name="tianping-instrument-id", value=inst.id, ns=ns),
        ],
        remarks=(
            "Short titles and ids follow the official text; statements are Tianping's own summaries, not the official wording."
        ),
    )
    cat = oc.Catalog(
        uuid=str(uuid.uuid5(_UUID_NS, inst.id)),
        metadata=metadata,
        groups=[group(p) for p in roots if p.kind not in CONTROL_KINDS] or None,
        controls=[control(p) for p in roots if p.kind in CONTROL_KINDS] or None,
    )
    return (
        json.loads(cat.oscal_serialize_json(pretty=False))
        if hasattr(cat, "oscal_serialize_json")
        else {"catalog": json.loads(cat.model_dump_json(by_alias=True, exclude_none=True))}
    )


def export(fmt: str, out: Path, instrument_ids: list[str] | None = None, cat: Catalog | None = None) -> list[Path]:
    from ..outputs import check_writable_dir, os_error, write_text

    check_writable_dir(out, "--out")
    cat = cat or default_catalog()
    try:
        out.mkdir(exist_ok=True)
    except OSError as exc:
        raise os_error(exc, out, "--out") from None
    written: list[Path] = []
    if fmt == "schema":
        for name, model in (("instrument", Instrument), ("principles", PrincipleFile), ("mappings", MappingFile)):
            path = out / f"{name}.schema.json"
            write_text(path, json.dumps(model.model_json_schema(), ensure_ascii=False, indent=2), "--out")
            written.append(path)
        return written
    if fmt not in ("json", "oscal"):
        raise TianpingError(f"unknown export format '{fmt}' (use json, oscal or schema)", title="bad option")
    supported = list(cat.instruments) if fmt == "json" else oscal_instruments(cat)
    ids = instrument_ids or supported
    for iid in ids:
        if iid not in cat.instruments:
            raise TianpingError(f"unknown instrument id '{iid}'", title="not found")
        if iid not in supported:
            raise TianpingError(
                f"'{iid}' holds no controls, so it has no OSCAL catalog form (supported: {', '.join(supported)})",
                title="bad option",
            )
    for iid in ids:
        inst = cat.instruments[iid]
        if fmt == "json":
            path = out / f"{iid}.json"
            write_text(path, inst.model_dump_json(indent=2, exclude_none=True), "--out")
        else:
            path = out / f"{iid}.oscal.json"
            write_text(path, json.dumps(to_oscal(inst), ensure_ascii=False, indent=2), "--out")
        written.append(path)
    return written
