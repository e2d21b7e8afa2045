"""Shared helpers of the rule-pack tests: a minimal system profile and its result under one pack."""

from __future__ import annotations

from tianping.registry.profile import AISystem
from tianping.rules.engine import classify


def system(jurisdictions, roles=None, **kw) -> AISystem:
    base = dict(id="sys-1", name="S", organisation={"name": "Org"}, jurisdictions=jurisdictions, roles=roles or {})
    base.update(kw)
    return AISystem.model_validate(base)


def under(pack_id, s, as_of=None):
    """The one result of `pack_id` for system `s` (fails if the pack gives none or several)."""
    (r,) = [r for r in classify(s, as_of=as_of) if r.pack == pack_id]
    return r


def ids(obls) -> list[str]:
    return [o.id for o in obls]
