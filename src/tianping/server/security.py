"""Passwords, sessions, API tokens, CSRF tokens and the login rate limit.

- Passwords: argon2id (argon2-cffi defaults), re-hashed when the parameters change.
- Browser sessions: a cookie signed with itsdangerous holding the user id and a session epoch;
  raising the epoch (password change, deactivation) ends every session of that user.
- API: bearer tokens; only their SHA-256 is stored, so a database leak does not leak tokens.
- CSRF: double-submit token (a random cookie echoed in every form or an X-CSRF-Token header),
  compared in constant time; session cookies are also SameSite=Lax.
- Login rate limit: failures counted in the database per user name and per client address.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
import uuid

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .models import ApiTokenRow, LoginFailureRow

_hasher = PasswordHasher()
# a hash to verify against when the user does not exist, so timing does not reveal user names
_DUMMY_HASH = _hasher.hash("tianping-dummy-password")

SESSION_COOKIE = "tp_session"
CSRF_COOKIE = "tp_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


class SessionSigner:
    def __init__(self, secret_key: str, max_age: int):
        self._s = URLSafeTimedSerializer(secret_key, salt="tianping-session")
        self.max_age = max_age

    def dumps(self, user_id: str, epoch: int) -> str:
        return self._s.dumps({"u": user_id, "e": epoch})

    def loads(self, value: str) -> tuple[str, int] | None:
        try:
            data = self._s.loads(value, max_age=self.max_age)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("u"), str) or not isinstance(data.get("e"), int):
            return None
        return data["u"], data["e"]


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_ok(cookie_value: str | None, submitted: str | None) -> bool:
    return bool(cookie_value and submitted) and hmac.compare_digest(str(cookie_value), str(submitted))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(s: Session, user_id: str, name: str = "api", ttl_seconds: float | None = None) -> str:
    token = "tp_" + secrets.token_urlsafe(32)
    s.add(ApiTokenRow(id=str(uuid.uuid4()), user_id=user_id, token_sha256=token_digest(token), name=name[:100],
                      created_at=now_iso(), expires_at=(time.time() + ttl_seconds) if ttl_seconds else None))
    return token


class LoginLimiter:
    """Counts failed logins in the database; refuses further attempts while over the limit."""

    def __init__(self, window: int, max_user: int, max_ip: int):
        self.window, self.max_user, self.max_ip = window, max_user, max_ip

    def retry_after(self, s: Session, username: str, client: str) -> int | None:
        """Seconds until the next attempt is allowed, or None if allowed now."""
        since = time.time() - self.window
        worst = None
        for key, limit in ((f"user:{username.lower()}", self.max_user), (f"ip:{client}", self.max_ip)):
            rows = s.execute(select(func.count(), func.min(LoginFailureRow.ts))
                             .where(LoginFailureRow.key == key, LoginFailureRow.ts > since)).one()
            if rows[0] >= limit:
                wait = int(rows[1] + self.window - time.time()) + 1
                worst = max(worst or 0, wait)
        return worst

    def failed(self, s: Session, username: str, client: str) -> None:
        t = time.time()
        s.add(LoginFailureRow(key=f"user:{username.lower()}"[:200], ts=t))
        s.add(LoginFailureRow(key=f"ip:{client}"[:200], ts=t))
        s.execute(delete(LoginFailureRow).where(LoginFailureRow.ts < t - self.window))

    def succeeded(self, s: Session, username: str) -> None:
        s.execute(delete(LoginFailureRow).where(LoginFailureRow.key == f"user:{username.lower()}"))
