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
from typing import Any, BinaryIO

from ..config import data_home
from ..crypto import KeyPair
from ..errors import Problem, TianpingError
from .fields import AIGCLabel

ASSERTION = "tianping.aigc.gb45438"
AI_SOURCE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
AI_SOURCES = {
    AI_SOURCE,
    "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia",
    "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia",
    "trainedAlgorithmicMedia",
}
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
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Tianping local C2PA CA (not publicly trusted)"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tianping local"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, None)
    )
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
    now = dt.datetime.now(dt.UTC)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, subject[:64] or "producer"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tianping user"),
                ]
            )
        )
        .issuer_name(ca_cert.subject)
        .public_key(keys.public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(keys.public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, None)
    )
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
            {
                "label": ASSERTION,
                "data": {"AIGC": label.fields(), "cites": ["cn-aigc-labeling:gb45438-annex-e", "cn-aigc-labeling:art-5"]},
            },
        ],
    }


@dataclass
class C2paCredentials:
    """A certificate chain (leaf first, PEM) and its private key, e.g. issued by a CA on the C2PA
    trust list; used instead of the local CA when given."""

    chain_pem: bytes
    key_pem: bytes
    alg: str  # c2pa-rs algorithm name: ed25519, es256, es384, es512, ps256
    subject: str


def load_credentials(cert_file: Path, key_file: Path) -> C2paCredentials:
    """Read and check a PEM certificate chain and its unencrypted PEM private key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.x509.oid import NameOID

    def read(path: Path, what: str) -> bytes:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise TianpingError(
                Problem(f"cannot read the {what}: {exc.strerror}", file=str(path)), title="C2PA credentials"
            ) from None
        if len(data) > 1 << 20:
            raise TianpingError(Problem(f"the {what} is larger than 1 MiB", file=str(path)), title="C2PA credentials")
        return data

    chain_pem, key_pem = read(cert_file, "certificate chain"), read(key_file, "private key")
    try:
        certs = x509.load_pem_x509_certificates(chain_pem)
    except ValueError as exc:
        raise TianpingError(
            Problem(f"not a PEM certificate chain ({exc})", file=str(cert_file)), title="C2PA credentials"
        ) from None
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise TianpingError(
            Problem(f"not an unencrypted PEM private key ({exc})", file=str(key_file)), title="C2PA credentials"
        ) from None
    raw = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if certs[0].public_key().public_bytes(*raw) != key.public_key().public_bytes(*raw):
        raise TianpingError(
            Problem("the private key does not belong to the first certificate of the chain", file=str(key_file)),
            title="C2PA credentials",
        )
    if isinstance(key, ed25519.Ed25519PrivateKey):
        alg = "ed25519"
    elif isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name in ("secp256r1", "secp384r1", "secp521r1"):
        alg = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}[key.curve.name]
    elif isinstance(key, rsa.RSAPrivateKey) and key.key_size >= 2048:
        alg = "ps256"
    else:
        raise TianpingError(
            Problem("unsupported key type: C2PA signs with Ed25519, ECDSA P-256/384/521 or RSA >= 2048 bits", file=str(key_file)),
            title="C2PA credentials",
        )
    names = certs[0].subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return C2paCredentials(chain_pem, key_pem, alg, str(names[0].value) if names else "")


_ALGS = {"ed25519": "ED25519", "es256": "ES256", "es384": "ES384", "es512": "ES512", "ps256": "PS256"}


def _signer(keys: KeyPair, subject: str, creds: C2paCredentials | None = None):
    import c2pa

    if creds is not None:
        alg = getattr(c2pa.C2paSigningAlg, _ALGS[creds.alg])
        return c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg, creds.chain_pem, creds.key_pem, None))
    chain, key_pem = _leaf_chain(keys, subject)
    return c2pa.Signer.from_info(c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ED25519, chain, key_pem, None))


def sign_file(src: Path, dst: Path, mime: str, label: AIGCLabel, keys: KeyPair, creds: C2paCredentials | None = None) -> None:
    """Embed a signed manifest; dst may equal src (written via a temporary file)."""
    _build(src, dst, mime, manifest(label, Path(src).name), keys, label.ContentProducer, creds=creds)


def propagation_manifest(label: AIGCLabel, title: str) -> dict[str, Any]:
    """The platform's manifest: it opened the producer's asset (parent ingredient) and changed metadata."""
    from .. import __version__

    return {
        "claim_generator_info": [{"name": "tianping", "version": __version__}],
        "title": title,
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {"action": "c2pa.opened", "parameters": {"ingredientIds": ["parent"]}},
                        {"action": "c2pa.edited.metadata"},
                    ]
                },
            },
            {
                "label": ASSERTION,
                "data": {"AIGC": label.fields(), "cites": ["cn-aigc-labeling:art-6", "cn-aigc-labeling:gb45438-annex-e"]},
            },
        ],
    }


def sign_propagation(
    parent: Path, src: Path, dst: Path, mime: str, label: AIGCLabel, keys: KeyPair, creds: C2paCredentials | None = None
) -> None:
    """Sign the platform's manifest over `src` (the relabelled file) with `parent` (the file as the
    producer shipped it, manifest intact) as its parentOf ingredient. Rewriting metadata breaks the
    producer's hard binding; this keeps the producer's manifest verifiable inside the chain and makes
    the platform's own manifest the valid active one, as C2PA intends for edits."""

    def add_parent(builder: Any) -> None:
        with open(parent, "rb") as fh:
            builder.add_ingredient({"title": Path(parent).name, "relationship": "parentOf", "label": "parent"}, mime, fh)

    _build(
        src,
        dst,
        mime,
        propagation_manifest(label, Path(src).name),
        keys,
        label.ContentPropagator or "propagator",
        add_parent,
        creds=creds,
    )


