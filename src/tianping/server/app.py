"""The FastAPI application: REST API (/api/v1, OpenAPI at /api/v1/openapi.json and /api/docs),
web pages, static files, and the background worker started and stopped with the app.

Around it: the trusted-proxy middleware (client addresses) and the security headers, outermost."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp

from .. import __version__
from ..store import Database, open_database
from . import api, monitor, problems, review, run_kinds, web  # noqa: F401  (run_kinds registers the genai and tabular kinds)
from .jobs import Worker
from .security import SecurityHeaders, TrustedProxies
from .services import Services
from .settings import ServerSettings
from .uploads import UploadJanitor

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
    svc.runs.settings = settings  # run kinds on offer, backend, credentials key, uploads

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        worker = None
        if settings.run_worker:
            worker = Worker(db, poll=settings.worker_poll_seconds, lease=settings.job_lease_seconds, settings=settings)
            worker.start()
            svc.worker = worker
            log.info("job worker %s started", worker.name)
        scheduler = None
        if settings.run_worker and settings.reclassify_hours > 0:
            scheduler = monitor.ReclassifyScheduler(db, settings.reclassify_hours * 3600)
            scheduler.start()
            svc.reclassifier = scheduler
        janitor = None
        if settings.run_worker and settings.upload_retention_days > 0:
            janitor = UploadJanitor(
                svc.runs.uploads, db, settings.upload_retention_days * 86400, max(60.0, settings.upload_sweep_hours * 3600)
            )
            janitor.start()
            svc.upload_janitor = janitor
        try:
            yield
        finally:
            if janitor is not None:
                janitor.stop()
            if scheduler is not None:
                scheduler.stop()
            if worker is not None:
                worker.stop()  # a running job is put back in the queue, to resume on the next start
            await svc.reads.close()

    app = FastAPI(
        title="Tianping",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = svc
    problems.install(app, web.html_error)
    app.include_router(api.router)
    _add_api_docs(app)
    app.include_router(web.router)
    app.include_router(review.api, responses=api.PROBLEM_RESPONSES)  # human review queue (API + pages)
    app.include_router(review.web)
    app.include_router(monitor.api, responses=api.PROBLEM_RESPONSES)  # the monitor stage (API, calendar, page)
    app.include_router(monitor.web)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    _add_problem_schema(app)
    _wrap(app, settings)
    return app


def _wrap(app: FastAPI, settings: ServerSettings) -> None:
    """The trusted-proxy and security-header middleware go outside everything Starlette builds,
    its error middleware included, so even a 500 carries the headers and the real client address."""
    build = app.build_middleware_stack
    trusted = list(settings.trusted_proxies)
    hsts = settings.hsts_seconds

    def build_stack() -> ASGIApp:
        return TrustedProxies(SecurityHeaders(build(), hsts_seconds=hsts), trusted)

    TrustedProxies(app, trusted)  # a wrong entry fails here, at start-up, not on the first request
    app.build_middleware_stack = build_stack  # type: ignore[method-assign]  # wrap, do not replace


DOCS_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tianping API</title>
<link rel="stylesheet" href="{root}/api/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi="{root}/api/v1/openapi.json"></div>
<script src="{root}/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="{root}/static/api-docs.js"></script>
</body>
</html>
"""


def swagger_assets() -> Path | None:
    """Swagger UI's files, shipped in the `fastapi-offline` package (tianping[server]): no CDN."""
    import importlib.util

    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "static"
    return path if (path / "swagger-ui-bundle.js").exists() else None


def _add_api_docs(app: FastAPI) -> None:
    """Interactive API docs at /api/docs from local assets, initialised by a script file of ours
    (no inline script, so the page works under the same strict CSP as every other page)."""
    from fastapi.responses import HTMLResponse

    assets = swagger_assets()

    @app.get("/api/docs", include_in_schema=False)
    async def api_docs(request: Request) -> HTMLResponse:
        if assets is None:
            return HTMLResponse(
                "<!doctype html><title>Tianping API</title><p>The interactive docs need the Swagger UI "
                "assets: pip install 'tianping[server]'. The OpenAPI document is at "
                '<a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>',
                status_code=503,
            )
        return HTMLResponse(DOCS_HTML.format(root=request.scope.get("root_path", "")))

    if assets is not None:
        app.mount("/api/docs/assets", StaticFiles(directory=str(assets)), name="api-docs-assets")


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
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["ProblemDetails"] = api.ProblemDetails.model_json_schema()
        _describe_profile_body(schema, components)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the schema


# the routes whose body is a whole system profile: validated by `parse_profile` (so problems carry
# the field and line), described here by the AISystem model's own JSON schema
PROFILE_BODIES = (("/api/v1/systems", "post"), ("/api/v1/systems/{system_id}", "put"))


def _describe_profile_body(schema: dict[str, Any], components: dict[str, Any]) -> None:
    from ..registry.profile import AISystem

    profile = AISystem.model_json_schema(ref_template="#/components/schemas/Profile{model}")
    for name, sub in profile.pop("$defs", {}).items():
        components["Profile" + name] = sub
    components["AISystem"] = profile
    for path, method in PROFILE_BODIES:
        op = schema.get("paths", {}).get(path, {}).get(method)
        if op is not None:
            op["requestBody"] = {
                "required": True,
                "description": "An AI-system profile (as in examples/systems/*.yaml, in JSON).",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AISystem"}}},
            }


def app_from_env() -> FastAPI:
    """App factory for `uvicorn --factory` with several worker processes (`tianping serve --workers N`):
    each process builds its own app from the environment (TIANPING_DB_URL, TIANPING_RUN_WORKER)."""
    import os

    return create_app(
        ServerSettings(db_url=os.environ.get("TIANPING_DB_URL"), run_worker=os.environ.get("TIANPING_RUN_WORKER", "1") == "1")
    )
