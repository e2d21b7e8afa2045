"""HTTP-aware user errors. They are still `TianpingError`s (the one project exception type), so
services raise them the same way for the CLI and the API; the API reads `status` and answers
with an RFC 9457 problem+json body."""

from __future__ import annotations

import re
from typing import Any

from ..errors import Problem, TianpingError

# titles used by services that do not know about HTTP → status code
TITLE_STATUS = {
    "not found": 404,
    "conflict": 409,
    "invalid profile": 422,
    "invalid input": 422,
    "invalid answers": 422,
    "bad option": 400,
    "bad runs": 422,
}


class ServiceError(TianpingError):
    retry_after: int | None = None  # seconds, sent as Retry-After (429)
    # the message id of the detail in the catalogs, with its arguments: the API answers in the
    # client's language (problems.py); the English `message` stays for logs and the CLI
    message_id: str | None = None
    message_args: dict[str, Any]

    def __init__(
        self,
        status: int,
        message: str,
        *,
        title: str,
        field: str | None = None,
        message_id: str | None = None,
        message_args: dict[str, Any] | None = None,
    ):
        super().__init__(Problem(message, field=field), title=title)
        self.status = status
        self.message_id = message_id
        self.message_args = dict(message_args or {})


# the kinds of thing `not_found` names (`"system 'x'"`): message `problem.kind.<kind>` in each language
_THING = re.compile(r"(?P<kind>[a-z][a-z ]*[a-z]) (?P<rest>'.*)", re.S)


def _thing(what: str) -> Any:
    """`what` in every language when it starts with a known kind (`system 'x'`), else as given."""
    from ..i18n import available_languages, has_message, t

    m = _THING.fullmatch(what)
    key = f"problem.kind.{m['kind'].replace(' ', '_')}" if m else ""
    if not m or not has_message(key, "en"):
        return what
    return {lang: f"{t(key, lang)} {m['rest']}" for lang in available_languages()}


def not_found(what: str) -> ServiceError:
    # the same answer whether the thing does not exist or belongs to someone else,
    # so guessing ids reveals nothing
    return ServiceError(
        404, f"{what} not found", title="not found", message_id="problem.detail.not_found", message_args={"what": _thing(what)}
    )


def forbidden(message: str) -> ServiceError:
    return ServiceError(403, message, title="forbidden")


def unauthorised(message: str | None = None) -> ServiceError:
    if message is None:
        return ServiceError(
            401, "log in or send an API token (Authorization: Bearer …)", title="unauthorised", message_id="problem.detail.log_in"
        )
    return ServiceError(401, message, title="unauthorised")


def conflict(message: str, field: str | None = None) -> ServiceError:
    return ServiceError(409, message, title="conflict", field=field)


def id_unavailable(system_id: str) -> ServiceError:
    """A new system's id is already in use. The answer is the same whoever uses it (the caller's
    own organisation or another, a draft or a published entry) and says nothing else, so it
    reveals neither whose the id is nor its state."""
    return ServiceError(
        409,
        f"the id '{system_id}' is not available; choose another",
        title="conflict",
        field="id",
        message_id="problem.detail.id_unavailable",
        message_args={"id": system_id},
    )


def invalid(message: str, field: str | None = None) -> ServiceError:
    return ServiceError(422, message, title="invalid input", field=field)


def status_of(exc: TianpingError) -> int:
    return getattr(exc, "status", None) or TITLE_STATUS.get(exc.title, 400)
