"""`--fail-on gate|fail|never`: when a command exits 1 so a CI pipeline can block a release.

- `gate`: a gating judgement failed — an obligation is not met (assess), a TC260-003 gate failed
  or the run produced no usable evidence (eval run), a judged metric failed (test tabular).
- `fail`: stricter — also anything not cleanly passed: partial / insufficient-data verdicts, warn,
  error or insufficient-data rows and gates, and errored samples.
- `never`: exit 0 whenever the command itself succeeded.
Bad input is always exit 2, whatever the policy.
"""

from __future__ import annotations

import difflib
from typing import Any

from ..errors import Problem, TianpingError

POLICIES = ("gate", "fail", "never")


def exit_policy(value: str) -> str:
    v = (value or "").strip().lower()
    if v not in POLICIES:
        near = difflib.get_close_matches(v, POLICIES, n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        raise TianpingError(Problem(f"must be one of {', '.join(POLICIES)}{hint}", field="--fail-on"), title="bad option")
    return v


def assessment_exit_code(result: dict[str, Any], policy: str) -> int:
    if policy == "never":
        return 0
    bad = {"not_met"} if policy == "gate" else {"not_met", "partial", "insufficient_data"}
    return int(any(o["verdict"] in bad for o in result["obligations"]))


def eval_exit_code(result: dict[str, Any], policy: str) -> int:
    """For a generative run's results document (docs/genai-tests.md)."""
    if policy == "never":
        return 0
    samples = (result.get("metrics") or {}).get("samples") or {}
    no_evidence = bool(samples.get("total")) and not samples.get("scored")
    statuses = [g.get("status") for g in result.get("gates") or []]
    if no_evidence or "fail" in statuses:
        return 1
    if policy == "fail":
        strict = {"warn", "error", "insufficient", "insufficient_data"}
        return int(any(s in strict for s in statuses) or bool(samples.get("errors")))
    return 0
