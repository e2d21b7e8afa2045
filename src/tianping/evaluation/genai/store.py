"""Per-sample persistence: one DB row and one JSONL line per finished sample, and the cache.

Order of writes: the database row commits first (the source of truth, unique per run and
sample), then the JSONL line is appended. A `kill -9` between the two, or in the middle of a
JSONL line, is repaired on resume by rewriting the JSONL from the database (temp file + rename),
so both end with exactly one record per sample.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .models import GenaiCacheRow, GenaiSampleRow
from .runner import utcnow
from .schema import SampleRecord


class RunStore:
    def __init__(self, db, run_id: str, jsonl: str | Path, *, use_cache: bool = True) -> None:
        self.db = db
        self.run_id = run_id
        self.jsonl = Path(jsonl)
        self.use_cache = use_cache
        self._fh = None
        with db.session() as s:
            self.seq = int(s.scalar(select(func.coalesce(func.max(GenaiSampleRow.seq), 0)).where(GenaiSampleRow.run_id == run_id)) or 0)

    def done_ids(self) -> set[str]:
        with self.db.session() as s:
            return set(s.scalars(select(GenaiSampleRow.sample_id).where(GenaiSampleRow.run_id == self.run_id)))

    def records(self) -> list[SampleRecord]:
        with self.db.session() as s:
            rows = s.scalars(select(GenaiSampleRow.record).where(GenaiSampleRow.run_id == self.run_id).order_by(GenaiSampleRow.seq))
            return [SampleRecord.model_validate(r) for r in rows]

    def reconcile_jsonl(self) -> None:
        """Make the JSONL file equal to the database (after a crash it may lag or end mid-line)."""
        self.jsonl.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.jsonl.with_name(self.jsonl.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            for rec in self.records():
                fh.write(rec.model_dump_json() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(self.jsonl)

    def open(self) -> None:
        self.reconcile_jsonl()
        self._fh = self.jsonl.open("a", encoding="utf-8")

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def cache_get(self, key: str) -> dict | None:
        if not self.use_cache:
            return None
        with self.db.session() as s:
            row = s.get(GenaiCacheRow, key)
            return dict(row.response) if row is not None else None

    def write(self, rec: SampleRecord, cache_entries: dict[str, dict], target_id: str) -> bool:
        """Persist one finished sample (and its new cache entries); False if it was already stored."""
        self.seq += 1
        rec.seq = self.seq
        data = json.loads(rec.model_dump_json())
        try:
            with self.db.session() as s:
                s.add(GenaiSampleRow(run_id=self.run_id, sample_id=rec.sample_id, seq=rec.seq, bank=rec.bank, risk=rec.risk,
                                     lang=rec.lang, attack=rec.attack, status=rec.status, passed=rec.passed, refused=rec.refused,
                                     record=data, finished_at=rec.finished_at))
                if self.use_cache and rec.status == "ok":
                    now = utcnow()
                    for key, resp in cache_entries.items():
                        s.merge(GenaiCacheRow(key=key, target=target_id, response=resp, created_at=now))
        except IntegrityError:  # already stored by an earlier process: never a duplicate
            self.seq -= 1
            return False
        if self._fh is not None:
            self._fh.write(json.dumps(data, ensure_ascii=False) + "\n")
            self._fh.flush()
        return True
