"""Per-sample persistence: one JSONL line at once and one DB row in short batches, and the cache.

Order of writes: when a sample finishes, its record gets the next `seq` and its JSONL line is
written and flushed immediately (one `write` system call, so after `kill -9` the line is in the
file, at worst cut short). The database rows follow in short batches — one transaction per
`batch_size` records or per `batch_ms` milliseconds, whichever comes first — because a commit
per sample cost more CPU than everything else a sample needs. Batches commit in `seq` order, so
the database always holds a prefix 1…k of what the JSONL holds, 1…m (m ≥ k).

Resume reconciles the two before running anything: every complete, valid JSONL line of this run
whose sample is not in the database is inserted (keeping its `seq`), so no finished sample is
lost or run twice; then the JSONL is rewritten from the database (temp file + rename), which
drops a torn last line and any duplicate. The database stays the source of truth: it is unique
on (run, sample), and a batch that meets an existing row falls back to row-by-row inserts that
skip it.

The response cache is read in bulk before a run (`prefetch`) and written with the same batches
(insert-or-ignore: a key's content never changes).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Insert, func, insert, select
from sqlalchemy.exc import IntegrityError

from .lease import RunLease
from .models import GenaiCacheRow, GenaiSampleRow
from .runner import utcnow
from .schema import SampleRecord

try:
    import orjson

    def _line(data: dict) -> bytes:
        return orjson.dumps(data) + b"\n"
except ImportError:  # pragma: no cover

    def _line(data: dict) -> bytes:
        return (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8")


_COLS = ("bank", "risk", "lang", "attack", "status", "passed", "refused", "finished_at")


class RunStore:
    def __init__(
        self, db, run_id: str, jsonl: str | Path, *, use_cache: bool = True, batch_size: int = 64, batch_ms: float = 20.0
    ) -> None:
        self.db = db
        self.run_id = run_id
        self.jsonl = Path(jsonl)
        self.use_cache = use_cache
        self.batch_size = max(1, int(batch_size))
        self.batch_s = max(0.0, batch_ms) / 1000.0
        self.lease: RunLease | None = None  # a batch is refused once it is lost
        self._fh: BinaryIO | None = None
        self._pending: list[dict] = []
        self._pending_cache: dict[str, dict] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._dupes = 0
        self._load_seq()

    def _load_seq(self) -> None:
        with self.db.session() as s:
            self.seq = int(
                s.scalar(select(func.coalesce(func.max(GenaiSampleRow.seq), 0)).where(GenaiSampleRow.run_id == self.run_id)) or 0
            )

    # ---- reading ---------------------------------------------------------------------------
    def done_ids(self) -> set[str]:
        with self.db.session() as s:
            return set(s.scalars(select(GenaiSampleRow.sample_id).where(GenaiSampleRow.run_id == self.run_id)))

    def records(self) -> list[SampleRecord]:
        with self.db.session() as s:
            rows = s.scalars(
                select(GenaiSampleRow.record).where(GenaiSampleRow.run_id == self.run_id).order_by(GenaiSampleRow.seq)
            )
            return [SampleRecord.model_validate(r) for r in rows]

    # ---- crash recovery --------------------------------------------------------------------
    def recover_from_jsonl(self) -> int:
        """Insert finished samples that reached the JSONL but not the database; returns how many."""
        if not self.jsonl.exists():
            return 0
        done = self.done_ids()
        found: dict[str, dict] = {}
        with self.jsonl.open("rb") as fh:
            for raw in fh:
                if not raw.endswith(b"\n"):
                    break  # torn last line of a killed writer
                try:
                    rec = SampleRecord.model_validate_json(raw)
                except ValueError:
                    continue
                if rec.run_id == self.run_id and rec.sample_id not in done and rec.sample_id not in found:
                    found[rec.sample_id] = rec.model_dump(mode="json")
        if found:
            rows = sorted(found.values(), key=lambda d: d["seq"])
            self._insert(rows, {})
            self._load_seq()
        return len(found)

    def reconcile_jsonl(self) -> int:
        """Recover from the JSONL, then make the JSONL equal to the database; returns the recovered count."""
        recovered = self.recover_from_jsonl()
        self.jsonl.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.jsonl.with_name(self.jsonl.name + ".tmp")
        with tmp.open("wb") as fh:
            with self.db.session() as s:
                for data in s.scalars(
                    select(GenaiSampleRow.record).where(GenaiSampleRow.run_id == self.run_id).order_by(GenaiSampleRow.seq)
                ):
                    fh.write(_line(data))
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(self.jsonl)
        return recovered

    def open(self) -> int:
        recovered = self.reconcile_jsonl()
        self._fh = self.jsonl.open("ab", buffering=0)  # unbuffered: each line is one write()
        return recovered

    def close(self) -> None:
        try:
            self.flush()
        finally:
            if self._fh is not None:
                self._fh.close()
                self._fh = None
        if self._dupes:  # another writer stored some samples first: drop our duplicate lines
            self._dupes = 0
            self.reconcile_jsonl()

    # ---- cache -----------------------------------------------------------------------------
    def cache_get(self, key: str) -> dict | None:
        if not self.use_cache:
            return None
        if key in self._pending_cache:
            return self._pending_cache[key]
        with self.db.session() as s:
            resp = s.scalar(select(GenaiCacheRow.response).where(GenaiCacheRow.key == key))
            return dict(resp) if resp is not None else None

    def prefetch(self, keys: Iterable[str], chunk: int = 500) -> dict[str, dict]:
        """The cached responses among `keys`, read in a few queries."""
        if not self.use_cache:
            return {}
        keys = list(dict.fromkeys(keys))
        out: dict[str, dict] = {}
        with self.db.session() as s:
            for i in range(0, len(keys), chunk):
                part = keys[i : i + chunk]
                for k, resp in s.execute(select(GenaiCacheRow.key, GenaiCacheRow.response).where(GenaiCacheRow.key.in_(part))):
                    out[k] = dict(resp)
        return out

    # ---- writing ---------------------------------------------------------------------------
    def write(self, rec: SampleRecord, cache_entries: dict[str, dict], target_id: str) -> bool:
        """Record one finished sample: JSONL line now, database row with the next batch."""
        if self.lease is not None and self.lease.lost:
            from ...errors import TianpingError

            raise TianpingError(f"run {self.run_id}: another process took over this run's lease; stopping", title="run busy")
        self.seq += 1
        rec.seq = self.seq
        data = rec.model_dump(mode="json")
        if self._fh is not None:
            self._fh.write(_line(data))
        self._pending.append(data)
        if self.use_cache and rec.status == "ok":
            now = utcnow()
            for key, resp in cache_entries.items():
                self._pending_cache[key] = {"key": key, "target": target_id, "response": resp, "created_at": now}
        if len(self._pending) >= self.batch_size or not self.batch_s:
            self.flush()
        elif self._timer is None:
            try:
                self._timer = asyncio.get_running_loop().call_later(self.batch_s, self.flush)
            except RuntimeError:  # not in an event loop: no timer, write now
                self.flush()
        return True

    def flush(self) -> None:
        """Commit the pending rows (one transaction)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._pending and not self._pending_cache:
            return
        rows, cache = self._pending, self._pending_cache
        self._pending, self._pending_cache = [], {}
        self._insert(rows, cache)

    def _row(self, data: dict) -> dict:
        row = {c: data[c] for c in _COLS}
        row.update(run_id=self.run_id, sample_id=data["sample_id"], seq=data["seq"], record=data)
        return row

    def _insert(self, rows: list[dict], cache: dict[str, dict]) -> None:
        try:
            with self.db.session() as s:
                if rows:
                    s.execute(insert(GenaiSampleRow), [self._row(d) for d in rows])
                self._insert_cache(s, cache)
        except IntegrityError:  # some sample already stored by another writer: row by row, skip those
            for d in rows:
                try:
                    with self.db.session() as s:
                        s.execute(insert(GenaiSampleRow), [self._row(d)])
                except IntegrityError:
                    self._dupes += 1
            with self.db.session() as s:
                self._insert_cache(s, cache)

    def _insert_cache(self, s, cache: dict[str, dict]) -> None:
        if not cache:
            return
        dialect = s.get_bind().dialect.name
        stmt: Insert
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(GenaiCacheRow).on_conflict_do_nothing(index_elements=["key"])
        elif dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as postgresql_insert

            stmt = postgresql_insert(GenaiCacheRow).on_conflict_do_nothing(index_elements=["key"])
        else:  # pragma: no cover - other back ends: one merge per entry
            for c in cache.values():
                s.merge(GenaiCacheRow(**c))
            return
        s.execute(stmt, list(cache.values()))
