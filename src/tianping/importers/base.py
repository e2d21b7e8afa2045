"""The importer registry, content sniffing and the shapes every importer returns."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import Problem, TianpingError

HEAD_BYTES = 64 * 1024
# per-sample records are kept inline in the evidence document up to this many; beyond it only the
# count is kept and `samples_ref` names the imported file (with its SHA-256) where they live
INLINE_SAMPLES = 5000
TEXT_CHARS = 300  # prompt / output excerpts kept per sample


# ----------------------------------------------------------------------------------- errors
def located(
    path: Path | str,
    message: str,
    *,
    line: int | None = None,
    member: str | None = None,
    field: str | None = None,
    title: str = "cannot import",
) -> TianpingError:
    """A user-input error naming the file (and zip member), line and field."""
    where = str(path) + (f"!{member}" if member else "")
    return TianpingError(Problem(message, file=where, line=line, field=field), title=title)


def json_error(
    path: Path | str,
    exc: json.JSONDecodeError | ValueError,
    *,
    member: str | None = None,
    line_offset: int = 0,
    line: int | None = None,
) -> TianpingError:
    if isinstance(exc, json.JSONDecodeError):
        ln = line if line is not None else exc.lineno + line_offset
        return located(
            path, f"not valid JSON ({exc.msg}, column {exc.colno}) — truncated or corrupt file?", line=ln, member=member
        )
    return located(path, f"not valid JSON ({exc}) — truncated or corrupt file?", line=line, member=member)


def load_json_text(path: Path | str, text: str | bytes, *, member: str | None = None) -> Any:
    try:
        return json.loads(text)
    except UnicodeDecodeError as exc:
        raise located(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})", member=member) from None
    except json.JSONDecodeError as exc:
        raise json_error(path, exc, member=member) from None


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line, read one line at a time."""
    with open(path, "rb") as fh:
        for ln, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except UnicodeDecodeError as exc:
                raise located(path, f"not UTF-8 text ({exc.reason})", line=ln) from None
            except json.JSONDecodeError as exc:
                raise json_error(path, exc, line=ln) from None
            if not isinstance(obj, dict):
                raise located(path, f"expected a JSON object per line, found {type(obj).__name__}", line=ln)
            yield ln, obj


def need(
    obj: Any,
    key: str,
    types: type | tuple[type, ...],
    path: Path | str,
    *,
    where: str = "",
    line: int | None = None,
    member: str | None = None,
    optional: bool = False,
) -> Any:
    """`obj[key]`, checked to be of `types`, else a located error naming the field."""
    fld = f"{where}.{key}" if where else key
    if not isinstance(obj, dict):
        raise located(path, f"expected an object at '{where or '<root>'}'", line=line, member=member, field=where or None)
    if key not in obj or obj[key] is None:
        if optional:
            return None
        raise located(path, "missing", line=line, member=member, field=fld)
    v = obj[key]
    if isinstance(v, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise located(path, f"expected {_tname(types)}, found a boolean", line=line, member=member, field=fld)
    if not isinstance(v, types):
        raise located(path, f"expected {_tname(types)}, found {type(v).__name__}", line=line, member=member, field=fld)
    return v


def _tname(types: type | tuple[type, ...]) -> str:
    ts = types if isinstance(types, tuple) else (types,)
    return " or ".join(
        {"str": "text", "dict": "an object", "list": "a list", "int": "an integer", "float": "a number"}.get(
            t.__name__, t.__name__
        )
        for t in ts
    )


def number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v)


def excerpt(v: Any, limit: int = TEXT_CHARS) -> str | None:
    if v is None:
        return None
    s = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)
    return s if len(s) <= limit else s[: limit - 1] + "…"


