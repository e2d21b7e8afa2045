"""Passwords, sessions, API tokens, CSRF tokens and the login rate limit.

- Passwords: argon2id (argon2-cffi defaults), re-hashed when the parameters change.
- Browser sessions: a cookie signed with itsdangerous holding the user id and a session epoch;
  raising the epoch (logout, password change, deactivation) ends every session of that user; the
  epoch is checked against the database on every request, so an old cookie stops working at once.
- API: bearer tokens; only their SHA-256 is stored, so a database leak does not leak tokens.
- CSRF: double-submit token (a random cookie echoed in every form or an X-CSRF-Token header),
  compared in constant time; session cookies are also SameSite=Lax.
- Login throttling: failures counted in the database per (user name, address), per address and
  per user name, with exponential back-off instead of a lockout (see LoginLimiter).
- Client addresses: X-Forwarded-For believed only from configured proxies (TrustedProxies).
- Security headers and no-store caching on every response (SecurityHeaders).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import math
import secrets
import time
import uuid

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .models import ApiTokenRow, LoginFailureRow

_hasher = PasswordHasher()
# a hash to verify against when the user does not exist, so timing does not reveal user names
_DUMMY_HASH = _hasher.hash("tianping-dummy-password")

SESSION_COOKIE = "tp_session"
CSRF_COOKIE = "tp_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


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
    s.add(
        ApiTokenRow(
            id=str(uuid.uuid4()),
            user_id=user_id,
            token_sha256=token_digest(token),
            name=name[:100],
            created_at=now_iso(),
            expires_at=(time.time() + ttl_seconds) if ttl_seconds else None,
        )
    )
    return token


class LoginLimiter:
    """Login throttling with exponential back-off, counted in the database (so it holds across
    worker processes) per (user name, address), per address and per user name.

    Past `free` failures within the window, the next attempt on that key waits base, 2×base,
    4×base, … seconds after the latest failure, up to the key's cap. No key ever locks an account
    for everyone for long: the per-account key (every address together) starts only after many
    failures and is capped at a minute, so a password spray slows the sprayer's address down
    (per-address key) while the real users, from their own addresses, still get in.
    """

    def __init__(
        self,
        window: float,
        *,
        free_pair: int = 5,
        free_ip: int = 20,
        free_user: int = 20,
        base: float = 10.0,
        cap: float = 900.0,
        cap_user: float = 60.0,
    ):
        self.window, self.base = window, base
        self.free_pair, self.free_ip, self.free_user = free_pair, free_ip, free_user
        self.cap, self.cap_user = cap, cap_user

    def _keys(self, username: str, client: str) -> dict[str, tuple[int, float]]:
        """key -> (free failures, cap in seconds)"""
        user = username.lower()[:64]
        return {
            f"pair:{user}|{client}"[:200]: (self.free_pair, self.cap),
            f"ip:{client}"[:200]: (self.free_ip, self.cap),
            f"user:{user}"[:200]: (self.free_user, self.cap_user),
        }

    def delay(self, failures: int, free: int, cap: float) -> float:
        """Seconds to wait after the latest of `failures` failures (0 while within the free ones)."""
        if failures < free:
            return 0.0
        return min(cap, self.base * 2.0 ** min(failures - free, 30))

    def retry_after(self, s: Session, username: str, client: str) -> int | None:
        """Seconds until the next attempt is allowed, or None if allowed now."""
        now = time.time()
        keys = self._keys(username, client)
        rows = s.execute(
            select(LoginFailureRow.key, func.count(), func.max(LoginFailureRow.ts))
            .where(LoginFailureRow.key.in_(list(keys)), LoginFailureRow.ts > now - self.window)
            .group_by(LoginFailureRow.key)
        ).all()
        worst = 0.0
        for key, n, last in rows:
            free, cap = keys[key]
            worst = max(worst, last + self.delay(n, free, cap) - now)
        return math.ceil(worst) if worst > 0 else None

    def failed(self, s: Session, username: str, client: str) -> None:
        t = time.time()
        for key in self._keys(username, client):
            s.add(LoginFailureRow(key=key, ts=t))
        s.execute(delete(LoginFailureRow).where(LoginFailureRow.ts < t - self.window))

    def succeeded(self, s: Session, username: str, client: str) -> None:
        # the address's own count stays: logging in to one's own account must not reset a spray
        keys = [k for k in self._keys(username, client) if not k.startswith("ip:")]
        s.execute(delete(LoginFailureRow).where(LoginFailureRow.key.in_(keys)))


# -- client address behind trusted proxies -----------------------------------------------------
def parse_networks(values: list[str] | tuple[str, ...]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """`["10.0.0.1", "192.168.0.0/16", "::1"]` as networks; a wrong entry is a configuration error."""
    from ..errors import Problem, TianpingError

    nets = []
    for v in values:
        try:
            nets.append(ipaddress.ip_network(v.strip(), strict=False))
        except ValueError:
            raise TianpingError(
                Problem(f"'{v}' is not an IP address or network", field="TIANPING_TRUSTED_PROXIES"), title="bad option"
            ) from None
    return nets


class TrustedProxies:
    """ASGI middleware: the client address and scheme, believing `X-Forwarded-For` and
    `X-Forwarded-Proto` only when the connection comes from a configured proxy.

    With no trusted proxy (the default) the headers are ignored, so rotating a forged
    X-Forwarded-For cannot dodge the login throttle or the feedback limit. `tianping serve` runs
    uvicorn with its own proxy-header handling off: this is the one place that decides.
    The chain is read right to left, skipping trusted hops; the first untrusted address is the client.
    """

    def __init__(self, app: ASGIApp, trusted: list[str]):
        self.app = app
        self.nets = parse_networks(trusted)

    def trusted(self, host: str) -> bool:
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(ip in n for n in self.nets)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if self.nets and scope["type"] in ("http", "websocket") and client and self.trusted(client[0]):
            forwarded: list[str] = []
            proto = None
            for name, value in scope["headers"]:
                if name == b"x-forwarded-for":
                    forwarded.extend(h.strip() for h in value.decode("latin-1").split(","))
                elif name == b"x-forwarded-proto":
                    proto = value.decode("latin-1").split(",")[-1].strip().lower()
            scope = dict(scope)
            addr = client[0]
            for hop in reversed([h for h in forwarded if h]):
                try:
                    addr = str(ipaddress.ip_address(hop))
                except ValueError:
                    break  # garbage in the chain: stop at the last address we could read
                if not self.trusted(addr):
                    break
            scope["client"] = (addr, 0)
            if proto in ("http", "https"):
                scope["scheme"] = proto if scope["type"] == "http" else ("wss" if proto == "https" else "ws")
        await self.app(scope, receive, send)


def client_address(request: Request) -> str:
    """The client's address as the trusted-proxy middleware determined it."""
    return request.client.host if request.client else "unknown"


