"""YAML loading that remembers where every value came from.

PyYAML's composed node tree carries line numbers; we keep it beside the plain data so that a
validation error at a pydantic `loc` path can be reported with the line it came from. We also
reject duplicate mapping keys, which PyYAML would otherwise silently let the last one win.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import Problem, TianpingError

if TYPE_CHECKING:  # PyYAML is imported when a file is parsed: data read from the parse cache does not need it
    import yaml


def _loader() -> type[Any]:
    """The C loader (~10x faster on the catalog), or the Python one when libyaml is absent."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class LocatedDoc:
    """Parsed YAML data plus the node tree that knows line numbers."""

    path: str
    data: Any
    node: yaml.Node | None
    text: str | None = None  # a document read from the parse cache: its node tree is composed when a line is asked for
    raw: bytes | None = None  # or, from a record, the file's bytes (decoded only then)

    def line_of(self, loc: tuple | list) -> int | None:
        """1-based line of the value at `loc` (keys and list indexes), or of its nearest parent."""
        import yaml

        if self.text is None and self.raw is not None:
            self.text = _text_of(self.raw)
        if self.node is None and self.text is not None:
            self.node = yaml.compose(self.text, Loader=_loader())
        node = self.node
        best = node.start_mark.line + 1 if node is not None else None
        for part in loc:
            if node is None:
                break
            nxt = None
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if isinstance(k, yaml.ScalarNode) and k.value == str(part):
                        nxt = v
                        best = k.start_mark.line + 1
                        break
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if 0 <= part < len(node.value):
                    nxt = node.value[part]
                    best = nxt.start_mark.line + 1
            if nxt is None:
                break
            node = nxt
        return best


def _check_duplicate_keys(node: yaml.Node, path: str) -> None:
    import yaml

    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, yaml.MappingNode):
            seen: dict[str, int] = {}
            for k, v in n.value:
                if isinstance(k, yaml.ScalarNode):
                    if k.value in seen:
                        raise TianpingError(
                            Problem(
                                f"duplicate key '{k.value}' (first at line {seen[k.value]})",
                                file=path,
                                line=k.start_mark.line + 1,
                                field=k.value,
                            ),
                            title="invalid YAML",
                        )
                    seen[k.value] = k.start_mark.line + 1
                stack.append(v)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)


