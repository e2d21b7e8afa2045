"""Organisations, users and API tokens: used by `tianping users …`, the API and the login form."""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy.orm import Session

from ..audit import append_event
from ..store import Database
from .errors import ServiceError, conflict, invalid
from .models import ApiTokenRow, OrganisationRow, UserRow
from .principal import ROLES, Principal
from .security import LoginLimiter, hash_password, issue_token, needs_rehash, now_iso, token_digest, verify_password


def principal_of(s: Session, user: UserRow) -> Principal:
    org = s.get(OrganisationRow, user.organisation_id) if user.organisation_id else None
    return Principal(user.id, user.username, user.display_name, user.role, user.organisation_id, org.name if org else None)


def ensure_organisation(s: Session, name: str, *, actor: str = "system") -> OrganisationRow:
    name = name.strip()
    if not name:
        raise invalid("an organisation needs a name", field="organisation")
    org = s.scalars(select(OrganisationRow).where(OrganisationRow.name == name)).first()
    if org is None:
        org = OrganisationRow(id=str(uuid.uuid4()), name=name, created_at=now_iso())
        s.add(org)
        s.flush()
        append_event(s, "organisation.created", "organisation", org.id, {"name": name}, actor=actor)
    return org


def add_user(
    db: Database,
    username: str,
    password: str,
    role: str,
    *,
    organisation: str | None = None,
    display_name: str | None = None,
    actor: str = "system",
) -> dict[str, Any]:
    """Create a user (providers need an organisation, created if new)."""
    if role not in ROLES:
        raise invalid(f"unknown role '{role}' (use {', '.join(ROLES)})", field="role")
    if not username or len(username) > 64 or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise invalid("user names are 1-64 letters, digits, '.', '-' or '_'", field="username")
    if len(password) < 10:
        raise invalid("passwords need at least 10 characters", field="password")
    if role == "provider" and not organisation:
        raise invalid("a provider belongs to an organisation (--org)", field="organisation")
    with db.session() as s:
        if s.scalars(select(UserRow).where(UserRow.username == username)).first():
            raise conflict(f"user '{username}' exists", field="username")
        org = ensure_organisation(s, organisation, actor=actor) if organisation else None
        user = UserRow(
            id=str(uuid.uuid4()),
            username=username,
            display_name=display_name or username,
            password_hash=hash_password(password),
            role=role,
            organisation_id=org.id if org else None,
            active=True,
            session_epoch=0,
            created_at=now_iso(),
        )
        s.add(user)
        s.flush()
        append_event(
            s,
            "user.created",
            "user",
            user.id,
            {"username": username, "role": role, "organisation": org.name if org else None},
            actor=actor,
        )
        return {"id": user.id, "username": username, "role": role, "organisation": org.name if org else None}


def list_users(db: Database) -> list[dict[str, Any]]:
    with db.session() as s:
        orgs = {o.id: o.name for o in s.scalars(select(OrganisationRow))}
        return [
            {
                "id": u.id,
                "username": u.username,
                "display_name": u.display_name,
                "role": u.role,
                "organisation": orgs.get(u.organisation_id or ""),
                "active": u.active,
            }
            for u in s.scalars(select(UserRow).order_by(UserRow.username))
        ]


def authenticate(db: Database, limiter: LoginLimiter, username: str, password: str, client: str) -> Principal:
    """Check a password under the rate limit; raises 429 while over the limit, 401 on a bad password."""
    username = (username or "").strip()[:64]
    with db.session() as s:
        wait = limiter.retry_after(s, username, client)
    if wait is not None:
        err = ServiceError(429, f"too many failed logins; try again in {wait} s", title="too many requests")
        err.retry_after = wait
        raise err
    with db.session() as s:
        user = s.scalars(select(UserRow).where(UserRow.username == username)).first()
        ok = verify_password(user.password_hash if user else None, password or "") and bool(user and user.active)
        if not ok or user is None:
            limiter.failed(s, username, client)
            fail = True
        else:
            fail = False
            limiter.succeeded(s, username, client)
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            p = principal_of(s, user)
    if fail:
        raise ServiceError(401, "wrong user name or password", title="unauthorised")
    return p


