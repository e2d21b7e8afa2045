"""Keep the database copy of the catalog in step with the YAML data files.

The YAML files are the source of truth. Their combined SHA-256 is stored in `catalog_meta`;
when it differs, the catalog tables are rebuilt in one transaction, so a reader never sees a
half-loaded catalog.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Table, delete, select, text

from ..store import Database
from ..store.models import Base, InstrumentRow, MappingRow, MetaEntry, PrincipleRow, ProvisionRow
from .fingerprint import HASH_KEY, data_hash  # noqa: F401  (re-exported; light: the CLI's fast reads use it without SQLAlchemy)
from .textindex import index_text
from .vocab import qualified

if TYPE_CHECKING:
    from .loader import Catalog

DATA_DIR = Path(__file__).parent / "data"


def stored_hash(db: Database) -> str | None:
    with db.session() as s:
        row = s.get(MetaEntry, HASH_KEY)
        return row.value if row else None


def _table(row_class: type[Base]) -> Table:
    """The table a row class maps, typed as one (SQLAlchemy types `__table__` as any FromClause)."""
    table = row_class.__table__
    assert isinstance(table, Table)
    return table


def ensure_catalog(db: Database, data_dir: Path = DATA_DIR, *, force: bool = False) -> bool:
    """Load the catalog into the database if the data files changed. Returns True if it loaded."""
    current = data_hash(data_dir)
    if not force and stored_hash(db) == current:
        return False
    from .loader import load_catalog  # pydantic models are built only when a reload is needed

    catalog = load_catalog(data_dir)  # validates everything before touching the database
    write_catalog(db, catalog, current)
    return True


def write_catalog(db: Database, cat: Catalog, digest: str) -> None:
    with db.session() as s:
        for model in (MappingRow, ProvisionRow, PrincipleRow, InstrumentRow):
            s.execute(delete(model))
        for pos, (iid, inst) in enumerate(cat.instruments.items()):
            doc = inst.model_dump(mode="json", exclude={"provisions"}, exclude_none=True)
            s.add(
                InstrumentRow(
                    id=iid,
                    title_en=inst.title.en,
                    title_zh=inst.title.zh,
                    kind=inst.kind.value,
                    jurisdiction=inst.jurisdiction,
                    provision_count=len(inst.provisions),
                    position=pos,
                    document=doc,
                )
            )
        s.flush()
        rows = []
        for inst in cat.instruments.values():
            for pos, p in enumerate(inst.provisions):
                rows.append(
                    dict(
                        qid=qualified(inst.id, p.id),
                        instrument_id=inst.id,
                        local_id=p.id,
                        parent_qid=qualified(inst.id, p.parent) if p.parent else None,
                        kind=p.kind.value,
                        number=p.number,
                        title_en=p.title.en,
                        title_zh=p.title.zh,
                        summary_en=p.summary.en if p.summary else None,
                        summary_zh=p.summary.zh if p.summary else None,
                        verified=p.verified,
                        position=pos,
                        search_text=index_text(
                            p.number,
                            p.title.en,
                            p.title.zh,
                            p.summary.en if p.summary else None,
                            p.summary.zh if p.summary else None,
                            " ".join(p.tags),
                        ),
                        document=p.model_dump(mode="json", exclude_none=True),
                    )
                )
        if rows:
            s.execute(_table(ProvisionRow).insert(), rows)
        s.execute(
            _table(PrincipleRow).insert(),
            [
                dict(
                    id=pid,
                    title_en=pr.title.en,
                    title_zh=pr.title.zh,
                    position=i,
                    document=pr.model_dump(mode="json", exclude_none=True),
                )
                for i, (pid, pr) in enumerate(cat.principles.items())
            ],
        )
        if cat.mappings:
            s.execute(
                _table(MappingRow).insert(),
                [
                    dict(
                        subject=m.subject,
                        predicate=m.predicate.value,
                        object=m.object,
                        justification=m.justification.value,
                        confidence=m.confidence,
                        comment=m.comment,
                        comment_zh=m.comment_zh,
                        mapping_set=mset,
                    )
                    for m, mset in zip(cat.mappings, cat.mapping_sets, strict=True)
                ],
            )
        if db.dialect == "sqlite":
            s.execute(text("INSERT INTO provisions_fts(provisions_fts) VALUES('rebuild')"))
        meta = s.get(MetaEntry, HASH_KEY)
        if meta:
            meta.value = digest
        else:
            s.add(MetaEntry(key=HASH_KEY, value=digest))


def catalog_is_loaded(db: Database) -> bool:
    with db.session() as s:
        return s.execute(select(InstrumentRow.id).limit(1)).first() is not None