def _build(
    src: Path,
    dst: Path,
    mime: str,
    definition: dict[str, Any],
    keys: KeyPair,
    subject: str,
    extra: Any = None,
    *,
    creds: C2paCredentials | None = None,
) -> None:
    import c2pa

    from .formats.base import atomic_write

    try:
        signer = _signer(keys, subject, creds)
        ctx = c2pa.Context.from_dict({**_SETTINGS, **_trust_settings()})
        out = io.BytesIO()
        with open(src, "rb") as fh, c2pa.Builder(definition, context=ctx) as builder:
            if extra:
                extra(builder)
            builder.sign(signer, mime, fh, out)
    except c2pa.C2paError as exc:
        raise TianpingError(Problem(f"C2PA signing failed: {exc}", file=str(src)), title="C2PA failed") from None
    signed = out.getvalue()

    def write_signed(fh: BinaryIO) -> None:
        fh.write(signed)

    atomic_write(dst, write_signed)


@dataclass
class C2paResult:
    present: bool = False
    validation_state: str | None = None  # Invalid | Valid | Trusted (c2pa-rs terms)
    ai_source: bool = False
    aigc: dict[str, str] | None = None
    signer: str | None = None
    failures: list[str] = field(default_factory=list)
    error: str | None = None
    parents: list[dict[str, Any]] = field(default_factory=list)  # parentOf chain, newest first

    def as_dict(self) -> dict:
        return asdict(self)


def _trust_settings(extra_anchors: str | None = None) -> dict[str, Any]:
    """Trust anchors for validation: this machine's local CA (if any) plus any PEM the user gives
    (e.g. the C2PA trust list, or a CA their platform accepts)."""
    cert = ca_dir() / "ca.crt"
    pem = (cert.read_text() if cert.exists() else "") + (extra_anchors or "")
    if pem.strip():
        return {"verify": {"verify_trust": True}, "trust": {"trust_anchors": pem}}
    return {}


def _ai_source(m: dict) -> bool:
    for a in m.get("assertions", []):
        if a.get("label", "").startswith("c2pa.actions"):
            for act in (a.get("data") or {}).get("actions", []):
                if act.get("digitalSourceType") in AI_SOURCES:
                    return True
    return False


def _aigc(m: dict) -> dict[str, str] | None:
    for a in m.get("assertions", []):
        if a.get("label") == ASSERTION and isinstance((a.get("data") or {}).get("AIGC"), dict):
            return {str(k): str(v) for k, v in a["data"]["AIGC"].items()}
    return None


def _signer_name(m: dict) -> str | None:
    si = m.get("signature_info") or {}
    return si.get("common_name") or si.get("issuer")


def read(path: Path, mime: str, trust_anchors: str | None = None) -> C2paResult:
    import c2pa

    settings = _trust_settings(trust_anchors)
    try:
        ctx = c2pa.Context.from_dict(settings) if settings else None
        with open(path, "rb") as fh:
            reader = c2pa.Reader(mime, fh, context=ctx) if ctx else c2pa.Reader(mime, fh)
            with reader:
                store = json.loads(reader.json() or "{}")
                state = reader.get_validation_state()
                results = reader.get_validation_results() or {}
    except c2pa.C2paError as exc:
        text = str(exc)
        if "ManifestNotFound" in type(exc).__name__ or "no JUMBF" in text or "not found" in text.lower():
            return C2paResult()
        return C2paResult(present=True, error=text[:300])
    except ValueError as exc:  # the manifest store's JSON did not parse
        return C2paResult(present=True, error=f"unreadable manifest store: {exc}"[:300])
    manifests = store.get("manifests") or {}
    active = manifests.get(store.get("active_manifest") or "", {})
    res = C2paResult(
        present=True, validation_state=state, ai_source=_ai_source(active), aigc=_aigc(active), signer=_signer_name(active)
    )
    # Follow parentOf ingredients back to the origin (bounded: a hostile store could loop).
    seen, current = {store.get("active_manifest")}, active
    for _ in range(16):
        parent = next((i for i in current.get("ingredients", []) if i.get("relationship") == "parentOf"), None)
        if parent is None:
            break
        label = parent.get("active_manifest")
        if not label or label in seen or label not in manifests:
            break
        seen.add(label)
        current = manifests[label]
        status = ((parent.get("validation_results") or {}).get("activeManifest") or {}).get("failure", [])
        res.parents.append(
            {
                "signer": _signer_name(current),
                "ai_source": _ai_source(current),
                "failures": [f"{f.get('code')}" for f in status][:10],
            }
        )
        res.ai_source = res.ai_source or _ai_source(current)
    for f in (results.get("activeManifest") or {}).get("failure", []):
        res.failures.append(f"{f.get('code')}: {f.get('explanation', '')}"[:200])
    return res


def describe(res: C2paResult) -> str:
    return json.dumps(res.as_dict(), ensure_ascii=False)
