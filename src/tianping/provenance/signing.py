"""Ed25519 signatures in the Annex E reserved codes, binding a label to its content.

Why: an AIGC record is plain metadata — anyone can write one or copy it onto other content.
ReservedCode1 holds the producer's signature over (producer fields + SHA-256 of the content),
ReservedCode2 the propagating platform's signature over (all producer fields, ReservedCode1,
propagator fields + the content hash). A platform therefore adds its part without touching, and
without breaking, the producer's signature, and its own signature chains to the producer's.

Code format (ASCII, fits any metadata container):  TP1.ed25519.<public key b64url>.<content sha256 hex>.<signature b64url>
A valid signature proves only that the holder of that key signed; who holds it is a trust decision
(pin fingerprints with `label check --trust FP`).
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass

from ..crypto import KeyPair, fingerprint, verify
from .fields import AIGCLabel

VERSION = "TP1"


def _b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).decode("ascii").rstrip("=")


def _unb64u(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _message(role: str, label: AIGCLabel, content_sha256: str) -> bytes:
    body: dict[str, str] = {
        "v": VERSION,
        "role": role,
        "content_sha256": content_sha256,
        "Label": label.Label,
        "ContentProducer": label.ContentProducer,
        "ProduceID": label.ProduceID,
    }
    if role == "propagator":
        body.update(ReservedCode1=label.ReservedCode1, ContentPropagator=label.ContentPropagator, PropagateID=label.PropagateID)
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def make_code(keys: KeyPair, role: str, label: AIGCLabel, content_sha256: str) -> str:
    sig = keys.sign(_message(role, label, content_sha256))
    return ".".join([VERSION, "ed25519", _b64u(keys.public_raw), content_sha256, _b64u(sig)])


def sign_producer(keys: KeyPair, label: AIGCLabel, content_sha256: str) -> None:
    label.ReservedCode1 = make_code(keys, "producer", label, content_sha256)


def sign_propagator(keys: KeyPair, label: AIGCLabel, content_sha256: str) -> None:
    label.ReservedCode2 = make_code(keys, "propagator", label, content_sha256)


@dataclass
class SignatureCheck:
    """status: absent | not_tianping (reserved code used for something else) | malformed |
    invalid (fields changed after signing / forged) | content_mismatch (content edited, or the label was
    moved to other content) | valid."""

    role: str
    status: str
    fingerprint: str | None = None
    signed_content_sha256: str | None = None
    trusted: bool | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def check_code(role: str, label: AIGCLabel, content_sha256: str, trust: set[str] | None = None) -> SignatureCheck:
    code = label.ReservedCode1 if role == "producer" else label.ReservedCode2
    if not code:
        return SignatureCheck(role, "absent")
    if not code.startswith(VERSION + "."):
        return SignatureCheck(role, "not_tianping")
    parts = code.split(".")
    if len(parts) != 5 or parts[1] != "ed25519" or len(parts[3]) != 64:
        return SignatureCheck(role, "malformed")
    try:
        pub, sig = _unb64u(parts[2]), _unb64u(parts[4])
    except (ValueError, TypeError):
        return SignatureCheck(role, "malformed")
    if len(pub) != 32 or len(sig) != 64:
        return SignatureCheck(role, "malformed")
    fp = fingerprint(pub)
    trusted = (fp in trust) if trust else None
    if not verify(pub, sig, _message(role, label, parts[3])):
        return SignatureCheck(role, "invalid", fp, parts[3], trusted)
    status = "valid" if parts[3] == content_sha256 else "content_mismatch"
    return SignatureCheck(role, status, fp, parts[3], trusted)
