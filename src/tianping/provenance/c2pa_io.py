"""C2PA manifests (c2pa-python) carrying the same AIGC assertion as the file metadata.

Trust model, stated plainly: C2PA signatures need an X.509 certificate chain. Tianping has no
CA-issued certificate, so it keeps a *local* CA in the data home (Ed25519, created on first use) and
issues a short-lived leaf certificate for the user's own Ed25519 signing key (the same key that signs
the AIGC reserved codes). A C2PA validator therefore reports our manifests as cryptographically
"Valid" but not "Trusted" unless the verifier adds our local CA to its trust anchors; `label check`
does so only for the CA on this machine. Such a manifest proves integrity and key continuity — not
the producer's identity. Production use needs a certificate from a CA on the C2PA trust list.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..config import data_home
from ..crypto import KeyPair
from ..errors import Problem, TianpingError
from .fields import AIGCLabel

ASSERTION = "tianping.aigc.gb45438"
AI_SOURCE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
AI_SOURCES = {AI_SOURCE, "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia",
              "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia", "trainedAlgorithmicMedia"}
SUPPORTED = {"png", "jpeg", "webp", "wav", "mp3", "mp4"}
_SETTINGS = {"builder": {"thumbnail": {"enabled": False}}}  # no pixel decoding inside c2pa, smaller files


def ca_dir() -> Path:
    return data_home() / "keys" / "c2pa-local-ca"


def local_ca() -> tuple[Any, Any]:
    """The local CA (key, certificate), created on first use."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.x509.oid import NameOID

    d = ca_dir()
    key_p, cert_p = d / "ca.pem", d / "ca.crt"
    if key_p.exists() and cert_p.exists():
        key = serialization.load_pem_private_key(key_p.read_bytes(), password=None)
        return key, x509.load_pem_x509_certificate(cert_p.read_bytes())
    d.mkdir(parents=True, exist_ok=True)
    key = ed25519.Ed25519PrivateKey.generate()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tianping local C2PA CA (not publicly trusted)"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tianping local")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, None))
    import os

    fd = os.open(key_p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    cert_p.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def _leaf_chain(keys: KeyPair, subject: str) -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_key, ca_cert = local_ca()
    now = dt.datetime.now(dt.timezone.utc)
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject[:64] or "producer"),
                                     x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tianping user")]))
            .issuer_name(ca_cert.subject).public_key(keys.public).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(keys.public), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, None))
    pem = serialization.Encoding.PEM
    chain = leaf.public_bytes(pem) + ca_cert.public_bytes(pem)
    return chain, keys.private.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def manifest(label: AIGCLabel, title: str) -> dict[str, Any]:
    from .. import __version__

    return {
        "claim_generator_info": [{"name": "tianping", "version": __version__}],
        "title": title,
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": [{"action": "c2pa.created", "digitalSourceType": AI_SOURCE}]}},
            {"label": ASSERTION, "data": {"AIGC": label.fields(),
                                          "cites": ["cn-aigc-labeling:gb45438-annex-e", "cn-aigc-labeling:art-5"]}},
        ],
    }


def sign_file(src: Path, dst: Path, mime: str, label: AIGCLabel, keys: KeyPair) -> None:
    """Embed a signed manifest; dst may equal src (written via a temporary file)."""
    import c2pa

    from .formats.base import atomic_write

    chain, key_pem = _leaf_chain(keys, label.ContentProducer)
    try:
        signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ED25519, chain, key_pem, None))
        ctx = c2pa.Context.from_dict(_SETTINGS)
        out = io.BytesIO()
        with open(src, "rb") as fh, c2pa.Builder(manifest(label, Path(src).name), context=ctx) as builder:
            builder.sign(signer, mime, fh, out)
    except c2pa.C2paError as exc:
        raise TianpingError(Problem(f"C2PA signing failed: {exc}", file=str(src)), title="C2PA failed") from None
    atomic_write(dst, lambda fh: fh.write(out.getvalue()))


@dataclass
class C2paResult:
    present: bool = False
    validation_state: str | None = None   # Invalid | Valid | Trusted (c2pa-rs terms)
    ai_source: bool = False
    aigc: dict[str, str] | None = None
    signer: str | None = None
    failures: list[str] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def read(path: Path, mime: str) -> C2paResult:
    import c2pa

    settings: dict[str, Any] = {}
    cert = ca_dir() / "ca.crt"
    if cert.exists():
        settings = {"verify": {"verify_trust": True}, "trust": {"trust_anchors": cert.read_text()}}
    try:
        ctx = c2pa.Context.from_dict(settings) if settings else None
        with open(path, "rb") as fh:
            reader = c2pa.Reader(mime, fh, context=ctx) if ctx else c2pa.Reader(mime, fh)
            with reader:
                active = reader.get_active_manifest() or {}
                state = reader.get_validation_state()
                results = reader.get_validation_results() or {}
    except c2pa.C2paError as exc:
        text = str(exc)
        if "ManifestNotFound" in type(exc).__name__ or "no JUMBF" in text or "not found" in text.lower():
            return C2paResult()
        return C2paResult(present=True, error=text[:300])
    res = C2paResult(present=True, validation_state=state)
    for a in active.get("assertions", []):
        if a.get("label", "").startswith("c2pa.actions"):
            for act in (a.get("data") or {}).get("actions", []):
                if act.get("digitalSourceType") in AI_SOURCES:
                    res.ai_source = True
        if a.get("label") == ASSERTION and isinstance((a.get("data") or {}).get("AIGC"), dict):
            res.aigc = {str(k): str(v) for k, v in a["data"]["AIGC"].items()}
    si = active.get("signature_info") or {}
    res.signer = si.get("common_name") or si.get("issuer")
    for f in (results.get("activeManifest") or {}).get("failure", []):
        res.failures.append(f"{f.get('code')}: {f.get('explanation', '')}"[:200])
    return res


def describe(res: C2paResult) -> str:
    return json.dumps(res.as_dict(), ensure_ascii=False)
