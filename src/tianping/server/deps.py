"""FastAPI dependencies: the services, the caller (token or session cookie) and the language.

A request is authenticated by `Authorization: Bearer <token>` or by the session cookie. A
cookie-authenticated request that changes something must also carry the CSRF token (form field
or X-CSRF-Token header): a cookie alone proves nothing about who built the request.
"""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .accounts import principal_for_session, principal_for_token
from .errors import ServiceError, unauthorised
from .principal import Principal
from .security import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, csrf_ok
from .services import Services

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
bearer = HTTPBearer(auto_error=False, description="An API token from POST /api/v1/auth/token or `tianping users token`.")


async def services(request: Request) -> Services:
    # async: a plain `def` dependency would cost a hop to the thread pool on every request
    return request.app.state.services


def resolve_principal(request: Request, token: str | None) -> Principal | None:
    """The caller, or None for an anonymous visitor; cached on the request (web pages, sync)."""
    if hasattr(request.state, "principal"):
        return request.state.principal
    svc: Services = request.app.state.services
    p: Principal | None = None
    if token:
        from .filings import read_connection

        with read_connection(svc.db) as conn:
            p = principal_for_token(conn, token)
        if p is None:
            raise unauthorised("the API token is invalid or expired")
        request.state.via = "token"
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        data = svc.signer.loads(cookie) if cookie else None
        if data:
            with svc.db.session() as s:
                p = principal_for_session(s, *data)
            request.state.via = "session"
    request.state.principal = p
    return p


async def resolve_principal_async(request: Request, token: str | None) -> Principal | None:
    """The same as `resolve_principal`, on the event loop (the API's dependency)."""
    if hasattr(request.state, "principal"):
        return request.state.principal
    reads = request.app.state.services.reads
    p: Principal | None = None
    if token:
        p = await reads.principal_for_token(token)
        if p is None:
            raise unauthorised("the API token is invalid or expired")
        request.state.via = "token"
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            p = await reads.principal_for_session(cookie)
            if p is not None:
                request.state.via = "session"
    request.state.principal = p
    return p


async def optional_user(request: Request, cred: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal | None:
    p = await resolve_principal_async(request, cred.credentials if cred else None)
    if p is not None and getattr(request.state, "via", None) == "session" and request.method not in SAFE_METHODS:
        if not csrf_ok(request.cookies.get(CSRF_COOKIE), request.headers.get(CSRF_HEADER)):
            raise ServiceError(403, "missing or wrong CSRF token (send the X-CSRF-Token header)", title="forbidden")
    return p


async def current_user(p: Principal | None = Depends(optional_user)) -> Principal:
    if p is None:
        raise unauthorised()
    return p


def role_in(*roles: str):
    async def dep(p: Principal = Depends(current_user)) -> Principal:
        if p.role not in roles:
            raise ServiceError(403, f"needs one of the roles: {', '.join(roles)}", title="forbidden")
        return p

    return dep
