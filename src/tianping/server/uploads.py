"""Files uploaded for runs (datasets, models, predictions): streamed to disk under a size limit.

An upload is written chunk by chunk to `<uploads dir>/<system>/<id>/<name>` while its SHA-256 is
computed; going past the limit stops the transfer, deletes the partial file and answers 413, so
a large upload never sits in memory and a rejected one leaves nothing behind. Names are reduced
to a safe base name; the kind is checked from the content, not only the suffix: a dataset is CSV
(UTF-8 text) or Parquet (`PAR1` magic), a model is ONNX, skops, XGBoost JSON/UBJ or LightGBM text,
and anything that looks like a pickle (by name or by its protocol header) is refused, because
unpickling runs code chosen by whoever made the file.

Retention (`UploadStore.sweep`, run by `UploadJanitor` at start-up and then periodically): an
upload is deleted once `retention` has passed since it was last used — uploaded, named by a run
request, or the end of the last run whose configuration names it — and never while a run that
names it is pending, running or interrupted (it may still resume). Folders a crashed upload left
without `meta.json` go the same way. Each deletion is audited (`upload.deleted`, actor
`system:retention`, with the file's name, size and SHA-256); the file is removed only after its
audit event is committed. Setting `upload_retention_days` (TIANPING_UPLOAD_RETENTION_DAYS, default
7; 0 keeps uploads for ever), sweep interval `upload_sweep_hours` (TIANPING_UPLOAD_SWEEP_HOURS, 6).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from ..config import data_home
from ..errors import Problem, TianpingError
from .errors import ServiceError

log = logging.getLogger("tianping.server.uploads")
ACTIVE_RUN = ("pending", "running", "interrupted")  # a run in one of these may still read its files

DATA_SUFFIXES = {".csv", ".parquet", ".pq"}
MODEL_SUFFIXES = {".onnx", ".skops", ".json", ".ubj", ".txt", ".lgb", ".lightgbm"}
PICKLE_SUFFIXES = {".pkl", ".pickle", ".joblib", ".pt", ".pth", ".sav", ".dill"}
_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def too_large(limit: int) -> ServiceError:
    return ServiceError(
        413, f"the upload is larger than the limit of {limit // (1024 * 1024)} MB", title="upload too large", field="file"
    )


def safe_name(name: str | None) -> str:
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base)[:100].lstrip(".")
    if not base:
        raise TianpingError(
            Problem("give the file a name with its suffix, e.g. data.csv or model.onnx", field="name"), title="invalid input"
        )
    return base


def _kind_of(name: str, head: bytes) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in PICKLE_SUFFIXES or head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        raise TianpingError(
            Problem(
                "pickle files are refused: unpickling runs code chosen by whoever made the file. "
                "Convert the model to ONNX or skops",
                field="file",
            ),
            title="unsafe model format",
        )
    if suffix in (".parquet", ".pq"):
        if head[:4] != b"PAR1":
            raise TianpingError(Problem("not a Parquet file (no PAR1 header)", field="file"), title="invalid input")
        return "data"
    if suffix == ".csv":
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # a cut multi-byte character at the end is fine
                raise TianpingError(Problem("a CSV file must be UTF-8 text", field="file"), title="invalid input") from None
        return "data"
    if suffix in MODEL_SUFFIXES:
        return "model"
    raise TianpingError(
        Problem(
            f"unsupported file type '{suffix or name}': datasets are .csv or .parquet, models .onnx, "
            ".skops, XGBoost .json/.ubj or LightGBM .txt",
            field="file",
        ),
        title="invalid input",
    )


class UploadStore:
    def __init__(self, root: Path | None = None, limit: int = 200 * 1024 * 1024) -> None:
        self.root = Path(root) if root else data_home() / "uploads"
        self.limit = int(limit)
        # held while a run request resolves an upload and while the sweep decides on and deletes one,
        # so an upload a request has just resolved is never deleted under it
        self.lock = threading.Lock()

    def _dir(self, system_id: str, upload_id: str) -> Path:
        return self.root / system_id / upload_id

    async def save(
        self,
        system_id: str,
        name: str | None,
        chunks: AsyncIterator[bytes],
        *,
        actor: str | None = None,
        declared: int | None = None,
    ) -> dict[str, Any]:
        name = safe_name(name)
        if declared is not None and declared > self.limit:
            raise too_large(self.limit)
        upload_id = str(uuid.uuid4())
        d = self._dir(system_id, upload_id)
        d.mkdir(parents=True, exist_ok=False)
        path = d / name
        sha, size, head = hashlib.sha256(), 0, b""
        ok = False
        try:
            with path.open("wb") as fh:
                async for chunk in chunks:
                    if not chunk:
                        continue
                    size += len(chunk)
                    if size > self.limit:
                        raise too_large(self.limit)
                    if len(head) < 4096:
                        head += chunk[: 4096 - len(head)]
                    sha.update(chunk)
                    fh.write(chunk)
            if size == 0:
                raise TianpingError(Problem("the file is empty", field="file"), title="invalid input")
            kind = _kind_of(name, head)
            meta = {
                "id": upload_id,
                "system_id": system_id,
                "name": name,
                "size": size,
                "sha256": sha.hexdigest(),
                "kind": kind,
                "uploaded_by": actor,
            }
            (d / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
            ok = True
            return {k: v for k, v in meta.items() if k != "uploaded_by"}
        finally:
            if not ok:
                shutil.rmtree(d, ignore_errors=True)

    def path(self, system_id: str, upload_id: str, *, field: str) -> tuple[Path, dict[str, Any]]:
        """The stored file of an upload of this system (422 naming `field` otherwise)."""
        if not isinstance(upload_id, str) or not _ID.match(upload_id):
            raise TianpingError(Problem("the id of a file uploaded for this system", field=field), title="invalid input")
        d = self._dir(system_id, upload_id)
        with self.lock:
            try:
                meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
                os.utime(d / "meta.json")  # used now: the retention clock starts again
            except (OSError, ValueError):
                raise TianpingError(
                    Problem(f"no upload '{upload_id}' for this system", field=field), title="invalid input"
                ) from None
        return d / meta["name"], meta

    # -- retention ---------------------------------------------------------------------------------
    def sweep(self, db, retention: float, *, now: float | None = None) -> list[dict[str, Any]]:
        """Delete the uploads whose retention has passed (see the module docstring); returns what was deleted."""
        from sqlalchemy import select

        from ..audit import append_event
        from ..store.models import RunRow

        if retention <= 0 or not self.root.is_dir():
            return []
        now = time.time() if now is None else now
        deleted: list[dict[str, Any]] = []
        for sys_dir in sorted(p for p in self.root.iterdir() if p.is_dir()):
            with db.session() as s:  # the runs of this system that name a file of it
                runs = [
                    (r.config, r.status, r.finished_at)
                    for r in s.scalars(select(RunRow).where(RunRow.system_id == sys_dir.name, RunRow.kind == "tabular"))
                ]
            used: dict[str, list[tuple[str, str | None]]] = {}
            for cfg, status, finished in runs:
                text = json.dumps(cfg or {})
                for d in sys_dir.iterdir():
                    if d.name in text:
                        used.setdefault(d.name, []).append((status, finished))
            for d in sorted(p for p in sys_dir.iterdir() if p.is_dir()):
                with self.lock:
                    why = self._expired(d, used.get(d.name, []), retention, now)
                    if why is None:
                        continue
                    meta = self._meta(d)
                    info: dict[str, Any] = {
                        "system": sys_dir.name,
                        "upload": d.name,
                        "reason": why,
                        **{k: meta[k] for k in ("name", "size", "sha256", "kind") if k in meta},
                    }
                    with db.session() as s:
                        append_event(s, "upload.deleted", "system", sys_dir.name, info, actor="system:retention")
                    shutil.rmtree(d, ignore_errors=True)
                    deleted.append(info)
            try:
                sys_dir.rmdir()  # only when empty
            except OSError:
                pass
        if deleted:
            log.info("upload retention: %d upload(s) deleted", len(deleted))
        return deleted

    @staticmethod
    def _meta(d: Path) -> dict[str, Any]:
        try:
            meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
            return meta if isinstance(meta, dict) else {}
        except (OSError, ValueError):
            return {}

    @staticmethod
    def _expired(d: Path, runs: list[tuple[str, str | None]], retention: float, now: float) -> str | None:
        """Why the upload in `d` goes now ("unused", "runs ended", "incomplete"), or None to keep it."""
        import datetime as dt

        if any(status in ACTIVE_RUN for status, _ in runs):
            return None
        try:
            stamps = [p.stat().st_mtime for p in d.iterdir()] or [d.stat().st_mtime]
        except OSError:
            return None
        last = max(stamps)  # uploaded, or last named by a run request (path() touches meta.json)
        for _status, finished in runs:
            if finished:
                try:
                    last = max(last, dt.datetime.fromisoformat(finished).timestamp())
                except ValueError:
                    return None  # a date we cannot read: keep the file rather than guess
        if now - last < retention:
            return None
        if not (d / "meta.json").exists():
            return "incomplete"
        return "runs ended" if runs else "unused"


class UploadJanitor:
    """Runs `UploadStore.sweep` at start-up and then every `interval` seconds (a daemon thread)."""

    def __init__(self, store: UploadStore, db, retention: float, interval: float) -> None:
        self.store, self.db, self.retention, self.interval = store, db, retention, interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last: list[dict[str, Any]] | None = None

    def run_once(self) -> list[dict[str, Any]]:
        self.last = self.store.sweep(self.db, self.retention)
        return self.last

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # a failed round is logged and tried again at the next interval
                log.exception("upload retention sweep failed")
            self._stop.wait(self.interval)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="tianping-upload-retention", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


async def iter_upload_file(upload, size: int = 1 << 20) -> AsyncIterator[bytes]:
    """Chunks of a Starlette UploadFile (already spooled to a temporary file by the form parser)."""
    while True:
        chunk = await upload.read(size)
        if not chunk:
            return
        yield chunk