def load_yaml_text(text: str, path: str) -> LocatedDoc:
    import yaml

    try:
        node = yaml.compose(text, Loader=_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise TianpingError(Problem(f"YAML syntax error: {problem}", file=path, line=line), title="invalid YAML") from None
    if node is None:
        return LocatedDoc(path, None, None)
    _check_duplicate_keys(node, path)
    loader = _loader()("")
    try:
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:  # e.g. a bad timestamp or an unknown tag
        mark = getattr(exc, "problem_mark", None)
        raise TianpingError(
            Problem(f"YAML error: {getattr(exc, 'problem', exc)}", file=path, line=mark.line + 1 if mark else None),
            title="invalid YAML",
        ) from None
    finally:
        loader.dispose()
    return LocatedDoc(path, data, node)


def _text_of(raw: bytes) -> str:
    """A file's bytes as `Path.read_text(encoding="utf-8")` gives them (universal newlines)."""
    text = raw.decode("utf-8")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def load_yaml_file(path: str | Path, raw: bytes | None = None) -> LocatedDoc:
    """Parse a YAML file (or `raw`, its bytes already read: see `read_files`)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8") if raw is None else _text_of(raw)
    except FileNotFoundError:
        raise TianpingError(Problem("file not found", file=str(p)), title="file not found") from None
    except UnicodeDecodeError as exc:
        raise TianpingError(Problem(f"not UTF-8 text ({exc.reason})", file=str(p)), title="invalid file") from None
    cache = _cache_path(p, text)
    if cache is not None:
        data = _cache_read(cache)
        if data is not _MISS:
            return LocatedDoc(str(p), data, None, text)
    doc = load_yaml_text(text, str(p))
    if cache is not None:
        _cache_write(cache, doc.data)
    return doc


# --- parse cache for the bundled data files ---------------------------------------------------------
# Parsing the bundled catalog and rule packs (~1.6 MB of YAML) was most of what `classify` spent
# (~0.3 s of CPU per process). A file inside the package is parsed once; its data is kept as JSON
# (never pickle: reading the cache can only yield data, never run code) named by the SHA-256 of its
# text (and the PyYAML version and the cache format) under the data home's cache/yaml folder,
# so an edited file is simply parsed again. Only files of the installed package are cached (the cache
# never holds a user's own files), only a cache file owned by this user and writable by no one else is
# read, and any problem with the cache falls back to parsing. TIANPING_YAML_CACHE=0 turns it off.
# Format 2: {"dates": [[kind, path], ...], "data": ...}: dates are stored as ISO text and listed by
# their path, so the data is read by a plain decoder (orjson when installed) with no per-object hook,
# and PyYAML is not even imported when every file comes from the cache.
_MISS = object()
_PACKAGE = Path(__file__).resolve().parent
_CACHE_FORMAT = "2"


@lru_cache(maxsize=1)
def _yaml_version() -> str:
    """PyYAML's version, read once from its package file without importing it (~10 ms saved per process)."""
    import importlib.util
    import re

    spec = importlib.util.find_spec("yaml")
    if spec is None or spec.origin is None:
        raise ImportError("PyYAML is not installed")
    with open(spec.origin, encoding="utf-8") as fh:
        m = re.search(r"""^__version__\s*=\s*['"]([^'"]+)['"]""", fh.read(), re.M)
    if m is None:
        raise ValueError(f"no __version__ in {spec.origin}")
    return m.group(1)


def _in_package(p: Path) -> bool:
    try:
        return p.resolve().is_relative_to(_PACKAGE)
    except OSError:
        return False


def _cache_path(p: Path, text: str) -> Path | None:
    import os

    if os.environ.get("TIANPING_YAML_CACHE", "1") == "0":
        return None
    try:
        if not _in_package(p):
            return None
        import hashlib

        from .config import data_home

        digest = hashlib.sha256(f"{_CACHE_FORMAT}\0{_yaml_version()}\0{text}".encode()).hexdigest()
        return data_home() / "cache" / "yaml" / f"{digest}.json"
    except Exception:
        return None


def _strip_dates(value: Any, path: list[Any], dates: list[list[Any]]) -> Any:
    """The data with dates and times as ISO text; `dates` receives [kind, path] for each (YAML timestamps are
    the only non-JSON values the data files hold; anything else fails the round-trip check and is not cached)."""
    import datetime as dt

    if isinstance(value, dict):
        return {k: _strip_dates(v, [*path, k], dates) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_dates(v, [*path, i], dates) for i, v in enumerate(value)]
    if isinstance(value, dt.datetime):
        dates.append(["datetime", path])
        return value.isoformat()
    if isinstance(value, dt.date):
        dates.append(["date", path])
        return value.isoformat()
    return value


def _decode(raw: bytes) -> Any:
    """Cache text -> data: the JSON document, then each listed date put back in place."""
    import datetime as dt

    try:
        import orjson

        doc = orjson.loads(raw)
    except ImportError:  # orjson comes with the genai and server extras; the standard decoder reads the same JSON
        import json

        doc = json.loads(raw)
    data = doc["data"]
    for kind, path in doc["dates"]:
        parse = dt.datetime.fromisoformat if kind == "datetime" else dt.date.fromisoformat
        if not path:
            data = parse(data)
            continue
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = parse(parent[path[-1]])
    return data


def _cache_read(cache: Path) -> Any:
    import os

    try:
        with cache.open("rb") as fh:
            st = os.fstat(fh.fileno())
            if st.st_uid != os.getuid() or st.st_mode & 0o022:
                return _MISS
            return _decode(fh.read())
    except Exception:
        return _MISS


def _cache_write(cache: Path, data: Any) -> None:
    import json
    import os

    tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
    try:
        dates: list[list[Any]] = []
        plain = _strip_dates(data, [], dates)
        text = json.dumps({"dates": dates, "data": plain}, ensure_ascii=False, separators=(",", ":"))
        if _decode(text.encode()) != data:
            # e.g. non-string mapping keys, which JSON would turn into strings: such a file is not cached
            return
        cache.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, cache)
    except Exception:  # data JSON cannot hold, a read-only or full data home: no cache, same results
        try:
            tmp.unlink()
        except OSError:
            pass


# --- records of data sets already checked -----------------------------------------------------------
# Loading the catalog and the rule packs checks far more than it keeps: cross-references, every rule
# expression compiled, each pack's jurisdiction gate worked out by evaluating its applies_if ~250 times.
# A set of input files that passed all of it once passes it again, so a small record (JSON, beside the
# parse cache, with the same trust checks) is written under a digest of the exact texts of every input
# file (bundled, plug-in and TIANPING_PATH files alike: only their digest is kept, never their content)
# and of the code that checks them. A loader finding its record skips or defers the work the record
# stands for; any edit of a file or of that code changes the digest, and the full checks run again.


