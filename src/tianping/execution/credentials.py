"""Encryption at rest for endpoint credentials (Fernet from `cryptography`: AES-128-CBC + HMAC-SHA256).

The key comes from the server's configuration: `TIANPING_CREDENTIALS_KEY` (a Fernet key, or
several separated by commas — the first encrypts, all decrypt, so a key can be rotated), else it is
derived with HKDF-SHA256 from the server's secret key, so a server that has a secret needs no
extra setting. Plain text never reaches the database, a log line or an error message: a value
that does not decrypt is reported as "cannot be decrypted with the configured key", nothing more.
"""

from __future__ import annotations

import base64
import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..errors import TianpingError

ENV = "TIANPING_CREDENTIALS_KEY"


def derive_key(secret: str) -> bytes:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"tianping-endpoint-credentials/1", info=b"fernet").derive(
        secret.encode("utf-8")
    )
    return base64.urlsafe_b64encode(raw)


class Vault:
    """Encrypts and decrypts short secrets (API keys)."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("no key")
        self._f = MultiFernet([Fernet(k) for k in keys])

    @classmethod
    def from_config(cls, configured: str | None = None, secret_key: str | None = None) -> Vault:
        value = configured or os.environ.get(ENV)
        if value:
            try:
                return cls([k.strip().encode("ascii") for k in value.split(",") if k.strip()])
            except (ValueError, TypeError):
                raise TianpingError(
                    f"{ENV} must be one or more Fernet keys (32 url-safe base64 bytes), comma-separated",
                    title="bad configuration",
                ) from None
        if not secret_key:
            raise TianpingError(
                f"set {ENV} (or the server's secret key) to store endpoint credentials", title="bad configuration"
            )
        return cls([derive_key(secret_key)])

    def encrypt(self, plain: str) -> str:
        return self._f.encrypt(plain.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._f.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError):
            raise TianpingError(
                f"the stored credential cannot be decrypted with the configured key (was {ENV} or the secret key changed?)",
                title="credential unreadable",
            ) from None
