"""The FastAPI application: REST API (/api/v1, OpenAPI at /api/v1/openapi.json and /api/docs),
web pages, static files, and the background worker started and stopped with the app."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..store import Database, open_database
from . import api, problems, web
from .jobs import Worker
from .services import Services
from .settings import ServerSettings

log = logging.getLogger("tianping.server")

DESCRIPTION = """Tianping's REST API: the same services as the `tianping` command line.

* **Authentication**: `POST /api/v1/auth/token` gives a bearer token (or use `tianping users token`).
* **Errors** are RFC 9457 `application/problem+json` bodies.
* **Lists** are paginated with `limit` and `offset`; the body carries `total`.
* **Concurrency**: a system's ETag must come back in `If-Match` on `PUT` and on workflow transitions.
"""


def create_app(settings: ServerSettings | None = None, *, db: Database | None = None) -> FastAPI:
    settings = settings or ServerSettings()
    db = db or server_database(settings.db_url)
    svc = Services(db, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        worker = None
        if settings.run_worker:
            worker = Worker(db, poll=settings.worker_poll_seconds, lease=settings.job_lease_seconds)
            worker.start()
            svc.worker = worker  # type: ignore[attr-defined]
            log.info("job worker %s started", worker.name)
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()  # a running job is put back in the queue, to resume on the next start
            await svc.reads.close()

    app = FastAPI(title="Tianping", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  openapi_url="/api/v1/openapi.json", docs_url="/api/docs", redoc_url=None)
    app.state.services = svc
    problems.install(app, web.html_error)
    app.include_router(api.router)
    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    _add_problem_schema(app)
    return app


def server_database(url: str | None) -> Database:
    """Migrate through `open_database`, then, for PostgreSQL, use a pool sized for a server and
    without the per-checkout ping (a request opens several short sessions; a ping each would
    double the round trips). Stale connections are recycled instead."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    db = open_database(url)
    if db.dialect != "postgresql":
        return db
    db.dispose()
    engine = create_engine(db.url, pool_size=10, max_overflow=20, pool_recycle=1800, pool_pre_ping=False)
    return Database(url=db.url, engine=engine, sessionmaker=sessionmaker(engine, expire_on_commit=False))


def _add_problem_schema(app: FastAPI) -> None:
    """Expose ProblemDetails in components so the error responses' $ref resolves."""
    original = app.openapi

    def openapi():
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        schema.setdefault("components", {}).setdefault("schemas", {})["ProblemDetails"] = api.ProblemDetails.model_json_schema()
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def app_from_env() -> FastAPI:
    """App factory for `uvicorn --factory` with several worker processes (`tianping serve --workers N`):
    each process builds its own app from the environment (TIANPING_DB_URL, TIANPING_RUN_WORKER)."""
    import os

    return create_app(ServerSettings(db_url=os.environ.get("TIANPING_DB_URL"),
                                     run_worker=os.environ.get("TIANPING_RUN_WORKER", "1") == "1"))
