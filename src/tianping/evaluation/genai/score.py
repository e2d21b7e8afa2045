"""Score replies you already have: `tianping eval score --input FILE --scorer refusal`.

Pure and reusable (the CLI, the production-log monitor and evidence importers call it): read rows
from JSONL, CSV/TSV or Parquet with columns `id`, `response` and optionally `prompt` and `lang`
(any names, through a column mapping), run registered scorers on each reply, and return one record
per row plus totals. Input problems are `TianpingError`s located by file, line (JSONL/CSV) or row
(Parquet) and column; a scorer that fails on one row gives that row an `error` and never stops the
run. Output files are written to a temporary file and renamed, so a failed run leaves nothing behind.

Records: ``{"id": …, "lang": …, "refusal": true|false, "scores": {"refusal": {"value", "label",
"explanation"}}}`` — one boolean per scorer (value ≥ 0.5; null when the scorer could not score),
``"error"`` when a scorer failed. The `refusal` scorer (rules) has a fast path that skips building
`Sample`/`Score` objects: ~40,000 replies per CPU-second end to end (benchmarks/refusal_scoring.py).
"""

from __future__ import annotations

import asyncio
import csv
import difflib
import inspect
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import Problem, TianpingError

# one signature for both parsers, so the fallback assignment type-checks against orjson's
_loads: Callable[[bytes | str], Any]

try:  # orjson (a `genai` dependency) parses and writes JSON Lines ~3x faster; the stdlib is the fallback
    import orjson as _orjson

    _loads = _orjson.loads

    def dumps(obj: Any) -> str:
        return _orjson.dumps(obj).decode("utf-8")
except ImportError:  # pragma: no cover
    _loads = json.loads

    def dumps(obj: Any) -> str:
        return json.dumps(obj, ensure_ascii=False)


FIELDS = ("id", "prompt", "response", "lang")
REQUIRED = ("id", "response")
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
CSV_SUFFIXES = {".csv": ",", ".tsv": "\t"}
PARQUET_SUFFIXES = {".parquet", ".pq"}


@dataclass(frozen=True)
class Row:
    """One reply to score; `where` locates it in its file (line for JSONL/CSV, row for Parquet)."""

    id: str
    response: str
    prompt: str = ""
    lang: str = ""
    where: int = 0


_KEYS = ("true", "false", "null", "error")


@dataclass
class Totals:
    rows: int = 0
    scorers: list[str] = field(default_factory=list)
    by_lang: dict[str, dict[str, dict[str, int]]] = field(
        default_factory=dict
    )  # scorer -> lang -> {"true", "false", "null", "error"}

    def add(self, rec: dict[str, Any]) -> None:
        self.rows += 1
        lang = rec.get("lang") or "-"
        errors = rec.get("errors")
        for name in self.scorers:
            v = rec.get(name)
            key = "error" if errors and name in errors else ("null" if v is None else ("true" if v else "false"))
            per = self.by_lang.setdefault(name, {})
            c = per.get(lang)
            if c is None:
                c = per[lang] = dict.fromkeys(_KEYS, 0)
            c[key] += 1

    def as_dict(self) -> dict[str, Any]:
        def rate(c: dict[str, int]) -> float | None:
            n = c["true"] + c["false"]
            return round(c["true"] / n, 6) if n else None

        out: dict[str, Any] = {}
        for name in self.scorers:
            per = self.by_lang.get(name, {})
            tot = {k: sum(c[k] for c in per.values()) for k in _KEYS}
            out[name] = {
                **tot,
                "rate": rate(tot),
                "by_lang": {lang: {"n": sum(c.values()), "true": c["true"], "rate": rate(c)} for lang, c in sorted(per.items())},
            }
        return {"rows": self.rows, "scorers": out}


# --- column mapping ---------------------------------------------------------------------------------


def parse_mapping(specs: Iterable[str] | str | None) -> dict[str, str]:
    """`id=qid,response=answer` (comma-separated, repeatable) → {"id": "qid", "response": "answer"}."""
    if specs is None:
        return {}
    if isinstance(specs, str):
        specs = [specs]
    out: dict[str, str] = {}
    for spec in specs:
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            key, sep, col = part.partition("=")
            key, col = key.strip(), col.strip()
            if not sep or not key or not col:
                raise TianpingError(Problem(f"'{part}' is not FIELD=COLUMN", field="--map"), title="bad column mapping")
            if key not in FIELDS:
                raise TianpingError(
                    Problem(f"unknown field '{key}' (fields: {', '.join(FIELDS)})", field="--map"), title="bad column mapping"
                )
            out[key] = col
    return out


def _columns(mapping: dict[str, str]) -> dict[str, str]:
    return {f: mapping.get(f, f) for f in FIELDS}


