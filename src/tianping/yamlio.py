"""YAML loading that remembers where every value came from.

PyYAML's composed node tree carries line numbers; we keep it beside the plain data so that a
validation error at a pydantic `loc` path can be reported with the line it came from. We also
reject duplicate mapping keys, which PyYAML would otherwise silently let the last one win.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem, TianpingError

try:  # the C loader is ~10x faster on the catalog; fall back when libyaml is absent
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


@dataclass
class LocatedDoc:
    """Parsed YAML data plus the node tree that knows line numbers."""

    path: str
    data: Any
    node: yaml.Node | None

    def line_of(self, loc: tuple | list) -> int | None:
        """1-based line of the value at `loc` (keys and list indexes), or of its nearest parent."""
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
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise TianpingError(Problem(f"YAML syntax error: {problem}", file=path, line=line), title="invalid YAML") from None
    if node is None:
        return LocatedDoc(path, None, None)
    _check_duplicate_keys(node, path)
    loader = _Loader("")
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


def load_yaml_file(path: str | Path) -> LocatedDoc:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TianpingError(Problem("file not found", file=str(p)), title="file not found") from None
    except UnicodeDecodeError as exc:
        raise TianpingError(Problem(f"not UTF-8 text ({exc.reason})", file=str(p)), title="invalid file") from None
    return load_yaml_text(text, str(p))


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
