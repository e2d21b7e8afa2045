"""Harm judges as plug-ins: guard models over an OpenAI-compatible endpoint, a rubric judge, ensembles.

`--judge` takes one or more comma-separated specs:

    llama-guard-3                      a judge kind with its default model name
    qwen3guard:Qwen/Qwen3Guard-Gen-4B  a judge kind and the model name the endpoint serves
    granite-guardian#risk_name=violence   options after '#', separated by ';'
    openai:qwen2.5-7b-instruct         any target spec → the rubric judge on that target (as before)

Guard kinds are called at `--judge-endpoint URL` (one URL for all, or one per guard spec, comma-
separated), else at TIANPING_OPENAI_BASE_URL. Several specs form a panel that votes (`--judge-vote
majority|unanimous`, `--judge-min-voters N`). Calibration against labelled data: `calibration.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ....errors import TianpingError
from . import formats  # noqa: F401  (registration)
from .base import BoundJudge, Judge, JudgeEndpoint, Panel, Verdict, combine, judges
from .formats import RulesJudge, parse_rubric

TARGET_SCHEMES = ("openai", "local", "python")

__all__ = [
    "BoundJudge",
    "Judge",
    "JudgeEndpoint",
    "JudgeSpec",
    "Panel",
    "RulesJudge",
    "Verdict",
    "build_panel",
    "combine",
    "judges",
    "parse_rubric",
    "parse_specs",
]


@dataclass
class JudgeSpec:
    kind: str  # a registered judge kind
    model: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    target: str | None = None  # a target spec for the rubric judge ("openai:X", "local", "python:m:f")

    def identity(self) -> str:
        return self.make().identity() if not self.target else f"rubric:{self.target}"

    def make(self) -> Judge:
        return judges.get(self.kind)(self.model, **self.options)


def parse_specs(spec: str | None) -> list[JudgeSpec]:
    """Parse `--judge`; unknown kinds raise a TianpingError naming the known ones."""
    if not spec:
        return []
    out = []
    for raw in [p.strip() for p in spec.split(",") if p.strip()]:
        head, _, opts = raw.partition("#")
        options = {}
        for kv in [o for o in opts.split(";") if o.strip()]:
            k, eq, v = kv.partition("=")
            if not eq:
                raise TianpingError(f"judge option '{kv}' in '{raw}' must be written key=value", title="bad option")
            options[k.strip()] = v.strip()
        kind, _, model = head.partition(":")
        if kind in judges.names():
            out.append(JudgeSpec(kind=kind, model=model or None, options=options))
        elif kind in TARGET_SCHEMES:
            out.append(JudgeSpec(kind="rubric", model=head, options=options, target=head))
        else:
            raise TianpingError(
                f"unknown judge '{kind}' (judge kinds: {', '.join(judges.names())}; or a target spec "
                f"{', '.join(s + ':…' for s in TARGET_SCHEMES)} for the rubric judge)",
                title="unknown judge",
            )
    return out


def build_panel(
    spec: str | None,
    *,
    endpoint: str | None = None,
    vote: str = "majority",
    min_voters: int | None = None,
    timeout: float = 60.0,
    max_retries: int = 2,
    rate_limit: float | None = None,
    reuse: dict[str, Any] | None = None,
) -> Panel | None:
    """The bound judges of `--judge` (None when no judge is configured).

    `reuse` maps target specs to already-built targets (the model under test judging itself)."""
    from ..adapters import resolve_target

    specs = parse_specs(spec)
    if not specs:
        return None
    urls = [u.strip() for u in (endpoint or "").split(",") if u.strip()]
    guards = [s for s in specs if not s.target]
    if len(urls) > 1 and len(urls) != len(guards):
        raise TianpingError(
            f"--judge-endpoint gives {len(urls)} URLs for {len(guards)} judge(s); give one URL, or one per judge",
            title="bad option",
        )
    members = []
    gi = 0
    for s in specs:
        kind = s.make()
        if s.target:
            target = (reuse or {}).get(s.target) or resolve_target(
                s.target, timeout=timeout, max_retries=max_retries, rate_limit=rate_limit
            )
        else:
            url = urls[gi] if len(urls) > 1 else (urls[0] if urls else None)
            gi += 1
            if not kind.model:
                raise TianpingError(f"judge '{s.kind}' needs a model name: write {s.kind}:MODEL", title="bad option")
            target = JudgeEndpoint(kind.model, base_url=url, timeout=timeout, max_retries=max_retries, rate_limit=rate_limit)
        members.append(BoundJudge(kind, target))
    return Panel(members, rule=vote, min_voters=min_voters)


def panel_identity(spec: str | None, vote: str = "majority", min_voters: int | None = None) -> str | None:
    """The identity a panel built from `spec` would have, without building it (no endpoint needed)."""
    specs = parse_specs(spec)
    if not specs:
        return None
    ids = [s.identity() for s in specs]
    if len(ids) == 1:
        return ids[0]
    mv = max(1, min_voters if min_voters is not None else len(ids) // 2 + 1)
    return f"panel[{vote},min={mv}](" + "+".join(sorted(ids)) + ")"