def create_token(db: Database, principal: Principal, name: str = "api", ttl_seconds: float | None = 30 * 86400) -> str:
    with db.session() as s:
        token = issue_token(s, principal.user_id, name, ttl_seconds)
        append_event(s, "token.issued", "user", principal.user_id, {"name": name}, actor=principal.actor)
        return token


def revoke_token(db: Database, token: str) -> None:
    with db.session() as s:
        row = s.scalars(select(ApiTokenRow).where(ApiTokenRow.token_sha256 == token_digest(token))).first()
        if row is not None:
            s.delete(row)


def principal_for_token(s: Session | Connection, token: str) -> Principal | None:
    """One query per API call: token, user and organisation joined."""
    row = s.execute(
        select(
            ApiTokenRow.expires_at,
            UserRow.id,
            UserRow.username,
            UserRow.display_name,
            UserRow.role,
            UserRow.organisation_id,
            UserRow.active,
            OrganisationRow.name,
        )
        .join(UserRow, UserRow.id == ApiTokenRow.user_id)
        .outerjoin(OrganisationRow, OrganisationRow.id == UserRow.organisation_id)
        .where(ApiTokenRow.token_sha256 == token_digest(token))
    ).first()
    if row is None:
        return None
    expires, uid, username, display, role, org_id, active, org_name = row
    if not active or (expires is not None and expires < time.time()):
        return None
    return Principal(uid, username, display, role, org_id, org_name)


def principal_for_session(s: Session, user_id: str, epoch: int) -> Principal | None:
    user = s.get(UserRow, user_id)
    if user is None or not user.active or user.session_epoch != epoch:
        return None
    return principal_of(s, user)


def session_epoch(db: Database, user_id: str) -> int:
    with db.session() as s:
        user = s.get(UserRow, user_id)
        return user.session_epoch if user else -1


def _user_named(s: Session, username: str) -> UserRow:
    from .errors import not_found

    user = s.scalars(select(UserRow).where(UserRow.username == username)).first()
    if user is None:
        raise not_found(f"user '{username}'")
    return user


def _revoke_all(s: Session, user: UserRow) -> None:
    """End every browser session (raise the epoch the cookies carry) and delete every API token."""
    user.session_epoch = (user.session_epoch or 0) + 1
    s.execute(delete(ApiTokenRow).where(ApiTokenRow.user_id == user.id))


def end_sessions(db: Database, user_id: str) -> None:
    """Logout: every session cookie of this user stops working at once (the epoch is checked on
    every request). API tokens are separate: `DELETE /api/v1/auth/token` revokes one."""
    with db.session() as s:
        user = s.get(UserRow, user_id)
        if user is not None:
            user.session_epoch = (user.session_epoch or 0) + 1


def set_password(db: Database, username: str, new_password: str, *, actor: str, current_password: str | None = None) -> None:
    """Change a password (the user's own needs the current one); ends every session and token."""
    if len(new_password) < 10:
        raise invalid("passwords need at least 10 characters", field="new_password")
    with db.session() as s:
        user = _user_named(s, username)
        if current_password is not None and not verify_password(user.password_hash, current_password):
            raise ServiceError(403, "the current password is wrong", title="forbidden", field="current_password")
        user.password_hash = hash_password(new_password)
        _revoke_all(s, user)
        append_event(s, "user.password_changed", "user", user.id, {"username": username}, actor=actor)


def set_active(db: Database, username: str, active: bool | None, *, actor: str) -> dict[str, Any]:
    """Deactivate (every session and token ends at once; the user cannot log in) or reactivate a
    user (None: no change); returns the user."""
    with db.session() as s:
        user = _user_named(s, username)
        if active is not None and user.active != active:
            user.active = active
            if not active:
                _revoke_all(s, user)
            append_event(
                s, "user.activated" if active else "user.deactivated", "user", user.id, {"username": username}, actor=actor
            )
        org = s.get(OrganisationRow, user.organisation_id) if user.organisation_id else None
        return {
            "id": user.id,
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role,
            "organisation": org.name if org else None,
            "active": user.active,
        }