def _check_header(path: str, header: list[str], cols: dict[str, str], where: str) -> None:
    have = set(header)
    missing = [f for f in REQUIRED if cols[f] not in have]
    if missing:
        names = ", ".join(f"'{cols[f]}'" + (f" (for {f})" if cols[f] != f else "") for f in missing)
        hints = []
        for f in missing:
            near = difflib.get_close_matches(cols[f], header, n=1, cutoff=0.4)
            hints.append(f"--map {f}={near[0] if near else 'COLUMN'}")
        raise TianpingError(
            Problem(
                f"missing column(s) {names}; the file has: {', '.join(header[:20]) or 'none'} (map them with {' '.join(hints)})",
                file=path,
                line=1 if where == "line" else None,
                field=cols[missing[0]],
            ),
            title="missing columns",
        )


def _cell(value: Any, path: str, where: str, n: int, col: str, *, required: bool, nonempty: bool = False) -> str:
    """A cell as text: ids and replies may be text or numbers; anything else is an unreadable row."""

    def bad(msg: str) -> TianpingError:
        if where == "line":
            return TianpingError(Problem(msg, file=path, line=n, field=col), title="unreadable row")
        return TianpingError(Problem(f"row {n}: {msg}", file=path, field=col), title="unreadable row")

    if value is None or (isinstance(value, float) and value != value):  # None or NaN
        if required:
            raise bad("empty value")
        return ""
    if isinstance(value, str):
        if nonempty and not value.strip():
            raise bad("empty value")
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise bad(f"expected text, got {type(value).__name__}")


# --- readers ----------------------------------------------------------------------------------------


def detect_format(path: str | Path, fmt: str | None = None) -> str:
    if fmt:
        if fmt not in ("jsonl", "csv", "tsv", "parquet"):
            raise TianpingError(
                Problem(f"unknown format '{fmt}' (jsonl, csv, tsv, parquet)", field="--format"), title="bad format"
            )
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix in JSONL_SUFFIXES or suffix == ".json":
        return "jsonl"
    if suffix in CSV_SUFFIXES:
        return suffix[1:]
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    raise TianpingError(
        Problem(f"unknown file type '{suffix or '(none)'}': use .jsonl, .csv, .tsv or .parquet (or --format)", file=str(path)),
        title="unknown format",
    )


