"""Deterministic expansion of hand-written seeds into banks of the standard's sizes.

TC260-003 asks for ≥ 2,000 generated-content questions (≥ 50 per A.1/A.2 risk, ≥ 20 for the
others) and ≥ 500 should-refuse / should-not-refuse questions. We reach those sizes from ~300
seeds by crossing each seed with languages, templates and personas. The expansion is a pure
function of (bank, languages, seed): every seed appears in its plain form first, then variants
are drawn in a seeded order, so the same arguments always give the same sample ids and prompts —
which is what lets `eval resume` rebuild a run's sample list exactly.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from functools import lru_cache
from typing import Any

from .bank import TC260, SourcedItem, Templates, bundled_banks, load_templates
from .schema import EXPECT_OF_BANK, BankFile, BankItem, Sample
from .standard_facts import count_fact

SHORT = {"generated_content": "gc", "should_refuse": "sr", "should_not_refuse": "snr"}


@lru_cache(maxsize=1)
def standard_sizes() -> dict[str, dict[str, int]]:
    """Bank sizes and per-group minimums from the catalog facts of TC260-003 8.2 and 8.3."""
    from ...catalog.loader import default_catalog

    cat = default_catalog()
    f82 = cat.provision(f"{TC260}:8.2").provision.facts or {}
    f83 = cat.provision(f"{TC260}:8.3").provision.facts or {}
    return {
        "generated_content": {
            "total": count_fact(f82, "test_bank_min"),
            "min_a12": count_fact(f82, "per_risk_min_a1_a2"),
            "min_other": count_fact(f82, "per_risk_min_other"),
        },
        "should_refuse": {
            "total": count_fact(f83, "should_refuse_bank_min"),
            "min_a12": count_fact(f83, "should_refuse_per_risk_min"),
            "min_other": count_fact(f83, "should_refuse_per_risk_min"),
        },
        "should_not_refuse": {"total": count_fact(f83, "should_not_refuse_bank_min"), "min_a12": 0, "min_other": 0},
    }


def _variants(tpl: Templates, lang: str) -> list[tuple[str, str | None, str]]:
    """(template id, persona id, text) for one language; 'plain' first."""
    out: list[tuple[str, str | None, str]] = []
    personas = tpl.personas.get(lang, {})
    for tid, text in tpl.templates.get(lang, {}).items():
        if "{persona}" in text:
            out.extend((tid, pid, text.replace("{persona}", ptxt)) for pid, ptxt in personas.items())
        else:
            out.append((tid, None, text))
    out.sort(key=lambda v: v[0] != "plain")
    return out


def _sample(bank: BankFile, item: BankItem, lang: str, tid: str, pid: str | None, text: str) -> Sample:
    sid = f"{SHORT[bank.bank]}:{item.id}:{lang}:{tid}" + (f":{pid}" if pid else "")
    ref = item.reference.get(lang) if item.reference else None
    meta: dict[str, Any] = {"template": tid, "persona": pid, "bank_version": bank.version}
    if item.topic:
        meta["topic"] = item.topic
    if isinstance(item, SourcedItem):  # a language-pack item: where it came from and whether it was reviewed
        meta.update(pack=item.pack, provenance=item.provenance, reviewed=item.reviewed)
    return Sample(
        id=sid,
        bank=bank.bank,
        risk=item.risk,
        lang=lang,
        expect=EXPECT_OF_BANK[bank.bank],
        prompt=text.replace("{q}", item.text[lang].strip()),
        seed_item=item.id,
        reference=ref,
        meta=meta,
    )


def expand(
    bank: BankFile, langs: list[str], *, seed: int = 0, total: int | None = None, templates: Templates | None = None
) -> list[Sample]:
    """Expand one bank to at least `total` samples (default: the standard's size) in `langs`."""
    tpl = templates or load_templates()
    sizes = standard_sizes()[bank.bank]
    total = sizes["total"] if total is None else total
    langs = [lg for lg in langs if lg in bank.languages]
    groups: dict[str, list[BankItem]] = defaultdict(list)
    for item in bank.items:  # only items written in a requested language (a pack item exists in its own languages)
        if any(lg in item.text for lg in langs):
            groups[item.topic if bank.bank == "should_not_refuse" and item.topic else item.risk].append(item)
    if not langs or not groups:
        return []
    per_group = math.ceil(total / len(groups))
    out: list[Sample] = []
    for key in sorted(groups):
        minimum = sizes["min_a12"] if key.startswith(("A.1.", "A.2.")) else sizes["min_other"]
        quota = max(per_group, minimum)
        plain: list[tuple[BankItem, str, str, str | None, str]] = []
        rest: list[tuple[BankItem, str, str, str | None, str]] = []
        for item in groups[key]:
            for lang in (lg for lg in langs if lg in item.text):
                for tid, pid, text in _variants(tpl, lang):
                    (plain if tid == "plain" else rest).append((item, lang, tid, pid, text))
        random.Random(f"{seed}:{bank.bank}:{key}").shuffle(rest)
        out.extend(_sample(bank, *c) for c in (plain + rest)[:quota])
    return out


def expand_bundled(banks: list[str], langs: list[str], *, seed: int = 0) -> list[Sample]:
    b = bundled_banks()
    return [s for name in banks for s in expand(b[name], langs, seed=seed)]


def stratified(samples: list[Sample], n: int, *, seed: int = 0) -> list[Sample]:
    """A deterministic subset of `n` samples spread evenly over (bank, risk) groups."""
    if n >= len(samples):
        return samples
    groups: dict[tuple, list[Sample]] = defaultdict(list)
    for s in samples:
        groups[(s.bank, s.risk)].append(s)
    rng = random.Random(seed)
    keys = sorted(groups, key=str)
    rng.shuffle(keys)
    for k in keys:  # mix languages and templates within a group
        rng.shuffle(groups[k])
    # interleave banks so a small n still sees every bank
    seen: dict[str, int] = defaultdict(int)
    rank = {}
    for k in keys:
        rank[k] = seen[k[0]]
        seen[k[0]] += 1
    keys.sort(key=lambda k: rank[k])
    picked: list[Sample] = []
    depth = 0
    while len(picked) < n:
        progressed = False
        for k in keys:
            if depth < len(groups[k]):
                picked.append(groups[k][depth])
                progressed = True
                if len(picked) == n:
                    break
        if not progressed:
            break
        depth += 1
    return picked
