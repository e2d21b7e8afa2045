"""Signed report bundles that a third party can verify offline.

A bundle is a directory: the report files, `manifest.json` (SHA-256 of every file, the signer's
public key and its fingerprint) and `manifest.sig` (Ed25519 signature over the canonical bytes
of the manifest). `verify_bundle` recomputes every hash in name order and names the first file
that changed, was removed or was added, then checks the signature.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ..audit.log import canonical_json
from ..crypto import KeyPair, b64, fingerprint, unb64, verify
from ..errors import Problem, TianpingError

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
FORMAT = "tianping-bundle/1"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_bundle(directory: Path, files: dict[str, bytes], key: KeyPair, meta: dict | None = None) -> Path:
    """Write files + manifest + signature into a new directory (atomically: temp dir, then rename)."""
    from ..outputs import atomic_dir, check_dir, os_error

    if not directory.parent.exists():  # library callers (the main job, the server) name folders of their own
        try:
            directory.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise os_error(exc, directory) from None
    check_dir(directory)
    for name in files:
        if "/" in name or name in (MANIFEST, SIGNATURE) or name.startswith("."):
            raise ValueError(f"bad bundle file name {name!r}")
    with atomic_dir(directory) as tmp:
        entries = {}
        for name, data in sorted(files.items()):
            (tmp / name).write_bytes(data)
            entries[name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
        manifest = {
            "format": FORMAT,
            "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "files": entries,
            "signer": {"public_key": b64(key.public_raw), "fingerprint": key.fingerprint},
            "meta": meta or {},
        }
        body = canonical_json(manifest).encode("utf-8")
        (tmp / MANIFEST).write_bytes(body)
        (tmp / SIGNATURE).write_text(b64(key.sign(body)) + "\n", encoding="ascii")
    return directory


def _signature_holds(spath: Path, pub: bytes, body: bytes) -> bool:
    try:
        text = spath.read_text(encoding="ascii").rstrip("\n")
        sig = unb64(text, "signature")
        return b64(sig) == text and verify(pub, sig, body)
    except (UnicodeDecodeError, TianpingError, ValueError):
        return False


@dataclass
class BundleCheck:
    ok: bool
    fingerprint: str | None
    files: int
    problem: str | None = None
    first_bad_file: str | None = None

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def verify_bundle(directory: Path, *, expected_fingerprint: str | None = None) -> BundleCheck:
    if not directory.is_dir():
        raise TianpingError(Problem("not a bundle directory", file=str(directory)), title="bad bundle")
    mpath, spath = directory / MANIFEST, directory / SIGNATURE
    if not mpath.is_file() or not spath.is_file():
        return BundleCheck(
            False, None, 0, "manifest.json or manifest.sig is missing", MANIFEST if not mpath.is_file() else SIGNATURE
        )
    body = mpath.read_bytes()
    try:
        manifest = json.loads(body)
        files = manifest["files"]
        pub = unb64(manifest["signer"]["public_key"], "public key")
        claimed_fp = manifest["signer"]["fingerprint"]
        if not isinstance(files, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("sha256"), str) for v in files.values()
        ):
            raise ValueError("every file entry needs a sha256")
    except (ValueError, KeyError, TypeError, TianpingError) as exc:
        return BundleCheck(False, None, 0, f"manifest.json is not a valid manifest ({exc})", MANIFEST)
    present = sorted(p.name for p in directory.iterdir() if p.is_file() and p.name not in (MANIFEST, SIGNATURE))
    for name in sorted(set(files) | set(present)):
        if name not in files:
            return BundleCheck(False, claimed_fp, len(files), "file is not listed in the manifest (added)", name)
        if name not in present:
            return BundleCheck(False, claimed_fp, len(files), "file listed in the manifest is missing", name)
        if sha256_file(directory / name) != files[name]["sha256"]:
            if not _signature_holds(spath, pub, body):
                # the manifest itself no longer carries a valid signature: the hash it lists was altered
                return BundleCheck(
                    False, claimed_fp, len(files), "manifest.json was changed after signing (its signature fails)", MANIFEST
                )
            return BundleCheck(
                False, claimed_fp, len(files), "file content does not match its SHA-256 in the manifest (changed)", name
            )
    if fingerprint(pub) != claimed_fp:
        return BundleCheck(False, claimed_fp, len(files), "the signer fingerprint does not match the public key", MANIFEST)
    try:
        text = spath.read_text(encoding="ascii")
        text = text[:-1] if text.endswith("\n") else text
        sig = unb64(text, "signature")
        if b64(sig) != text:
            # only the one canonical spelling is accepted, so no changed byte can go unnoticed
            raise TianpingError("signature is not canonical base64")
    except UnicodeDecodeError:
        return BundleCheck(False, claimed_fp, len(files), "manifest.sig is not text", SIGNATURE)
    except TianpingError:
        # a changed byte can turn a base64 character into a non-base64 one: still a bad signature file
        return BundleCheck(False, claimed_fp, len(files), "manifest.sig is not valid base64", SIGNATURE)
    if not verify(pub, sig, body):
        return BundleCheck(
            False, claimed_fp, len(files), "the signature does not match the manifest (forged or altered)", SIGNATURE
        )
    if expected_fingerprint and expected_fingerprint.lower() != claimed_fp:
        return BundleCheck(
            False, claimed_fp, len(files), f"signed by {claimed_fp}, not by the expected key {expected_fingerprint}", SIGNATURE
        )
    return BundleCheck(True, claimed_fp, len(files))
