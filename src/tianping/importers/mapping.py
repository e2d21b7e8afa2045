"""The import map, as data: which imported task / probe / plugin metric evidences which Tianping
test and catalog provisions, and — only where the number is the same quantity as one of
Tianping's own — which threshold judges it.

Shape (map.yaml, and a user's `--map FILE`):

    version: 1
    entries:
      - id: inspect-xstest-safe            # unique; a user entry with a shipped id replaces it
        format: inspect                    # one format or a list (default: any)
        task: "*xstest*"                   # glob (or list of globs) on the task / probe / plugin / algorithm (case-insensitive)
        metric: "*refusal_rate"            # glob on the tool's metric name (default "*")
        args: {subset: safe}               # optional: task arguments that must be equal
        test: genai.should_not_refuse      # an evidence-map test id (assessment/evidence_map.yaml)
        metric_id: should_not_refuse.refusal_rate   # optional: Tianping's id of the same quantity
        scale: 0.01                        # optional: multiply value and interval (percent → share)
        threshold: gates:tc260-over-refusal  # optional: gates:<gate id> | tabular:<metric> | {op, value, min_n, warn, provision}
        citations: ["cn-tc260-003:9.4"]    # catalog provisions (default: the test's own)
        risk: A.2                          # optional slice risk

User entries are tried before the shipped ones (first match wins). Every test id, provision and
threshold reference is checked when the map is loaded; a bad entry is a located error.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problem, ProblemList, TianpingError
from ..evidence.model import Threshold

MAP_FILE = Path(__file__).with_name("map.yaml")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: the map is read on every import


def _yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506  (a safe loader)


UNMAPPED = "imported.unmapped"
_KEYS = {"id", "format", "task", "metric", "args", "test", "metric_id", "scale", "threshold", "citations", "risk", "note"}


@dataclass
class MapEntry:
    id: str
    formats: tuple[str, ...] | None
    task: tuple[str, ...]
    metric: str
    test: str
    args: dict[str, Any] = field(default_factory=dict)
    metric_id: str | None = None
    scale: float | None = None
    threshold_ref: Any = None  # gates:<id> | tabular:<metric> | {op, value…}; resolved on first use
    citations: list[str] = field(default_factory=list)
    risk: str | None = None
    note: str | None = None
    source: str = "map.yaml"

    @property
    def threshold(self) -> Threshold | None:
        if self.threshold_ref is None:
            return None
        if isinstance(self.threshold_ref, dict):
            return resolve_threshold(self.threshold_ref)
        return _resolve_cached(str(self.threshold_ref))

    def matches(self, fmt: str, key: str, metric: str, args: dict[str, Any]) -> bool:
        if self.formats and fmt not in self.formats:
            return False
        if not any(fnmatch.fnmatchcase(key.lower(), t.lower()) for t in self.task):
            return False
        bare = metric.rsplit("/", 1)[-1]
        if not (
            fnmatch.fnmatchcase(metric.lower(), self.metric.lower()) or fnmatch.fnmatchcase(bare.lower(), self.metric.lower())
        ):
            return False
        return all(str(args.get(k)) == str(v) for k, v in self.args.items())


@dataclass
class ImportMap:
    entries: list[MapEntry]
    sources: list[str]

    def lookup(self, fmt: str, key: str, metric: str, args: dict[str, Any]) -> MapEntry | None:
        for e in self.entries:
            if e.matches(fmt, key, metric, args):
                return e
        return None


# ---------------------------------------------------------------------------------- thresholds
# the engines' own files, read by path (importing the engines would pull in pandas, torch…)
_PKG = Path(__file__).resolve().parents[1]
GATES_FILE = _PKG / "evaluation" / "genai" / "banks" / "gates.yaml"
TABULAR_FILE = _PKG / "evaluation" / "tabular" / "metrics.yaml"
EVIDENCE_MAP_FILE = _PKG / "assessment" / "evidence_map.yaml"


@lru_cache(maxsize=1)
def evidence_tests() -> dict[str, dict[str, Any]]:
    """The assessment's evidence map (test id -> spec), read by path."""
    return _yaml(EVIDENCE_MAP_FILE.read_text(encoding="utf-8"))["tests"]


