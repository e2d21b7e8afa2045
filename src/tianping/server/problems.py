"""Errors as RFC 9457 problem details (`application/problem+json`).

Every error the API returns has `type`, `title`, `status`, `detail` and `instance`; located
problems (field, line) come in the `problems` extension member. User errors are 4xx; a bug
is a 500 with a generic body (details go to the log, never to the client).

`title` is in the client's language (`Accept-Language`, else English; the `Content-Language`
header says which): message `problem.<title in English, words joined by _>` of the catalogs. So is
`detail` where the error carries a message id (`ServiceError.message_id`: not found, log in, id
unavailable, the handlers' own) and for request validation errors (`problem.input.<pydantic
type>`). `type` is built from the English title and never changes with the language; `status`,
`instance` and the `problems` member (field, file, line and their English message) are machine
fields and stay as they are.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import Problem, TianpingError
from ..i18n import has_message, lang_text, parse_accept_language, t
from .errors import status_of

log = logging.getLogger("tianping.server")
PROBLEM = "application/problem+json"
TYPE_BASE = "https://tianping.dev/problems/"


def title_id(title: str) -> str:
    """The message id of a problem title: `problem.` and the English title's words joined by `_`."""
    return "problem." + re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")


def problem_title(title: str, lang: str) -> str:
    """The title in `lang` (the English title itself when the catalogs have no message for it)."""
    key = title_id(title)
    return t(key, lang) if has_message(key, lang) or has_message(key, "en") else title


def request_lang(request: Request) -> str:
    """The client's language for problem bodies: its Accept-Language, else English."""
    return parse_accept_language(request.headers.get("accept-language")) or "en"


def problem(
    status: int,
    title: str,
    detail: str,
    instance: str,
    problems: list[dict] | None = None,
    headers: dict[str, str] | None = None,
    lang: str = "en",
) -> JSONResponse:
    """The problem+json response; `title` is the English title (it names the `type`), shown in `lang`."""
    body = {
        "type": TYPE_BASE + title.replace(" ", "-") if status < 500 else "about:blank",
        "title": problem_title(title, lang),
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if problems:
        body["problems"] = problems
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers={**(headers or {}), "Content-Language": lang})


def input_message(error: Any, lang: str) -> str:
    """A request validation error's message in `lang`: message `problem.input.<pydantic error type>` with the
    error's context (min_length, expected, …); pydantic's own English message otherwise, and always in English."""
    key = f"problem.input.{error.get('type')}"
    if lang != "en" and has_message(key, lang):
        ctx = {k: v for k, v in (error.get("ctx") or {}).items() if isinstance(v, (str, int, float))}
        try:
            return t(key, lang, **ctx)
        except (KeyError, IndexError, ValueError):
            pass  # the context lacks a value the message names
    return str(error.get("msg", ""))


def _detail(exc: TianpingError, lang: str) -> str:
    """The error's text in `lang` when it carries a message id, else as raised (English)."""
    key = getattr(exc, "message_id", None)
    if key is None or len(exc.problems) != 1:
        return exc.render()
    first = exc.problems[0]
    args: dict[str, Any] = getattr(exc, "message_args", {}) or {}
    args = {k: lang_text(v, lang) if isinstance(v, Mapping) else v for k, v in args.items()}  # a text in every language
    return Problem(t(key, lang, **args), file=first.file, line=first.line, field=first.field).render()


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def install(app: FastAPI, html_error=None) -> None:
    """Register the handlers; `html_error(request, status, title, detail)` renders pages for browsers."""

    def respond(request: Request, status: int, title: str, detail: str, problems=None, headers=None):
        if html_error is not None and wants_html(request):
            return html_error(request, status, title, detail, problems, headers)
        return problem(status, title, detail, request.url.path, problems, headers, lang=request_lang(request))

    @app.exception_handler(TianpingError)
    async def _tianping(request: Request, exc: TianpingError):
        status = status_of(exc)
        retry = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry)} if retry else None
        detail = exc.render() if wants_html(request) else _detail(exc, request_lang(request))
        return respond(request, status, exc.title, detail, [p.as_dict() for p in exc.problems], headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        probs = [
            {"message": e.get("msg", ""), "field": ".".join(str(x) for x in e.get("loc", ())), "file": None, "line": None}
            for e in errors
        ]
        lang = "en" if wants_html(request) else request_lang(request)
        detail = "; ".join(f"{p['field']}: {input_message(e, lang)}" for p, e in zip(probs[:5], errors[:5], strict=True))
        return respond(request, 422, "invalid input", detail, probs)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        titles = {404: "not found", 405: "method not allowed", 401: "unauthorised", 403: "forbidden"}
        title = titles.get(exc.status_code, "error")
        detail = str(exc.detail)
        if not wants_html(request) and exc.status_code in titles and detail == HTTPStatus(exc.status_code).phrase:
            detail = problem_title(title, request_lang(request))  # Starlette's own English phrase ("Not Found")
        return respond(request, exc.status_code, title, detail, None, getattr(exc, "headers", None))

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError):
        # e.g. a NUL character, which PostgreSQL text cannot hold: the input's fault, not ours
        return respond(request, 422, "invalid input", t("problem.detail.unstorable", request_lang(request)))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return respond(request, 500, "internal error", t("problem.detail.internal", request_lang(request)))