# -- security headers and caching ----------------------------------------------------------------
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
STATIC_PREFIXES = ("/static/", "/api/docs/assets/")


class SecurityHeaders:
    """ASGI middleware: security headers on every response, `Cache-Control: no-store` on every
    private one.

    - CSP: pages load only this site's own scripts, styles and images (`frame-ancestors 'none'`);
      API answers (JSON) may load nothing at all.
    - `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`, `Referrer-Policy: same-origin`.
    - `Strict-Transport-Security` when the request came over https (directly, or from a trusted proxy).
    - `Cache-Control: no-store` unless the response says otherwise, except static assets and
      anonymous GETs of the API (public register, catalog): pages carry CSRF tokens and user data,
      and downloads and authenticated answers must not stay in a shared or browser cache.
    A header the route set itself is kept.
    """

    def __init__(self, app: ASGIApp, hsts_seconds: int = 365 * 86400):
        self.app = app
        self.hsts = f"max-age={hsts_seconds}; includeSubDomains".encode() if hsts_seconds > 0 else None
        self.common = [(k.lower().encode(), v.encode()) for k, v in COMMON_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        static = path.startswith(STATIC_PREFIXES)
        api = path.startswith("/api/") and path != "/api/docs"
        private = not static
        if private and api and scope["method"] in ("GET", "HEAD"):
            private = False
            for name, value in scope["headers"]:
                if name == b"authorization" or (name == b"cookie" and SESSION_COOKIE.encode() + b"=" in value):
                    private = True
                    break
        https = scope.get("scheme") == "https"
        csp = (API_CSP if api else PAGE_CSP).encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                have = {name.lower() for name, _ in headers}
                extra = [(n, v) for n, v in self.common if n not in have]
                if b"content-security-policy" not in have:
                    extra.append((b"content-security-policy", csp))
                if https and self.hsts and b"strict-transport-security" not in have:
                    extra.append((b"strict-transport-security", self.hsts))
                if private and b"cache-control" not in have:
                    extra.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)