@lru_cache(maxsize=1)
def _gates() -> dict[str, dict[str, Any]]:
    return {g["id"]: g for g in _yaml(GATES_FILE.read_text(encoding="utf-8"))["gates"]}


@lru_cache(maxsize=1)
def _tabular() -> dict[str, Any]:
    return _yaml(TABULAR_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=256)
def _resolve_cached(ref: str) -> Threshold:
    return resolve_threshold(ref)


def resolve_threshold(ref: Any) -> Threshold:
    """A threshold from the engines' own files (so imported and Tianping's numbers meet the same bar)."""
    if isinstance(ref, dict):
        return Threshold(**{"source": "import map", **ref})
    if not isinstance(ref, str) or ":" not in ref:
        raise ValueError("threshold must be 'gates:<gate id>', 'tabular:<metric>' or {op, value, …}")
    kind, _, name = ref.partition(":")
    if kind == "gates":
        g = _gates().get(name)
        if g is None:
            raise ValueError(f"no gate '{name}' in gates.yaml")
        return Threshold(
            op=g["op"],
            value=float(g["threshold"]),
            min_n=g.get("min_samples") or None,
            source=f"gates.yaml ({name})",
            provision=g.get("cites"),
        )
    if kind == "tabular":
        spec = _tabular()
        m = (spec.get("metrics") or {}).get(name)
        if m is None or not m.get("thresholds"):
            raise ValueError(f"metrics.yaml has no thresholds for '{name}'")
        t = m["thresholds"]
        cites = [p for c in m.get("cites") or [] for p in (spec["citation_sets"].get(c) or {}).get("provisions", [])]
        return Threshold(
            op="<=" if t["direction"] == "max" else ">=",
            value=float(t["fail"]),
            warn=float(t["warn"]),
            min_n=m.get("min_n", spec.get("default_min_n")) or None,
            source=f"metrics.yaml ({name})",
            provision=cites[0] if cites else None,
        )
    raise ValueError(f"unknown threshold source '{kind}' (gates or tabular)")


# ---------------------------------------------------------------------------------- loading
def _line_of(text: str, entry_id: str | None) -> int | None:
    if not entry_id:
        return None
    for i, line in enumerate(text.splitlines(), 1):
        if line.strip().lstrip("- ").startswith("id:") and line.split("id:", 1)[1].strip().strip("'\"") == entry_id:
            return i
    return None


