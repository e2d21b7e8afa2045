"""Catalog queries used by every interface (CLI, API, web): list, show, search, crosswalk."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select, text

from ..errors import TianpingError
from ..store import Database
from ..store.models import InstrumentRow, MappingRow, PrincipleRow, ProvisionRow
from .crosswalk import MappingGraph
from .reader import SQLITE_SEARCH_SQL, SearchHit, hit_dict, matches_lang
from .sync import ensure_catalog
from .textindex import fts5_match, pg_tsquery


class CatalogService:
    def __init__(self, db: Database, *, sync: bool = True):
        self.db = db
        if sync:
            ensure_catalog(db)
        self._graph: MappingGraph | None = None

    # -- instruments -------------------------------------------------------
    def list_instruments(self) -> list[dict[str, Any]]:
        with self.db.session() as s:
            rows = s.scalars(select(InstrumentRow).order_by(InstrumentRow.position)).all()
            return [
                {
                    "id": r.id,
                    "title": r.document["title"],
                    "kind": r.kind,  # every language the catalog gives
                    "jurisdiction": r.jurisdiction,
                    "provision_count": r.provision_count,
                    "issuer": r.document.get("issuer"),
                    "dates": r.document.get("dates", {}),
                    "verified": r.document.get("verified", True),
                }
                for r in rows
            ]

    def show_instrument(self, iid: str, kind: str | None = None) -> dict[str, Any]:
        if kind is not None:
            from .schema import ProvisionKind

            if kind not in ProvisionKind.__members__:
                raise TianpingError(
                    f"unknown provision kind '{kind}' (known: {', '.join(ProvisionKind.__members__)})", title="bad option"
                )
        with self.db.session() as s:
            inst = s.get(InstrumentRow, iid)
            if inst is None:
                known = ", ".join(s.scalars(select(InstrumentRow.id).order_by(InstrumentRow.position)))
                raise TianpingError(f"unknown instrument id '{iid}' (known: {known})", title="not found")
            q = select(ProvisionRow).where(ProvisionRow.instrument_id == iid)
            if kind:
                q = q.where(ProvisionRow.kind == kind)
            provs = s.scalars(q.order_by(ProvisionRow.position)).all()
            return {
                **inst.document,
                "provision_count": inst.provision_count,
                "provisions": [{"qid": p.qid, **p.document} for p in provs],
            }

    def provision(self, qid: str) -> dict[str, Any]:
        with self.db.session() as s:
            p = s.get(ProvisionRow, qid)
            if p is None:
                raise TianpingError(f"unknown provision id '{qid}' (ids look like 'eu-ai-act:art-15')", title="not found")
            return {"qid": p.qid, "instrument_id": p.instrument_id, **p.document}

    def principles(self) -> list[dict[str, Any]]:
        with self.db.session() as s:
            return [r.document for r in s.scalars(select(PrincipleRow).order_by(PrincipleRow.position))]

    # -- search ------------------------------------------------------------
    def search(
        self, query: str, *, lang: str | None = None, limit: int = 20, instruments: list[str] | None = None
    ) -> list[SearchHit]:
        if lang not in (None, "en", "zh"):
            raise TianpingError(f"unknown language '{lang}' (use en or zh)", title="bad option")
        if self.db.dialect == "sqlite":
            match = fts5_match(query)
            if match is None:
                return []
            sql = SQLITE_SEARCH_SQL
        else:
            match = pg_tsquery(query)
            if match is None:
                return []
            sql = (
                "SELECT p.qid, p.instrument_id, p.kind, p.number, p.title_en, p.title_zh, p.summary_en, p.summary_zh, "
                "-ts_rank(p.search_vector, to_tsquery('simple', :q)) AS score FROM provisions p "
                "WHERE p.search_vector @@ to_tsquery('simple', :q) {filt} ORDER BY score LIMIT :limit"
            )
        params: dict[str, Any] = {"q": match, "limit": limit}
        filt = ""
        if instruments:
            filt = "AND p.instrument_id IN :insts"
            params["insts"] = list(instruments)
        stmt = text(sql.format(filt=filt))
        if instruments:
            stmt = stmt.bindparams(bindparam("insts", expanding=True))
        with self.db.engine.connect() as conn:
            rows = conn.execute(stmt, params).all()
        hits = [SearchHit(*r) for r in rows]
        if lang:  # keep hits whose text in that language contains the query's terms
            hits = [h for h in hits if matches_lang(h, query, lang)]
        return hits

    # -- crosswalk -----------------------------------------------------------
    def graph(self) -> MappingGraph:
        if self._graph is None:
            with self.db.session() as s:
                rows = s.execute(
                    select(
                        MappingRow.subject,
                        MappingRow.predicate,
                        MappingRow.object,
                        MappingRow.confidence,
                        MappingRow.justification,
                        MappingRow.comment,
                        MappingRow.comment_zh,
                    )
                ).all()
            self._graph = MappingGraph([tuple(r) for r in rows])
        return self._graph

    def crosswalk(
        self, qid: str, *, to: list[str] | None = None, via_principles: bool = False, max_hops: int = 2
    ) -> list[dict[str, Any]]:
        self.provision(qid)  # raises a clear error for an unknown id
        known = {i["id"] for i in self.list_instruments()}
        for t in to or []:
            if t not in known:
                raise TianpingError(f"unknown instrument id '{t}' in --to", title="bad option")
        hits = self.graph().walk(qid, max_hops=max_hops, via_principles=via_principles, to=set(to) if to else None)
        titles = self.titles([h.qid for h in hits])
        return [hit_dict(h, titles.get(h.qid)) for h in hits]

    def titles(self, qids: list[str]) -> dict[str, dict[str, str]]:
        if not qids:
            return {}
        with self.db.session() as s:
            rows = s.execute(
                select(ProvisionRow.qid, ProvisionRow.document, ProvisionRow.number).where(ProvisionRow.qid.in_(qids))
            ).all()
        # the title in every language the catalog gives (the provision's document), and its number
        return {q: {**doc["title"], "number": num} for q, doc, num in rows}
