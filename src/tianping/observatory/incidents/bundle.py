"""Signed, content-addressed incident bundles for sharing between Tianping instances.

Why this design: each incident is addressed by the SHA-256 of its canonical JSON, so the same
record has the same address everywhere and a receiver deduplicates without trusting ids. The
manifest lists the addresses and is signed with the exporter's Ed25519 key; changing one byte
of any incident changes its address, which breaks the manifest, so a tampered bundle is refused
as a whole before anything is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ...crypto import KeyPair, b64, fingerprint, unb64, verify
from ...errors import Problem, TianpingError
from .schema import Incident, canonical_bytes, content_hash
from .service import ImportResult, IncidentService

FORMAT = "tianping.incident-bundle"
VERSION = 1


def _manifest(created_at: str, hashes: list[str]) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "created_at": created_at, "items": hashes}


def build_bundle(incidents: list[Incident], key: KeyPair) -> dict[str, Any]:
    created = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    hashes = [content_hash(i) for i in incidents]
    items = [{"hash": h, "incident": i.canonical()} for h, i in zip(hashes, incidents, strict=True)]
    manifest = _manifest(created, hashes)
    mbytes = canonical_bytes(manifest)
    return {
        **manifest,
        "bundle_id": "sha256:" + hashlib.sha256(mbytes).hexdigest(),
        "items": items,
        "signature": {
            "algorithm": "ed25519",
            "public_key": b64(key.public_raw),
            "fingerprint": key.fingerprint,
            "value": b64(key.sign(mbytes)),
        },
    }


def write_bundle(bundle: dict[str, Any], path: str | Path) -> None:
    from ...outputs import write_text

    write_text(path, json.dumps(bundle, ensure_ascii=False, indent=1, sort_keys=True) + "\n", "OUT")


def read_bundle(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TianpingError(Problem("file not found", file=str(p)), title="file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TianpingError(Problem(f"not a JSON bundle: {exc}", file=str(p)), title="invalid bundle") from None
    if not isinstance(data, dict):
        raise TianpingError(Problem("not a bundle (expected a JSON object)", file=str(p)), title="invalid bundle")
    return data


def verify_bundle(
    bundle: dict[str, Any], *, source: str = "bundle", trusted: list[str] | None = None
) -> tuple[list[Incident], dict[str, Any]]:
    """Check format, every item's address, the manifest signature and (optionally) the signer.

    Raises TianpingError naming the first item or field that fails; returns the incidents and a
    summary (bundle id, signer fingerprint) when everything holds.
    """

    def bad(msg: str, fld: str | None = None) -> TianpingError:
        return TianpingError(Problem(msg, file=source, field=fld), title="bundle rejected")

    if bundle.get("format") != FORMAT or bundle.get("version") != VERSION:
        raise bad(f"unknown format (expected {FORMAT} version {VERSION})", "format")
    items, sig = bundle.get("items"), bundle.get("signature")
    if not isinstance(items, list) or not isinstance(sig, dict):
        raise bad("missing items or signature", "items")
    incidents, hashes = [], []
    for n, it in enumerate(items):
        if not isinstance(it, dict) or "incident" not in it or "hash" not in it:
            raise bad("malformed item", f"items.{n}")
        actual = "sha256:" + hashlib.sha256(canonical_bytes(it["incident"])).hexdigest()
        if actual != it["hash"]:
            raise bad(
                f"content does not match its address (declared {it['hash'][:19]}…, computed {actual[:19]}…): "
                "the incident was changed after export",
                f"items.{n}.incident",
            )
        try:
            inc = Incident.model_validate(it["incident"])
        except ValidationError as exc:
            raise bad(f"invalid incident: {exc.errors()[0]['msg']}", f"items.{n}.incident") from None
        if content_hash(inc) != actual:  # the document must already be in canonical form
            raise bad("incident is not in canonical form", f"items.{n}.incident")
        incidents.append(inc)
        hashes.append(actual)
    manifest = _manifest(str(bundle.get("created_at")), hashes)
    mbytes = canonical_bytes(manifest)
    pub = unb64(str(sig.get("public_key", "")), "public key")
    fp = fingerprint(pub)
    if sig.get("fingerprint") != fp:
        raise bad("the signature's fingerprint does not match its public key", "signature.fingerprint")
    if not verify(pub, unb64(str(sig.get("value", "")), "signature"), mbytes):
        raise bad("signature does not verify: the bundle was altered or signed by another key", "signature.value")
    if bundle.get("bundle_id") != "sha256:" + hashlib.sha256(mbytes).hexdigest():
        raise bad("bundle_id does not match the manifest", "bundle_id")
    if trusted is not None and fp not in trusted:
        raise bad(
            f"signed by an untrusted key {fp[:16]}… (trusted: {', '.join(t[:16] + '…' for t in trusted) or 'none'})",
            "signature.fingerprint",
        )
    return incidents, {
        "bundle_id": bundle["bundle_id"],
        "signer": fp,
        "created_at": bundle.get("created_at"),
        "items": len(incidents),
    }


def export_bundle(svc: IncidentService, path: str | Path, key: KeyPair, ids: list[str] | None = None) -> dict[str, Any]:
    from ...outputs import check_file

    check_file(path, "OUT")
    incidents = svc.all() if not ids else [svc.get(i)[0] for i in ids]
    bundle = build_bundle(incidents, key)
    write_bundle(bundle, path)
    return {"bundle_id": bundle["bundle_id"], "signer": key.fingerprint, "items": len(incidents), "path": str(path)}


def import_bundle(
    svc: IncidentService, path: str | Path, *, trusted: list[str] | None = None, replace: bool = False
) -> tuple[ImportResult, dict[str, Any]]:
    """Verify first, then store in one transaction, deduplicating by content hash."""
    incidents, info = verify_bundle(read_bundle(path), source=str(path), trusted=trusted)
    return svc.save(incidents, origin=f"bundle:{info['signer'][:16]}", replace=replace), info
