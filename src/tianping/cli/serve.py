"""`tianping serve` (the REST API and web UI) and `tianping users …` (accounts for the server)."""

from __future__ import annotations

import os
from typing import TypedDict

import typer

from .common import STATE, console, emit_json, guarded


class _UvicornTuning(TypedDict):
    """The uvicorn.run options both serving modes share (a TypedDict so `**` keeps each value's type)."""

    loop: str
    http: str
    proxy_headers: bool


users_app = typer.Typer(help="Server accounts: providers, reviewers, auditors, admins.", no_args_is_help=True)


@guarded
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    db: str | None = typer.Option(
        None, "--db", help="Database URL (PostgreSQL for a shared server); default as for every command."
    ),
    workers: bool = typer.Option(True, "--worker/--no-worker", help="Run the background job worker (in each process)."),
    processes: int = typer.Option(
        1, "--workers", min=1, max=64, help="Server processes (uvicorn workers); they share the database and the job queue."
    ),
    log_level: str = typer.Option("info", "--log-level"),
) -> None:
    """Run the Tianping server: REST API under /api/v1 (docs at /api/docs), web UI, background runs."""
    from ..extras import require

    require("server", "fastapi", "uvicorn", "argon2", "itsdangerous", "multipart", "fastapi_offline")
    import uvicorn

    from ..server import ServerSettings, create_app

    access_log = os.environ.get("TIANPING_ACCESS_LOG", "1") == "1"
    # uvloop (libuv event loop) and httptools (C HTTP parser) instead of asyncio's loop and the
    # pure-Python h11; both are dependencies, "auto" only where a platform lacks a wheel (Windows)
    import importlib.util

    fast: _UvicornTuning = {
        "loop": "uvloop" if importlib.util.find_spec("uvloop") else "auto",
        "http": "httptools" if importlib.util.find_spec("httptools") else "auto",
        # X-Forwarded-For is believed only from TIANPING_TRUSTED_PROXIES, by the app itself
        # (server/security.py); uvicorn's own handling would trust any local peer
        "proxy_headers": False,
    }
    console.print(
        f"Tianping server on http://{host}:{port}/  (API docs: http://{host}:{port}/api/docs)", highlight=False, soft_wrap=True
    )
    if processes > 1:
        from ..config import database_url
        from ..server.settings import _secret_key
        from ..store import open_database

        url = database_url(db or STATE.db_url)
        from ..catalog.sync import ensure_catalog

        first = open_database(url)  # migrate and load the catalog once, before the processes race to do it
        ensure_catalog(first)
        first.dispose()
        os.environ.update(TIANPING_DB_URL=url, TIANPING_RUN_WORKER="1" if workers else "0", TIANPING_SECRET_KEY=_secret_key())
        uvicorn.run(
            "tianping.server.app:app_from_env",
            factory=True,
            workers=processes,
            host=host,
            port=port,
            log_level=log_level,
            access_log=access_log,
            **fast,
        )
        return
    app = create_app(ServerSettings(db_url=db or STATE.db_url, run_worker=workers))
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=access_log, **fast)


@users_app.command("add")
@guarded
def users_add(
    username: str = typer.Argument(...),
    role: str = typer.Option(..., "--role", help="provider, reviewer, auditor or admin."),
    org: str | None = typer.Option(None, "--org", help="Organisation (required for providers; created if new)."),
    name: str | None = typer.Option(None, "--name", help="Display name."),
    password: str | None = typer.Option(None, "--password", help="Password (default: TIANPING_PASSWORD, else asked twice)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Create a server user (argon2-hashed password)."""
    from ..extras import require

    require("server", "argon2")
    from ..server.accounts import add_user

    pw = password or os.environ.get("TIANPING_PASSWORD") or typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    out = add_user(STATE.db(), username, pw, role, organisation=org, display_name=name, actor="cli")
    if as_json:
        emit_json(out)
    else:
        console.print(
            f"Created {out['role']} '{out['username']}'" + (f" of {out['organisation']}" if out["organisation"] else ""),
            highlight=False,
        )


@users_app.command("list")
@guarded
def users_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """List server users."""
    from ..server.accounts import list_users

    users = list_users(STATE.db())
    if as_json:
        emit_json(users)
        return
    for u in users:
        console.print(f"{u['username']:<24} {u['role']:<9} {u['organisation'] or ''}", highlight=False)


@users_app.command("token")
@guarded
def users_token(
    username: str = typer.Argument(...),
    name: str = typer.Option("cli", "--name"),
    days: int = typer.Option(30, "--days", min=1, max=3650),
) -> None:
    """Issue an API token for a user (printed once; only its hash is stored)."""
    from sqlalchemy import select

    from ..errors import TianpingError
    from ..server.accounts import create_token, principal_of
    from ..server.models import UserRow

    db = STATE.db()
    with db.session() as s:
        user = s.scalars(select(UserRow).where(UserRow.username == username)).first()
        if user is None:
            raise TianpingError(f"no user '{username}'", title="not found")
        p = principal_of(s, user)
    typer.echo(create_token(db, p, name, days * 86400))


@users_app.command("deactivate")
@guarded
def users_deactivate(username: str = typer.Argument(...)) -> None:
    """Deactivate a user: every session and API token ends at once; logging in is refused."""
    from ..server.accounts import set_active

    set_active(STATE.db(), username, False, actor="cli")
    console.print(f"Deactivated '{username}' (sessions and tokens ended)", highlight=False)


@users_app.command("activate")
@guarded
def users_activate(username: str = typer.Argument(...)) -> None:
    """Reactivate a user (old sessions and tokens stay ended)."""
    from ..server.accounts import set_active

    set_active(STATE.db(), username, True, actor="cli")
    console.print(f"Activated '{username}'", highlight=False)


@users_app.command("passwd")
@guarded
def users_passwd(
    username: str = typer.Argument(...),
    password: str | None = typer.Option(None, "--password", help="New password (default: TIANPING_PASSWORD, else asked twice)."),
) -> None:
    """Set a user's password: every session and API token of the user ends."""
    from ..extras import require

    require("server", "argon2")
    from ..server.accounts import set_password

    pw = (
        password or os.environ.get("TIANPING_PASSWORD") or typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    )
    set_password(STATE.db(), username, pw, actor="cli")
    console.print(f"Password of '{username}' changed (sessions and tokens ended)", highlight=False)
