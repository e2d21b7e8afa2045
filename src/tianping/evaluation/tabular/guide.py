"""Which fairness metric matters most here? A small decision table kept as data (fairness_guide.yaml).

No single fairness metric fits every use: demographic parity and equalized odds cannot both hold
when base rates differ. The guide turns the use context (who bears the cost of which error) into
one primary metric with a reason a person can read, in English and Chinese.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from ...errors import Problem, TianpingError
from ...i18n import check_language_texts, model_texts
from ...yamlio import load_yaml_file

GUIDE_FILE = Path(__file__).with_name("fairness_guide.yaml")


class Context(BaseModel):
    """A context's advice in English and Chinese; any other language may be added under its code (`th: …`)."""

    model_config = ConfigDict(extra="allow")
    metric: str
    also: list[str] = []
    en: str
    zh: str

    @model_validator(mode="after")
    def _other_languages(self) -> Context:
        check_language_texts(self.model_extra)
        return self


class Guide(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int
    citations: list[str]
    contexts: dict[str, Context]
    defaults: dict[str, str]


@lru_cache(maxsize=1)
def load_guide() -> Guide:
    return Guide.model_validate(load_yaml_file(GUIDE_FILE).data)


def recommend(context: str | None, task: str, metrics: list[Any]) -> dict[str, Any]:
    """The primary metric for `context` and its worst value over the groupings just measured."""
    guide = load_guide()
    kind = "regression" if task == "regression" else "classification"
    chosen = context or guide.defaults[kind]
    if chosen not in guide.contexts:
        raise TianpingError(
            Problem(f"unknown context '{chosen}'; choose one of: {', '.join(guide.contexts)}", field="--context"),
            title="bad option",
        )
    ctx = guide.contexts[chosen]
    if (kind == "regression") != chosen.startswith("regression"):
        raise TianpingError(
            Problem(f"context '{chosen}' does not apply to a {task} model", field="--context"), title="bad option"
        )
    found = [m for m in metrics if m.name == ctx.metric and m.group is None and m.value is not None]
    judged = [m for m in found if m.status in ("pass", "warn", "fail", "error")]
    found = judged or found  # a value resting on too few rows is the headline only when nothing else is there
    worst = None
    if found:
        lower_is_better = not ctx.metric.endswith("ratio")
        worst = max(found, key=lambda m: m.value if lower_is_better else -m.value)
    return {
        "context": chosen,
        "given": context is not None,
        "metric": ctx.metric,
        "also": ctx.also,
        "reason": model_texts(ctx),  # every language the guide gives
        "citations": guide.citations,
        "worst": None
        if worst is None
        else {
            "value": worst.value,
            "sensitive_feature": worst.sensitive_feature,
            "label": worst.label,
            "status": worst.status,
            "min_group_n": worst.min_group_n,
        },
    }