def _decode(path: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TianpingError(Problem(f"not UTF-8 text (byte {exc.start})", file=path, line=line), title="unreadable row") from None


def _read_jsonl(path: str, text: str, cols: dict[str, str]) -> Iterator[Row]:
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            obj = _loads(line)
        except ValueError as exc:  # json.JSONDecodeError and orjson.JSONDecodeError
            # orjson.JSONDecodeError subclasses json.JSONDecodeError, so this covers both parsers
            why = f"{exc.msg} (column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else str(exc)
            raise TianpingError(Problem(f"not valid JSON: {why}", file=path, line=n), title="unreadable row") from None
        if not isinstance(obj, dict):
            raise TianpingError(
                Problem(f"expected a JSON object, got {type(obj).__name__}", file=path, line=n), title="unreadable row"
            )
        missing = [cols[f] for f in REQUIRED if cols[f] not in obj]
        if missing:
            raise TianpingError(
                Problem(
                    f"missing key {missing[0]!r}" + (f" (keys: {', '.join(list(obj)[:12])}; map with --map)"),
                    file=path,
                    line=n,
                    field=missing[0],
                ),
                title="missing columns",
            )
        rid, resp = obj[cols["id"]], obj[cols["response"]]
        prompt, lang = obj.get(cols["prompt"]), obj.get(cols["lang"])
        yield Row(
            id=rid if type(rid) is str and rid.strip() else _cell(rid, path, "line", n, cols["id"], required=True, nonempty=True),
            response=resp if type(resp) is str else _cell(resp, path, "line", n, cols["response"], required=True),
            prompt=prompt if type(prompt) is str else _cell(prompt, path, "line", n, cols["prompt"], required=False),
            lang=lang if type(lang) is str else _cell(lang, path, "line", n, cols["lang"], required=False),
            where=n,
        )


def _read_csv(path: str, text: str, cols: dict[str, str], delimiter: str) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise TianpingError(Problem(f"unreadable CSV: {exc}", file=path, line=1), title="unreadable row") from None
    header = [h.strip() for h in header]
    _check_header(path, header, cols, "line")
    pos = {f: header.index(cols[f]) for f in FIELDS if cols[f] in header}
    width = len(header)
    while True:
        line = reader.line_num + 1
        try:
            rec = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise TianpingError(Problem(f"unreadable CSV: {exc}", file=path, line=line), title="unreadable row") from None
        if not rec or rec == [""]:
            continue
        if len(rec) != width:
            raise TianpingError(
                Problem(f"{len(rec)} fields, the header has {width}", file=path, line=line), title="unreadable row"
            )
        rid = rec[pos["id"]]
        if not rid.strip():
            raise TianpingError(Problem("empty value", file=path, line=line, field=cols["id"]), title="unreadable row")
        yield Row(
            id=rid,
            response=rec[pos["response"]],
            prompt=rec[pos["prompt"]] if "prompt" in pos else "",
            lang=rec[pos["lang"]] if "lang" in pos else "",
            where=line,
        )


def _read_parquet(path: str, cols: dict[str, str]) -> Iterator[Row]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise TianpingError(Problem(f"unreadable Parquet file: {exc}", file=path), title="unreadable row") from None
    header = list(pf.schema_arrow.names)
    _check_header(path, header, cols, "row")
    want = [cols[f] for f in FIELDS if cols[f] in header]
    n = 0
    try:
        batches = pf.iter_batches(columns=want, batch_size=8192)
        for batch in batches:
            data = {c: batch.column(c).to_pylist() for c in want}
            for i in range(batch.num_rows):
                n += 1
                get = lambda f, data=data, i=i: data[cols[f]][i] if cols[f] in data else None  # noqa: E731
                yield Row(
                    id=_cell(get("id"), path, "row", n, cols["id"], required=True, nonempty=True),
                    response=_cell(get("response"), path, "row", n, cols["response"], required=True),
                    prompt=_cell(get("prompt"), path, "row", n, cols["prompt"], required=False),
                    lang=_cell(get("lang"), path, "row", n, cols["lang"], required=False),
                    where=n,
                )
    except (pa.ArrowInvalid, OSError) as exc:
        raise TianpingError(Problem(f"unreadable Parquet data after row {n}: {exc}", file=path), title="unreadable row") from None


def read_rows(path: str | Path, mapping: dict[str, str] | None = None, fmt: str | None = None) -> list[Row]:
    """All rows of a file (validated: a bad row raises a located `TianpingError`, nothing is partial)."""
    p = str(path)
    if not Path(p).is_file():
        raise TianpingError(Problem("no such file", file=p), title="file not found")
    kind = detect_format(p, fmt)
    cols = _columns(mapping or {})
    if kind == "parquet":
        rows = list(_read_parquet(p, cols))
    else:
        text = _decode(p, Path(p).read_bytes())
        rows = list(_read_jsonl(p, text, cols) if kind == "jsonl" else _read_csv(p, text, cols, CSV_SUFFIXES[f".{kind}"]))
    if not rows:
        raise TianpingError(Problem("no rows to score (empty file)", file=p), title="empty input")
    return rows


# --- scoring ----------------------------------------------------------------------------------------


def _fast_refusal(text: str) -> tuple[float, str, str]:
    from .scorers.refusal import detect_refusal

    refused, why = detect_refusal(text)
    return (1.0 if refused else 0.0), ("refused" if refused else "answered"), why or ""


def _batch_refusal_stat(texts: list[str]) -> list[tuple[float | None, str, str]]:
    from .scorers.refusal import detect_refusal
    from .scorers.refusal_stat import classify

    out: list[tuple[float | None, str, str]] = []
    for t, (refused, p) in zip(texts, classify(texts), strict=True):
        if not (t or "").strip():
            out.append((1.0, "refused", "empty"))
            continue
        why = detect_refusal(t)[1]
        out.append(
            (1.0 if refused else 0.0, "refused" if refused else "answered", f"p={p:.3f}" + (f"; rules: {why}" if why else ""))
        )
    return out


# Scorers with a path that skips building Sample/Score objects (same verdicts as the registered function)
FAST: dict[str, Callable[[str], tuple[float | None, str, str]]] = {"refusal": _fast_refusal}
# Scorers that are much faster on a batch of replies (embedding models)
BATCH: dict[str, Callable[[list[str]], list[tuple[float | None, str, str]]]] = {"refusal_stat": _batch_refusal_stat}
BATCH_SIZE = 256


def resolve_scorers(names: Iterable[str]) -> list[str]:
    """Check scorer names against the registry; unknown ones raise with close-match suggestions."""
    from .registry import scorers as reg

    known = reg.names()
    out = []
    for name in names:
        name = name.strip()
        if not name:
            continue
        if name not in known:
            near = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
            hint = f"did you mean {', '.join(near)}? " if near else ""
            raise TianpingError(
                Problem(f"unknown scorer '{name}': {hint}known: {', '.join(known)}", field="--scorer"), title="unknown scorer"
            )
        if name not in out:
            out.append(name)
    if not out:
        raise TianpingError(Problem("no scorer given", field="--scorer"), title="unknown scorer")
    return out


def _sample(row: Row):
    from .schema import Sample

    return Sample.model_construct(
        id=row.id,
        bank="public",
        risk=None,
        lang=row.lang or "und",
        expect="safe",
        prompt=row.prompt,
        turns=None,
        attack="none",
        seed_item=None,
        reference=None,
        meta={},
    )


def score_rows(rows: Iterable[Row], scorer_names: list[str], ctx: Any = None, *, detail: bool = True) -> Iterator[dict[str, Any]]:
    """One record per row (see the module docstring). `detail=False` leaves out the per-scorer detail."""
    from .registry import scorers as reg
    from .scorers.base import ScoreContext

    ctx = ctx if ctx is not None else ScoreContext()
    fns = {n: reg.get(n) for n in scorer_names}
    fast = {n: FAST[n] for n in scorer_names if n in FAST}
    batch = {n: BATCH[n] for n in scorer_names if n in BATCH}
    loop: asyncio.AbstractEventLoop | None = None

    def one(name: str, row: Row) -> tuple[float | None, str, str]:
        nonlocal loop
        if name in fast:
            return fast[name](row.response)
        res = fns[name](_sample(row), row.response, ctx)
        if inspect.isawaitable(res):
            if loop is None:
                loop = asyncio.new_event_loop()
            res = loop.run_until_complete(res)
        return res.value, res.label, res.explanation

    def chunks() -> Iterator[list[Row]]:
        if not batch:
            for row in rows:
                yield [row]
            return
        buf: list[Row] = []
        for row in rows:
            buf.append(row)
            if len(buf) >= BATCH_SIZE:
                yield buf
                buf = []
        if buf:
            yield buf

    try:
        for chunk in chunks():
            pre: dict[str, list[tuple[float | None, str, str]]] = {}
            for name, fn in batch.items():
                try:
                    pre[name] = fn([r.response for r in chunk])
                except Exception as exc:  # the whole batch failed: every row records it
                    pre[name] = [(None, "error", f"{exc.__class__.__name__}: {exc}")] * len(chunk)
            for k, row in enumerate(chunk):
                rec: dict[str, Any] = {"id": row.id}
                if row.lang:
                    rec["lang"] = row.lang
                scores: dict[str, Any] = {}
                errors: dict[str, str] = {}
                for name in scorer_names:
                    try:
                        value, label, why = pre[name][k] if name in pre else one(name, row)
                    except Exception as exc:  # one broken row/scorer is recorded, never fatal
                        value, label, why = None, "error", f"{exc.__class__.__name__}: {exc}"
                    if label == "error":
                        errors[name] = why
                    rec[name] = None if value is None else value >= 0.5
                    if detail:
                        scores[name] = {"value": value, "label": label, "explanation": why}
                if detail:
                    rec["scores"] = scores
                if errors:
                    rec["errors"] = errors
                    rec["error"] = "; ".join(f"{k2}: {v}" for k2, v in errors.items())
                yield rec
    finally:
        if loop is not None:
            loop.close()


def write_atomic(path: str | Path, lines: Iterable[str]) -> int:
    """Write lines to `path` through a temporary file in the same folder; nothing is left on failure."""
    from ...outputs import atomic_file

    n = 0
    with atomic_file(path, "--out", newline="\n") as fh:
        for line in lines:
            fh.write(line)
            fh.write("\n")
            n += 1
    return n


def score_file(
    path: str | Path,
    scorer_names: Iterable[str],
    *,
    mapping: dict[str, str] | None = None,
    fmt: str | None = None,
    out: str | Path | None = None,
    ctx: Any = None,
    detail: bool = True,
) -> tuple[list[dict[str, Any]] | None, dict[str, Any]]:
    """Score every row of a file. With `out`, records go to that JSONL file (atomically) and None is
    returned in their place; otherwise the records are returned. Always returns the totals."""
    if out is not None:
        from ...outputs import check_file

        check_file(out, "--out")  # before reading or scoring anything
    names = resolve_scorers(scorer_names)
    rows = read_rows(path, mapping, fmt)  # validates the whole input before anything is written
    totals = Totals(scorers=names)

    def records() -> Iterator[dict[str, Any]]:
        for rec in score_rows(rows, names, ctx, detail=detail):
            totals.add(rec)
            yield rec

    if out is not None:
        write_atomic(out, (dumps(r) for r in records()))
        return None, {"input": str(path), "out": str(out), **totals.as_dict()}
    recs = list(records())
    return recs, {"input": str(path), **totals.as_dict()}