def _entries_of(path: Path | str, text: str, *, source: str, check_provisions: bool = True) -> list[MapEntry]:
    """Entries of one map file, every one checked — provision ids against the catalog and threshold
    references against the engines' files when `check_provisions` (always for a user's map)."""
    from ..importers.base import importers

    evidence_map = evidence_tests

    fname = str(path)
    try:
        doc = _yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise TianpingError(
            Problem(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=fname, line=mark.line + 1 if mark else None),
            title="invalid import map",
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("entries"), list):
        raise TianpingError(
            Problem("an import map is a mapping with a list 'entries'", file=fname, field="entries"), title="invalid import map"
        )
    tests = set(evidence_map())
    if check_provisions:
        from ..catalog.loader import default_catalog

        provisions: Any = default_catalog().provisions
    else:
        provisions = _Anything()
    formats = set(importers())
    problems = ProblemList()
    out: list[MapEntry] = []
    seen: set[str] = set()
    for i, e in enumerate(doc["entries"]):
        fld = f"entries[{i}]"
        if not isinstance(e, dict):
            problems.add("expected a mapping", file=fname, field=fld)
            continue
        eid = e.get("id")

        def bad(msg: str, key: str, eid: Any = eid, fld: str = fld) -> None:
            line = _line_of(text, eid if isinstance(eid, str) else None)
            problems.add(msg, file=fname, line=line, field=f"{fld}.{key}" + (f" ({eid})" if eid else ""))

        for k in sorted(set(e) - _KEYS):
            bad(f"unknown key (known: {', '.join(sorted(_KEYS))})", k)
        if not isinstance(eid, str) or not eid:
            bad("every entry needs an id", "id")
            continue
        if eid in seen:
            bad("duplicate id", "id")
        seen.add(eid)
        fmts = e.get("format")
        fmts = (fmts,) if isinstance(fmts, str) else tuple(fmts) if isinstance(fmts, list) else None
        for f in fmts or ():
            if f not in formats:
                bad(f"unknown format '{f}' (known: {', '.join(sorted(formats))})", "format")
        task = e.get("task")
        task = [task] if isinstance(task, str) else task
        if not isinstance(task, list) or not task or not all(isinstance(t, str) and t for t in task):
            bad("a task / probe / plugin glob (or a list of them) is required", "task")
            continue
        test = e.get("test")
        if test not in tests:
            bad(f"unknown test '{test}' (evidence-map tests: {', '.join(sorted(tests))})", "test")
            continue
        cites = e.get("citations")
        if cites is None:
            cites = list(evidence_map()[test]["evidences"])
        if not isinstance(cites, list):
            bad("expected a list of provision ids", "citations")
            cites = []
        for c in cites:
            if c not in provisions:
                bad(f"unknown catalog provision '{c}'", "citations")
        ref = e.get("threshold")
        if ref is not None and check_provisions:
            thr = None
            try:
                thr = resolve_threshold(ref)
            except (ValueError, TypeError, KeyError) as exc:
                bad(str(exc).splitlines()[0], "threshold")
            if thr is not None and thr.provision and thr.provision not in provisions:
                bad(f"threshold provision '{thr.provision}' is not in the catalog", "threshold")
        elif ref is not None and not (
            isinstance(ref, dict) or (isinstance(ref, str) and ref.split(":", 1)[0] in ("gates", "tabular"))
        ):
            bad("threshold must be 'gates:<gate id>', 'tabular:<metric>' or {op, value, …}", "threshold")
        scale = e.get("scale")
        if scale is not None and (isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0):
            bad("expected a positive number", "scale")
            scale = None
        args = e.get("args") or {}
        if not isinstance(args, dict):
            bad("expected a mapping of task arguments", "args")
            args = {}
        out.append(
            MapEntry(
                id=eid,
                formats=fmts,
                task=tuple(task),
                metric=str(e.get("metric") or "*"),
                test=test,
                args=args,
                metric_id=e.get("metric_id"),
                scale=float(scale) if scale else None,
                threshold_ref=ref,
                citations=[str(c) for c in cites],
                risk=e.get("risk"),
                note=e.get("note"),
                source=source,
            )
        )
    problems.raise_if_any("invalid import map")
    return out


class _Anything:
    def __contains__(self, item: object) -> bool:
        return True


@lru_cache(maxsize=2)
def shipped_entries(check_provisions: bool = False) -> tuple[MapEntry, ...]:
    """The shipped map. Its provision ids are checked against the catalog by the tests
    (tests/importers/test_map.py), not on every import: loading the catalog costs more than an import."""
    return tuple(
        _entries_of(MAP_FILE, MAP_FILE.read_text(encoding="utf-8"), source="map.yaml", check_provisions=check_provisions)
    )


def load_map(user: str | Path | None = None) -> ImportMap:
    """The shipped map, extended (and, for equal ids, overridden) by a user's map file."""
    shipped = list(shipped_entries())
    if user is None:
        return ImportMap(shipped, [str(MAP_FILE.name)])
    p = Path(user)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TianpingError(
            Problem(f"cannot read the map file: {getattr(exc, 'strerror', None) or exc}", file=str(p), field="--map"),
            title="invalid import map",
        ) from None
    mine = _entries_of(p, text, source=p.name)
    ids = {e.id for e in mine}
    return ImportMap(mine + [e for e in shipped if e.id not in ids], [p.name, MAP_FILE.name])