def read_files(paths: list[Path]) -> list[tuple[Path, bytes | None]]:
    """Each file with its bytes, or None when it cannot be read (its loader then reports why)."""
    out: list[tuple[Path, bytes | None]] = []
    for p in paths:
        try:
            out.append((p, p.read_bytes()))
        except OSError:
            out.append((p, None))
    return out


_SOURCES: dict[str, bytes] = {}


def _module_source(name: str) -> bytes | None:
    """The source of an imported module, read once per process (every record key of a command names the same
    checking modules: the catalog's, the packs', the seven message catalogs'); None if it cannot be read."""
    import sys

    if name not in _SOURCES:
        file = getattr(sys.modules.get(name), "__file__", None)
        if file is None:
            return None
        try:
            _SOURCES[name] = Path(file).read_bytes()
        except OSError:
            return None
    return _SOURCES[name]


def record_key(kind: str, files: list[tuple[Path, bytes | None]], code: tuple[str, ...], salt: str = "") -> str | None:
    """The digest naming the record of `kind` for these files' bytes, checked by the modules `code` (their
    source is part of the digest); None when records are off or a file could not be read."""
    import os

    if os.environ.get("TIANPING_YAML_CACHE", "1") == "0" or any(b is None for _, b in files):
        return None
    import hashlib

    from . import __version__

    h = hashlib.sha256(f"{_CACHE_FORMAT}\0{kind}\0{__version__}\0{salt}\0".encode())
    for name in code:
        src = _module_source(name)
        if src is None:
            return None
        h.update(f"{name}\0{len(src)}\0".encode())
        h.update(src)
    for p, raw in files:
        assert raw is not None
        h.update(f"{p}\0{len(raw)}\0".encode())
        h.update(raw)
    return f"{kind}-{h.hexdigest()}"


def _record_path(key: str) -> Path | None:
    try:
        from .config import data_home

        return data_home() / "cache" / "yaml" / f"checked-{key}.json"
    except Exception:  # no usable data home: no records, the full checks run
        return None


def read_record(key: str | None) -> Any:
    """The record stored under `key`, or None (none, or not trusted: see `_cache_read`)."""
    path = _record_path(key) if key else None
    if path is None:
        return None
    data = _cache_read(path)
    return None if data is _MISS else data


_RECORDS_KEPT = 4  # per kind: a few installs or data sets sharing a data home keep theirs, edits do not pile up


def write_record(key: str | None, data: Any) -> None:
    """Store a record (JSON data); silently nothing when the cache folder is not writable. Older records of
    the same kind beyond the newest few are removed (a record is ~1 MB; each edit of the data makes one)."""
    path = _record_path(key) if key else None
    if path is None:
        return
    _cache_write(path, data)
    try:
        kind = path.name.rsplit("-", 1)[0]  # checked-<kind>
        older = sorted(path.parent.glob(f"{kind}-*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in older[_RECORDS_KEPT:]:
            if old != path:
                old.unlink()
    except OSError:  # removed meanwhile by another process, or not ours to remove: only a cache
        pass


class RecordedDocs:
    """The parsed data of the package's own files as a record keeps it (the same data the parse cache holds,
    in one file instead of one per data file), and the data of this load to keep in the next record."""

    def __init__(self, record: Any = None):
        stored = record.get("data") if isinstance(record, dict) else None
        self.stored: dict[str, Any] = stored if isinstance(stored, dict) else {}
        self.kept: dict[str, Any] = {}

    def load(self, path: Path, raw: bytes | None) -> LocatedDoc:
        """`load_yaml_file(path, raw)`, from the record when it holds the file (`raw` is what its digest covers)."""
        key = str(path)
        if key in self.stored and raw is not None:
            return LocatedDoc(key, self.stored.pop(key), None, None, raw)
        doc = load_yaml_file(path, raw)
        if _in_package(Path(path)):  # never a user's own file
            self.kept[key] = doc.data
        return doc


def validation_problems(exc, doc: LocatedDoc, *, prefix: tuple = ()) -> list[Problem]:
    """Turn a pydantic ValidationError into located problems."""
    problems = []
    for err in exc.errors():
        loc = prefix + tuple(err["loc"])
        field = ".".join(str(p) for p in loc) or None
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        problems.append(Problem(msg, file=doc.path, line=doc.line_of(loc), field=field))
    return problems