# ------------------------------------------------------------------------------------ shapes
@dataclass
class RawMetric:
    """One number as the tool reported it, before mapping."""

    key: str  # task, probe, plugin or algorithm the number belongs to
    metric: str  # the tool's metric name (scorer/metric, metric,filter, detector…)
    value: float | None
    n: int | None = None
    stderr: float | None = None
    ci: tuple[float, float] | None = None
    slice: dict[str, Any] = field(default_factory=dict)
    args: dict[str, Any] = field(default_factory=dict)  # task arguments the map may match on
    note: str | None = None


class SampleSink:
    """Counts every per-sample record; keeps them while there are at most `limit`."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = INLINE_SAMPLES if limit is None else limit
        self.count = 0
        self.errors = 0
        self._records: list[dict[str, Any]] | None = []

    def add(self, rec: dict[str, Any]) -> None:
        self.count += 1
        if rec.get("status") == "error":
            self.errors += 1
        if self._records is not None:
            if len(self._records) < self.limit:
                self._records.append(rec)
            else:
                self._records = None  # too many to keep inline

    @property
    def records(self) -> list[dict[str, Any]] | None:
        return self._records


@dataclass
class Parsed:
    format: str
    tool: str
    tool_version: str | None
    task: str | None
    model: str | None
    metrics: list[RawMetric]
    samples: SampleSink = field(default_factory=SampleSink)
    dataset_name: str | None = None
    dataset_rows: int | None = None
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    companions: list[Path] = field(default_factory=list)  # other files read (samples JSONL, hit log)


# ------------------------------------------------------------------------------------ sniffing
@dataclass
class Probe:
    """What a quick look at the file's first bytes says, for content-based format detection."""

    path: Path
    size: int
    kind: str  # zip | json | jsonl | empty | other
    head: str = ""
    members: tuple[str, ...] = ()
    zip_error: str | None = None
    top_keys: tuple[str, ...] = ()  # keys of the top-level object, or of the first element of a top-level array
    top_is_array: bool = False
    first_line: dict[str, Any] | None = None  # JSONL: the first line's object


def probe(path: Path) -> Probe:
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            raw = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise located(path, f"cannot read the file: {exc.strerror or exc}") from None
    if not raw.strip():
        return Probe(path, size, "empty")
    if raw[:4] == b"PK\x03\x04" or raw[:4] == b"PK\x05\x06":
        try:
            with zipfile.ZipFile(path) as zf:
                members = tuple(zf.namelist())
            return Probe(path, size, "zip", members=members)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            return Probe(path, size, "zip", zip_error=str(exc) or type(exc).__name__)
    head = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
    stripped = head.lstrip()
    if stripped[:1] not in ("{", "["):
        return Probe(path, size, "other", head=head)
    nl = stripped.find("\n")
    first_text = stripped[:nl] if nl > 0 else None
    rest_nonblank = bool(stripped[nl:].strip()) if nl > 0 else False
    if stripped[0] == "{" and nl < 0 and size > len(raw):
        first_text, rest_nonblank = _long_first_line(path)  # a JSONL line longer than the head
    if stripped[0] == "{" and first_text:
        try:
            first = json.loads(first_text)
        except ValueError:
            first = None
        if isinstance(first, dict) and rest_nonblank:
            return Probe(path, size, "jsonl", head=head, first_line=first, top_keys=tuple(first))
    keys, is_array = top_level_keys(stripped)
    return Probe(path, size, "json", head=head, top_keys=tuple(keys), top_is_array=is_array)


def _long_first_line(path: Path, limit: int = 16 * 1024 * 1024) -> tuple[str | None, bool]:
    """The first line of a file whose first line is longer than the head (garak's setup line, an
    lm-eval sample with a long document), and whether anything but blanks follows it."""
    with open(path, "rb") as fh:
        line = fh.readline(limit)
        if not line.endswith(b"\n"):
            return None, False
        rest = fh.read(4096)
        while rest and not rest.strip():
            rest = fh.read(4096)
    return line.decode("utf-8", errors="replace").lstrip("\ufeff"), bool(rest.strip())


