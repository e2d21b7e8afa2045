"""The most frequent reads, served on the event loop.

Who reads most: the public register (a page, an entry) and API clients polling a system or their
list. Through the general path each such request pays a hop to the thread pool, a pooled
SQLAlchemy session with BEGIN/COMMIT, statement building and a json.loads of the documents. Here,
on PostgreSQL, they run as fixed SQL on autocommit `psycopg` async connections (prepared by the
server after a few uses), with orjson decoding, and the API answers with orjson bytes. The
answers are built by the same view functions as `filings.py` (`system_view`, `public_view`,
`can_see`), so the two paths cannot drift in what they return or whom they show it to; on SQLite
(and for searches and the reviewer/admin lists) `Reads` calls the general services in the thread
pool instead. The API tests run on PostgreSQL and therefore go through this module.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ..store import Database
from .errors import not_found
from .filings import PUBLIC_STATES, STATES, FilingService, _count_cache, can_see, public_view, system_view
from .principal import Principal
from .security import SessionSigner, token_digest

try:  # orjson is much faster for both directions; the standard library is the fallback
    import orjson

    def dumps(obj: Any) -> bytes:
        try:
            return orjson.dumps(obj)
        except TypeError:  # e.g. a non-string key: let the standard encoder decide
            return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")

    loads = orjson.loads
except ImportError:  # pragma: no cover

    def dumps(obj: Any) -> bytes:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")

    loads = json.loads  # type: ignore[assignment]  # the stdlib fallback for orjson.loads: same argument, same result


class FastJSON(Response):
    """A JSON response rendered with orjson (the API's hot routes return these directly, which
    also skips FastAPI's generic encoder)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return content if isinstance(content, bytes) else dumps(content)


# -- a small async connection pool ------------------------------------------------------------
class AsyncPool:
    """At most `size` autocommit connections, opened on demand and kept for reuse.

    A connection is returned to the pool only when it is idle (a request cancelled mid-query
    leaves it busy; such a connection is closed). The pool belongs to one event loop; if it is
    used from another loop (tests that build a fresh loop per request), it starts over.
    """

    def __init__(self, conninfo: str, size: int = 10):
        self.conninfo, self.size = conninfo, size
        self._idle: list[Any] = []
        self._sem: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _bind(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        sem = self._sem
        if self._loop is not loop or sem is None:  # both are set together, so `sem is None` only before the first use
            sem = asyncio.Semaphore(self.size)
            self._loop, self._sem, self._idle = loop, sem, []
        return sem

    async def _open(self):
        from psycopg import AsyncConnection
        from psycopg.rows import namedtuple_row
        from psycopg.types.json import set_json_loads

        conn = await AsyncConnection.connect(self.conninfo, autocommit=True, row_factory=namedtuple_row)
        set_json_loads(loads, conn)
        return conn

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        from psycopg.pq import TransactionStatus

        sem = self._bind()
        await sem.acquire()
        conn = None
        try:
            while self._idle and conn is None:
                c = self._idle.pop()
                if not c.closed:
                    conn = c
            if conn is None:
                conn = await self._open()
            yield conn
        finally:
            if conn is not None:
                if not conn.closed and conn.info.transaction_status == TransactionStatus.IDLE:
                    self._idle.append(conn)
                else:
                    try:
                        await conn.close()
                    except Exception:  # noqa: BLE001 - it is being discarded anyway
                        pass
            sem.release()

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for c in idle:
            try:
                await c.close()
            except Exception:  # noqa: BLE001
                pass


def conninfo_of(url: str) -> str:
    from psycopg.conninfo import make_conninfo
    from sqlalchemy import make_url

    u = make_url(url)
    parts = {"host": u.host, "port": u.port, "user": u.username, "password": u.password, "dbname": u.database}
    parts.update({k: v for k, v in u.query.items() if isinstance(v, str)})
    return make_conninfo("", **{k: v for k, v in parts.items() if v is not None})


# -- SQL (PostgreSQL) -------------------------------------------------------------------------
# The page reads the Chinese name and the jurisdictions from their own columns (migration 0010):
# taking them out of the JSON documents with `->` cost 5-9 ms of PostgreSQL time per page of 20.
# The literal status list matches the partial index ix_filings_register (migration 0010) even in
# a prepared statement's generic plan.
_PUBLIC = "status IN ('published', 'changed') AND published_at IS NOT NULL"
assert tuple(PUBLIC_STATES) == ("published", "changed")

SQL_TOKEN = """
SELECT t.expires_at, u.id, u.username, u.display_name, u.role, u.organisation_id, u.active, o.name AS org
FROM api_tokens t JOIN users u ON u.id = t.user_id LEFT JOIN organisations o ON o.id = u.organisation_id
WHERE t.token_sha256 = %s"""

SQL_SESSION_USER = """
SELECT u.id, u.username, u.display_name, u.role, u.organisation_id, u.active, u.session_epoch, o.name AS org
FROM users u LEFT JOIN organisations o ON o.id = u.organisation_id WHERE u.id = %s"""

SQL_PUBLIC_COUNT = f"SELECT count(*) AS n FROM filings WHERE {_PUBLIC}"

SQL_PUBLIC_PAGE = f"""
SELECT f.system_id, f.filing_number, f.published_name, f.status, f.published_at, f.published_version,
       f.published_name_zh AS name_zh, f.published_jurisdictions AS jurisdictions, o.name AS org
FROM (SELECT system_id, published_at FROM filings WHERE {_PUBLIC}
      ORDER BY published_at DESC, system_id DESC LIMIT %s OFFSET %s) page
JOIN filings f ON f.system_id = page.system_id
LEFT JOIN organisations o ON o.id = f.organisation_id
ORDER BY page.published_at DESC, page.system_id DESC"""

SQL_PUBLIC_ENTRY = """
SELECT f.system_id, f.filing_number, f.status, f.published_at, f.published_version, f.published_document, o.name AS org
FROM filings f LEFT JOIN organisations o ON o.id = f.organisation_id
WHERE f.system_id = %s AND f.status IN ('published', 'changed')"""

_FILING_COLS = (
    "status",
    "revision",
    "filing_number",
    "deadline",
    "deadline_kind",
    "effective_date",
    "review_comment",
    "published_at",
    "published_version",
    "updated_at",
    "organisation_id",
)
SQL_SYSTEM = f"""
SELECT s.id, s.name, s.organisation, s.version, s.updated_at, s.document, (f.system_id IS NOT NULL) AS has_filing,
       {", ".join(f"f.{c} AS f_{c}" for c in _FILING_COLS)}
FROM systems s LEFT JOIN filings f ON f.system_id = s.id WHERE s.id = %s"""

# a provider's systems, most recently changed filing first; the inner query reads only the
# (organisation_id, updated_at, system_id) index, and the window count saves a second query
SQL_ORG_PAGE = """
SELECT s.id, s.name, s.organisation, s.version, s.updated_at, f.status, f.revision, page.total
FROM (SELECT system_id, updated_at, count(*) OVER () AS total FROM filings WHERE organisation_id = %s {status}
      ORDER BY updated_at DESC, system_id DESC LIMIT %s OFFSET %s) page
JOIN systems s ON s.id = page.system_id JOIN filings f ON f.system_id = page.system_id
ORDER BY page.updated_at DESC, page.system_id DESC"""
SQL_ORG_COUNT = "SELECT count(*) AS n FROM filings WHERE organisation_id = %s {status}"


class FastReads:
    """The hot reads on PostgreSQL (see the module docstring)."""

    def __init__(self, db: Database, pool_size: int | None = None):
        import os

        # few connections per process: on a small machine more concurrent queries only add
        # context switches; requests beyond them wait on the pool's semaphore, which is cheap
        size = pool_size or int(os.environ.get("TIANPING_READ_POOL", "4"))
        self.pool = AsyncPool(conninfo_of(db.url), max(1, size))

    async def _one(self, sql: str, params: tuple) -> Any:
        async with self.pool.connection() as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchone()

    async def _all(self, sql: str, params: tuple) -> list[Any]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchall()

    # -- who is asking --------------------------------------------------------
    async def principal_for_token(self, token: str) -> Principal | None:
        r = await self._one(SQL_TOKEN, (token_digest(token),))
        if r is None or not r.active or (r.expires_at is not None and r.expires_at < time.time()):
            return None
        return Principal(r.id, r.username, r.display_name, r.role, r.organisation_id, r.org)

    async def principal_for_session(self, user_id: str, epoch: int) -> Principal | None:
        r = await self._one(SQL_SESSION_USER, (user_id,))
        if r is None or not r.active or r.session_epoch != epoch:
            return None
        return Principal(r.id, r.username, r.display_name, r.role, r.organisation_id, r.org)

    # -- public register ------------------------------------------------------
    async def public_list(self, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        total = _count_cache.get(None)
        if total is None:
            total = (await self._one(SQL_PUBLIC_COUNT, ())).n
            _count_cache.put(None, total)
        rows = await self._all(SQL_PUBLIC_PAGE, (limit, offset))
        return [
            {
                "id": r.system_id,
                "filing_number": r.filing_number,
                "name": r.published_name,
                "name_zh": r.name_zh,
                "organisation": r.org,
                "jurisdictions": r.jurisdictions or [],
                "status": r.status,
                "published_at": r.published_at,
                "version": r.published_version,
            }
            for r in rows
        ], total

    async def public_get(self, system_id: str) -> dict[str, Any]:
        r = await self._one(SQL_PUBLIC_ENTRY, (system_id,))
        if r is None or r.published_document is None:
            raise not_found(f"published system '{system_id}'")
        return public_view(r, r.org, full=True)

    # -- systems behind a login -----------------------------------------------
    async def system_get(self, p: Principal | None, system_id: str) -> dict[str, Any]:
        r = await self._one(SQL_SYSTEM, (system_id,))
        filing = (
            SimpleNamespace(system_id=system_id, **{c: getattr(r, f"f_{c}") for c in _FILING_COLS})
            if r is not None and r.has_filing
            else None
        )
        if r is None or not can_see(p, filing):  # type: ignore[arg-type]  # a namespace with FilingRow's columns
            # the same answer for "missing" and "not yours"
            raise not_found(f"system '{system_id}'")
        # the view reads only the rows' attributes and never the session
        return system_view(None, r, filing)  # type: ignore[arg-type]  # psycopg row + namespace with the ORM rows' columns

    async def org_list(
        self, organisation_id: str, status: str | None, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        cond, params = ("AND status = %s", (status,)) if status else ("", ())
        rows = await self._all(SQL_ORG_PAGE.format(status=cond), (organisation_id, *params, limit, offset))
        if rows:
            total = rows[0].total
        else:  # past the end (or nothing at all): the window count has no row to ride on
            total = (await self._one(SQL_ORG_COUNT.format(status=cond), (organisation_id, *params))).n
        return [
            {
                "id": r.id,
                "name": r.name,
                "organisation": r.organisation,
                "version": r.version,
                "updated_at": r.updated_at,
                "status": r.status,
                "revision": r.revision,
            }
            for r in rows
        ], total

    async def close(self) -> None:
        await self.pool.close()


class Reads:
    """What the API's hot routes call: the fast path on PostgreSQL, else the general services
    in the thread pool (SQLite, searches, reviewer/admin lists)."""

    def __init__(self, db: Database, filings: FilingService, signer: SessionSigner):
        self.filings, self.signer = filings, signer
        self.fast = FastReads(db) if db.dialect == "postgresql" else None

    async def principal_for_token(self, token: str) -> Principal | None:
        if self.fast is not None:
            return await self.fast.principal_for_token(token)
        from .accounts import principal_for_token
        from .filings import read_connection

        def run() -> Principal | None:
            with read_connection(self.filings.db) as conn:
                return principal_for_token(conn, token)

        return await run_in_threadpool(run)

    async def principal_for_session(self, cookie: str) -> Principal | None:
        data = self.signer.loads(cookie)
        if not data:
            return None
        if self.fast is not None:
            return await self.fast.principal_for_session(*data)
        from .accounts import principal_for_session

        def run() -> Principal | None:
            with self.filings.db.session() as s:
                return principal_for_session(s, *data)

        return await run_in_threadpool(run)

    async def public_list(self, q: str | None, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        if self.fast is not None and not q:
            return await self.fast.public_list(limit, offset)
        return await run_in_threadpool(lambda: self.filings.public_list(q=q, limit=limit, offset=offset))

    async def public_get(self, system_id: str) -> dict[str, Any]:
        if self.fast is not None:
            return await self.fast.public_get(system_id)
        return await run_in_threadpool(self.filings.public_get, system_id)

    async def system_get(self, p: Principal, system_id: str) -> dict[str, Any]:
        if self.fast is not None:
            return await self.fast.system_get(p, system_id)
        return await run_in_threadpool(self.filings.get, p, system_id)

    async def system_list(
        self, p: Principal, status: str | None, q: str | None, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        if self.fast is not None and p.is_provider and p.organisation_id and not q and (status is None or status in STATES):
            return await self.fast.org_list(p.organisation_id, status, limit, offset)
        return await run_in_threadpool(lambda: self.filings.list(p, status=status, q=q, limit=limit, offset=offset))

    async def close(self) -> None:
        if self.fast is not None:
            await self.fast.close()
