"""OpenAI-compatible endpoints registered for a system, and the `endpoint:ID` target that uses them.

A provider registers an endpoint (name, base URL, model, optional API key) for one of its
systems; a generative run then names it as its target, `endpoint:<id>`. The run's config, its
results document, its evidence and every report carry only that reference and the base URL —
the key lives encrypted in `system_endpoints.secret` and is decrypted in memory by the process
that executes the run (`activate`), which registers it in this process only. Views never contain
the key (`has_key` says whether one is set), and base URLs with a user name or password in them
are refused, so a credential cannot hide in the URL either.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from ..errors import Problem, TianpingError
from .credentials import Vault
from .models import EndpointRow


@dataclass(frozen=True)
class Resolved:
    """An endpoint ready to call: only ever in memory."""

    id: str
    base_url: str
    model: str
    api_key: str | None

    def __repr__(self) -> str:  # never print the key, even in a traceback
        key = "***" if self.api_key else None
        return f"Resolved(id={self.id!r}, base_url={self.base_url!r}, model={self.model!r}, api_key={key})"


_ACTIVE: dict[str, Resolved] = {}
_LOCK = threading.Lock()


def activate(resolved: Resolved) -> None:
    """Make `endpoint:<id>` resolvable in this process (the executing worker or Ray actor)."""
    with _LOCK:
        _ACTIVE[resolved.id] = resolved


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def check_base_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TianpingError(Problem("an http(s) URL such as http://127.0.0.1:8000/v1", field="base_url"), title="invalid input")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise TianpingError(
            Problem("no user name, password, query or fragment in the URL: give the key in the API key field", field="base_url"),
            title="invalid input",
        )
    if len(url) > 500:
        raise TianpingError(Problem("at most 500 characters", field="base_url"), title="invalid input")
    return url.rstrip("/")


def view(row: EndpointRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "system_id": row.system_id,
        "name": row.name,
        "base_url": row.base_url,
        "model": row.model,
        "has_key": bool(row.secret),
        "target": f"endpoint:{row.id}",
        "created_at": row.created_at,
    }


class EndpointService:
    def __init__(self, db, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    def register(
        self, system_id: str, name: str, base_url: str, model: str, api_key: str | None, *, actor: str | None = None
    ) -> dict[str, Any]:
        problems = []
        name, model = (name or "").strip(), (model or "").strip()
        if not 1 <= len(name) <= 100:
            problems.append(Problem("1 to 100 characters", field="name"))
        if not 1 <= len(model) <= 200:
            problems.append(Problem("the model name the endpoint expects, 1 to 200 characters", field="model"))
        if api_key is not None and len(api_key) > 4096:
            problems.append(Problem("at most 4096 characters", field="api_key"))
        if problems:
            raise TianpingError(problems, title="invalid input")
        url = check_base_url(base_url)
        row = EndpointRow(
            id=str(uuid.uuid4()),
            system_id=system_id,
            name=name,
            base_url=url,
            model=model,
            secret=self.vault.encrypt(api_key) if api_key else None,
            created_at=_now(),
            created_by=actor,
        )
        with self.db.session() as s:
            s.add(row)
        return view(row)

    def list(self, system_id: str) -> list[dict[str, Any]]:
        with self.db.session() as s:
            rows = s.scalars(
                select(EndpointRow).where(EndpointRow.system_id == system_id).order_by(EndpointRow.created_at, EndpointRow.id)
            ).all()
            return [view(r) for r in rows]

    def get(self, system_id: str, endpoint_id: str) -> EndpointRow:
        with self.db.session() as s:
            row = s.get(EndpointRow, endpoint_id)
            if row is None or row.system_id != system_id:
                raise TianpingError(
                    Problem(f"no endpoint '{endpoint_id}' registered for this system", field="config.target"),
                    title="invalid input",
                )
            s.expunge(row)
            return row

    def delete(self, system_id: str, endpoint_id: str) -> None:
        with self.db.session() as s:
            row = s.get(EndpointRow, endpoint_id)
            if row is None or row.system_id != system_id:
                raise TianpingError(f"endpoint '{endpoint_id}'", title="not found")
            s.delete(row)

    def resolve(self, system_id: str, endpoint_id: str) -> Resolved:
        row = self.get(system_id, endpoint_id)
        return Resolved(row.id, row.base_url, row.model, self.vault.decrypt(row.secret) if row.secret else None)


def _register_target() -> None:
    from ..evaluation.genai.registry import target, targets

    if "endpoint" in targets._items:
        return

    @target("endpoint")
    def _endpoint(rest: str, options: dict[str, Any]):
        """An OpenAI-compatible endpoint registered for the system (server runs)."""
        from ..evaluation.genai.adapters.openai import OpenAITarget

        with _LOCK:
            r = _ACTIVE.get(rest)
        if r is None:
            raise TianpingError(
                f"endpoint '{rest}' is not available to this process (its credentials were not loaded)", title="no endpoint"
            )
        keys = ("timeout", "max_retries", "backoff", "rate_limit")
        return OpenAITarget(
            r.model, base_url=r.base_url, api_key=r.api_key, **{k: v for k, v in options.items() if k in keys and v is not None}
        )


_register_target()
