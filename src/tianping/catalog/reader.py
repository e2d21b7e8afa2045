"""Catalog browsing (list, show, provision, principles, search, crosswalk) from a current SQLite catalog copy,
read with the standard library's sqlite3.

Why: the catalog commands are read-only queries of a few rows, but `CatalogService` goes through SQLAlchemy,
whose import alone took ~0.1 s of a command's ~0.35-0.5 s (issue 19: catalog commands under 0.3 s). When the
database is a SQLite file whose copy of the catalog is current (`catalog_meta.data_hash` equals the data
files' hash, the check `sync.ensure_catalog` makes), this reader answers the same queries with the same
SQL and gives the same rows (`tests/test_catalog_reader.py` compares them with the service's on random
queries). Anything else (PostgreSQL, a copy that needs syncing, a missing file) uses the service; so does
every error case (unknown id, kind or language), so each error message lives in one place, the service.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from .crosswalk import Hit, MappingGraph


@dataclass
class SearchHit:
    qid: str
    instrument_id: str
    kind: str
    number: str | None
    title_en: str
    title_zh: str
    summary_en: str | None
    summary_zh: str | None
    score: float


# provisions matching an FTS5 expression, best first (bm25: lower is better); {filt} narrows to instruments
SQLITE_SEARCH_SQL = (
    "SELECT p.qid, p.instrument_id, p.kind, p.number, p.title_en, p.title_zh, p.summary_en, p.summary_zh, "
    "bm25(provisions_fts) AS score FROM provisions_fts JOIN provisions p ON p.rowid = provisions_fts.rowid "
    "WHERE provisions_fts MATCH :q {filt} ORDER BY score LIMIT :limit"
)

MAPPING_COLUMNS = "subject, predicate, object, confidence, justification, comment, comment_zh"


def hit_dict(h: Hit, title: dict[str, str] | None) -> dict[str, Any]:
    """A crosswalk hit as the interfaces show it: the target's title in every language and its number."""
    d = asdict(h)
    d["title"] = {k: v for k, v in title.items() if k != "number"} if title else None
    d["number"] = title.get("number") if title else None
    return d


def matches_lang(h: SearchHit, query: str, lang: str) -> bool:
    """Whether the hit's text in `lang` (en or zh) holds every term group of the query."""
    from .textindex import index_terms, query_groups

    text_ = f"{h.number or ''} {h.title_en} {h.summary_en or ''}" if lang == "en" else f"{h.title_zh} {h.summary_zh or ''}"
    terms = " " + " ".join(index_terms(text_)) + " "
    return all((" " + " ".join(g) + " ") in terms for g in query_groups(query))


def _doc(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


class SqliteCatalogReader:
    """The service's browse queries over a read-only sqlite3 connection to a current catalog copy."""

    def __init__(self, con: sqlite3.Connection, service: Callable[[], Any]):
        self.con = con
        self._service = service  # makes the CatalogService, for the error cases
        self._graph: MappingGraph | None = None

    @classmethod
    def open(cls, db_url: str, service: Callable[[], Any]) -> SqliteCatalogReader | None:
        """A reader when `db_url` is a SQLite file holding a current catalog copy; None otherwise."""
        from ..sqlite_readonly import open_sqlite_readonly
        from .fingerprint import HASH_KEY, data_hash

        def current(con: sqlite3.Connection) -> bool:
            row = con.execute("select value from catalog_meta where key = ?", (HASH_KEY,)).fetchone()
            return row is not None and row[0] == data_hash()

        con = open_sqlite_readonly(db_url, current)
        if con is None:
            return None
        return cls(con, service)

    def close(self) -> None:
        self.con.close()

    def list_instruments(self) -> list[dict[str, Any]]:
        rows = self.con.execute(
            "select id, kind, jurisdiction, provision_count, document from instruments order by position"
        ).fetchall()
        out = []
        for iid, kind, juris, count, document in rows:
            doc = _doc(document) or {}
            out.append(
                {
                    "id": iid,
                    "title": doc["title"],
                    "kind": kind,
                    "jurisdiction": juris,
                    "provision_count": count,
                    "issuer": doc.get("issuer"),
                    "dates": doc.get("dates", {}),
                    "verified": doc.get("verified", True),
                }
            )
        return out

    def show_instrument(self, iid: str, kind: str | None = None) -> dict[str, Any]:
        inst = self.con.execute("select document, provision_count from instruments where id = ?", (iid,)).fetchone()
        if kind is not None:
            from .schema import ProvisionKind  # pydantic: only when a kind is asked for

            if kind not in ProvisionKind.__members__:
                inst = None
        if inst is None:
            return dict(self._service().show_instrument(iid, kind))  # raises the service's error
        sql = "select qid, document from provisions where instrument_id = ?"
        args: tuple[Any, ...] = (iid,)
        if kind:
            sql += " and kind = ?"
            args += (kind,)
        provs = self.con.execute(sql + " order by position", args).fetchall()
        return {**_doc(inst[0]), "provision_count": inst[1], "provisions": [{"qid": q, **_doc(d)} for q, d in provs]}

    def provision(self, qid: str) -> dict[str, Any]:
        row = self.con.execute("select qid, instrument_id, document from provisions where qid = ?", (qid,)).fetchone()
        if row is None:
            return dict(self._service().provision(qid))  # raises the service's error
        return {"qid": row[0], "instrument_id": row[1], **_doc(row[2])}

    def principles(self) -> list[dict[str, Any]]:
        return [_doc(d) for (d,) in self.con.execute("select document from principles order by position")]

    def search(
        self, query: str, *, lang: str | None = None, limit: int = 20, instruments: list[str] | None = None
    ) -> list[SearchHit]:
        from .textindex import fts5_match

        if lang not in (None, "en", "zh"):
            return list(self._service().search(query, lang=lang, limit=limit, instruments=instruments))  # raises
        match = fts5_match(query)
        if match is None:
            return []
        params: dict[str, Any] = {"q": match, "limit": limit}
        filt = ""
        if instruments:
            names = [f"i{k}" for k in range(len(instruments))]
            filt = "AND p.instrument_id IN (" + ", ".join(f":{n}" for n in names) + ")"
            params.update(zip(names, instruments, strict=True))
        hits = [SearchHit(*r) for r in self.con.execute(SQLITE_SEARCH_SQL.format(filt=filt), params)]
        if lang:  # keep hits whose text in that language contains the query's terms
            hits = [h for h in hits if matches_lang(h, query, lang)]
        return hits

    def graph(self) -> MappingGraph:
        if self._graph is None:
            self._graph = MappingGraph([tuple(r) for r in self.con.execute(f"select {MAPPING_COLUMNS} from mappings")])
        return self._graph

    def titles(self, qids: list[str]) -> dict[str, dict[str, str]]:
        if not qids:
            return {}
        wanted = list(dict.fromkeys(qids))
        out: dict[str, dict[str, str]] = {}
        for start in range(0, len(wanted), 500):  # SQLite's limit on bound parameters
            part = wanted[start : start + 500]
            sql = f"select qid, document, number from provisions where qid in ({', '.join('?' * len(part))})"
            for q, doc, num in self.con.execute(sql, part):
                out[q] = {**_doc(doc)["title"], "number": num}
        return out
