"""Ed25519 signing keys shared by every feature that signs (report bundles, content labels,
incident bundles): one key pair per user, stored in the data home with owner-only permissions.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .config import data_home
from .errors import Problem, TianpingError


def keys_dir() -> Path:
    return data_home() / "keys"


def fingerprint(public: Ed25519PublicKey | bytes) -> str:
    """SHA-256 of the raw 32-byte public key, hex (the id a verifier pins)."""
    raw = public if isinstance(public, bytes) else public_bytes(public)
    return hashlib.sha256(raw).hexdigest()


def public_bytes(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_from_bytes(raw: bytes) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise TianpingError(f"not an Ed25519 public key: {exc}", title="invalid key") from None


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str, what: str = "value") -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise TianpingError(f"{what} is not valid base64", title="invalid signature") from None


@dataclass
class KeyPair:
    private: Ed25519PrivateKey
    path: Path | None = None

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def public_raw(self) -> bytes:
        return public_bytes(self.public)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_raw)

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)


def verify(public: Ed25519PublicKey | bytes, signature: bytes, data: bytes) -> bool:
    pub = public_from_bytes(public) if isinstance(public, bytes) else public
    try:
        pub.verify(signature, data)
        return True
    except InvalidSignature:
        return False


def init_keys(directory: Path | None = None, *, force: bool = False) -> KeyPair:
    """Create a key pair (refuses to overwrite one unless force=True)."""
    directory = directory or keys_dir()
    directory.mkdir(parents=True, exist_ok=True)
    priv_path = directory / "ed25519.pem"
    if priv_path.exists() and not force:
        raise TianpingError(
            Problem(
                "a signing key already exists (use --force to replace it; signatures made with "
                "the old key will then no longer match your fingerprint)",
                file=str(priv_path),
            ),
            title="key exists",
        )
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    tmp = priv_path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    tmp.replace(priv_path)
    (directory / "ed25519.pub").write_text(b64(public_bytes(key.public_key())) + "\n", encoding="ascii")
    return KeyPair(key, priv_path)


def load_keys(directory: Path | None = None) -> KeyPair:
    directory = directory or keys_dir()
    priv_path = directory / "ed25519.pem"
    if not priv_path.exists():
        raise TianpingError(Problem("no signing key yet: run `tianping keys init`", file=str(priv_path)), title="no key")
    try:
        key = serialization.load_pem_private_key(priv_path.read_bytes(), password=None)
    except ValueError as exc:
        raise TianpingError(Problem(f"cannot read the signing key: {exc}", file=str(priv_path)), title="invalid key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise TianpingError(Problem("the key is not an Ed25519 key", file=str(priv_path)), title="invalid key")
    return KeyPair(key, priv_path)


def load_or_init_keys(directory: Path | None = None) -> KeyPair:
    try:
        return load_keys(directory)
    except TianpingError:
        return init_keys(directory)