def top_level_keys(text: str) -> tuple[list[str], bool]:
    """Keys at depth 1 of a JSON object (or of the first element of a top-level array), read from a
    possibly truncated head without parsing the rest."""
    is_array = text[:1] == "["
    want = 2 if is_array else 1
    keys: list[str] = []
    depth = 0
    i, n = 0, len(text)
    last_string: str | None = None
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            buf = []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n:
                    buf.append(text[j : j + 2])
                    j += 2
                    continue
                buf.append(text[j])
                j += 1
            if j >= n:
                break
            last_string = "".join(buf)
            i = j + 1
            continue
        if c in "{[":
            depth += 1
            if is_array and depth == 2 and c != "{":
                break  # an array of non-objects
        elif c in "}]":
            depth -= 1
            if is_array and depth == 1:
                break  # the first element is done
        elif c == ":" and depth == want and last_string is not None:
            try:
                keys.append(json.loads(f'"{last_string}"'))
            except ValueError:
                keys.append(last_string)
        if not c.isspace() and c != '"':
            last_string = None if c != ":" else last_string
        i += 1
    return keys, is_array


# ------------------------------------------------------------------------------------ registry
@dataclass(frozen=True)
class Importer:
    name: str  # the --format value
    tool: str  # the tool's own name, recorded as Producer.tool
    sniff: Callable[[Probe], int]  # 0 = not this format; higher = more certain
    parse: Callable[[Path, Probe], Parsed]
    description: str = ""


_IMPORTERS: dict[str, Importer] = {}


def importer(name: str, *, tool: str, sniff: Callable[[Probe], int], description: str = "") -> Callable:
    """Register a parser for one tool's result format."""

    def deco(fn: Callable[[Path, Probe], Parsed]) -> Callable[[Path, Probe], Parsed]:
        _IMPORTERS[name] = Importer(name, tool, sniff, fn, description or (fn.__doc__ or "").strip().splitlines()[0])
        return fn

    return deco


@lru_cache(maxsize=1)
def _plugins() -> tuple[Importer, ...]:
    from importlib.metadata import entry_points

    out = []
    for ep in entry_points(group="tianping.importers"):
        obj = ep.load()
        out.append(
            Importer(
                getattr(obj, "name", ep.name),
                getattr(obj, "tool", ep.name),
                obj.sniff,
                obj.parse,
                getattr(obj, "description", ""),
            )
        )
    return tuple(out)


def importers() -> dict[str, Importer]:
    from . import aiverify, garak, inspect_log, lm_eval, promptfoo, pyrit  # noqa: F401  (register built-ins)

    out = dict(_IMPORTERS)
    for imp in _plugins():
        out.setdefault(imp.name, imp)
    return out


def get_importer(name: str) -> Importer:
    all_ = importers()
    if name not in all_:
        raise TianpingError(
            Problem(f"unknown format '{name}'; known: auto, {', '.join(sorted(all_))}", field="--format"), title="unknown format"
        )
    return all_[name]


def detect(p: Probe) -> Importer:
    """The importer whose sniffer is most certain about this content."""
    if p.kind == "empty":
        raise located(p.path, "the file is empty", title="unknown format")
    scored = sorted(((imp.sniff(p), imp.name, imp) for imp in importers().values()), key=lambda x: (-x[0], x[1]))
    if not scored or scored[0][0] <= 0:
        what = {
            "zip": "a zip archive that is not an Inspect log",
            "jsonl": "JSON Lines",
            "json": "JSON",
            "other": "neither JSON nor a zip archive",
        }.get(p.kind, p.kind)
        keys = f" (top-level keys: {', '.join(p.top_keys[:8])})" if p.top_keys else ""
        raise located(
            p.path,
            f"not a result format Tianping knows: {what}{keys}; give --format to say which tool wrote it",
            title="unknown format",
        )
    return scored[0][2]
