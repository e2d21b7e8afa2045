"""Errors as RFC 9457 problem details (`application/problem+json`).

Every error the API returns has `type`, `title`, `status`, `detail` and `instance`; located
problems (field, line) come in the `problems` extension member. User errors are 4xx; a bug
is a 500 with a generic body (details go to the log, never to the client).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import TianpingError
from .errors import status_of

log = logging.getLogger("tianping.server")
PROBLEM = "application/problem+json"
TYPE_BASE = "https://tianping.dev/problems/"


def problem(
    status: int, title: str, detail: str, instance: str, problems: list[dict] | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {
        "type": TYPE_BASE + title.replace(" ", "-") if status < 500 else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if problems:
        body["problems"] = problems
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def install(app: FastAPI, html_error=None) -> None:
    """Register the handlers; `html_error(request, status, title, detail)` renders pages for browsers."""

    def respond(request: Request, status: int, title: str, detail: str, problems=None, headers=None):
        if html_error is not None and wants_html(request):
            return html_error(request, status, title, detail, problems, headers)
        return problem(status, title, detail, request.url.path, problems, headers)

    @app.exception_handler(TianpingError)
    async def _tianping(request: Request, exc: TianpingError):
        status = status_of(exc)
        retry = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry)} if retry else None
        return respond(request, status, exc.title, exc.render(), [p.as_dict() for p in exc.problems], headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        probs = [
            {"message": e.get("msg", ""), "field": ".".join(str(x) for x in e.get("loc", ())), "file": None, "line": None}
            for e in exc.errors()
        ]
        return respond(request, 422, "invalid input", "; ".join(f"{p['field']}: {p['message']}" for p in probs[:5]), probs)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        titles = {404: "not found", 405: "method not allowed", 401: "unauthorised", 403: "forbidden"}
        title = titles.get(exc.status_code, "error")
        return respond(request, exc.status_code, title, str(exc.detail), None, getattr(exc, "headers", None))

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError):
        # e.g. a NUL character, which PostgreSQL text cannot hold: the input's fault, not ours
        return respond(request, 422, "invalid input", "a value contains characters or a size the database cannot store")

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return respond(request, 500, "internal error", "an unexpected error occurred; it has been logged")
