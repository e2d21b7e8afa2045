"""Benchmark: profiles classified per second per core across all rule packs, with traces.

Run:  .venv/bin/python benchmarks/classify.py [--n 1000000] [--validate] [--as-of 2026-12-05]
A pool of distinct random profiles (default 20,000, from a seed) is generated first and cycled
through; results are dropped as they are produced, so resident memory should stay flat; RSS
is printed every 10% of the run. One process = one core.
Target (issue 3, kept by issue 14): >= 10,000 profiles/s per core, memory flat over 1,000,000 profiles.
Issue 14 (law over time) added dated windows, amendments and upcoming tiers: `--as-of` classifies as
the law stands on a date, which also evaluates every later rule and dates the duties it brings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import time
from pathlib import Path

import yaml

from tianping.registry.profile import AISystem
from tianping.rules.engine import classify_one, derived_facts
from tianping.rules.pack import PACK_DIR, default_packs

USE_CASES = sorted(yaml.safe_load((PACK_DIR.parent / "vocabulary.yaml").read_text(encoding="utf-8"))["use_cases"])
KINDS = ["classifier", "regressor", "recommender", "generative_text", "generative_image", "deep_synthesis",
         "general_purpose_model", "emotion_recognition", "biometric_identification", "ranking_selection"]
JURIS = ["EU", "DE", "CN", "SG", "ID", "US", "TH", "VN"]
ROLES = ["provider", "deployer", "importer", "service_provider", "technical_supporter"]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def maybe(rng: random.Random, value, p_unknown: float = 0.15):
    return None if rng.random() < p_unknown else value


def profile_dict(i: int, rng: random.Random) -> dict:
    jur = rng.sample(JURIS, rng.randint(1, 3))
    d = {
        "id": f"bench-{i}", "name": "Bench", "organisation": {"name": "Org", "country": rng.choice(["CN", "DE", "US"])},
        "jurisdictions": jur, "roles": {j: rng.sample(ROLES, rng.randint(1, 2)) for j in jur},
        "use_cases": maybe(rng, rng.sample(USE_CASES, rng.randint(0, 3))),
        "model_kinds": maybe(rng, rng.sample(KINDS, rng.randint(1, 2))),
        "training_compute_flops": maybe(rng, rng.choice([1e21, 1e24, 2e25])),
        "open_source": maybe(rng, rng.random() < 0.3), "public_facing": maybe(rng, rng.random() < 0.5),
        "interacts_with_people": maybe(rng, rng.random() < 0.5), "public_opinion_attributes": maybe(rng, rng.random() < 0.3),
        "minors_users": maybe(rng, rng.random() < 0.2), "profiling": maybe(rng, rng.random() < 0.4),
        "narrow_procedural_task": maybe(rng, rng.random() < 0.2),
        "annex_i_safety_component": maybe(rng, rng.random() < 0.1), "annex_i_third_party_assessment": maybe(rng, rng.random() < 0.1),
        "autonomy": maybe(rng, rng.choice(["human_in_the_loop", "human_over_the_loop", "human_out_of_the_loop"])),
        "harm_probability": maybe(rng, rng.choice(["low", "medium", "high"])),
        "harm_severity": maybe(rng, rng.choice(["low", "medium", "high"])),
        "data": maybe(rng, [{"category": rng.choice(["personal", "sensitive_personal", "biometric", "minors"]), "persons": rng.randint(0, 3_000_000)}]),
        "cross_border_transfers": maybe(rng, [{"destination": "US", "categories": ["personal"], "persons": rng.randint(0, 2_000_000),
                                                "purpose": rng.choice(["hr_management", "service_delivery", "analytics"])}] if rng.random() < 0.3 else []),
        "placed_on_market": maybe(rng, rng.choice(["2025-03-01", "2026-10-01"]), 0.5),
        "emotion_recognition_reason": maybe(rng, rng.choice(["medical", "safety", "other"]), 0.7),
        "rbi_objective": maybe(rng, rng.choice(["victim_search", "none"]), 0.8),
    }
    return {k: v for k, v in d.items() if v is not None}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--validate", action="store_true", help="Also validate each profile with pydantic (end to end).")
    ap.add_argument("--as-of", type=dt.date.fromisoformat, default=None,
                    help="Classify as the law stands on this date (later rules evaluated as upcoming). Default: every adopted provision applies.")
    ap.add_argument("--decisive-trace", action="store_true", help="Keep only decisive trace entries (drop rules that did not fire).")
    ap.add_argument("--pool", type=int, default=20_000, help="Distinct profiles generated up front and cycled through, "
                    "so the timing measures classification, not the random generator.")
    args = ap.parse_args()
    packs = default_packs()
    print(f"packs: {', '.join(p.pack.id for p in packs)}; rules: {sum(len(p.designations) + len(p.obligations) for p in packs)}")
    rng = random.Random(args.seed)
    pool = [profile_dict(i, rng) for i in range(min(args.pool, args.n))]
    step = max(1, args.n // 10)
    rss0 = rss_mb()
    traces = obligations = upcoming = 0
    t0 = time.perf_counter()
    c0 = time.process_time()
    for i in range(args.n):
        d = pool[i % len(pool)]
        if args.validate:
            env = AISystem.model_validate(d).rule_env()
        else:
            env = d
        derived = derived_facts(env)
        for lp in packs:
            r = classify_one(env, lp, args.as_of, derived, full_trace=not args.decisive_trace)
            traces += len(r.trace)
            obligations += len(r.obligations)
            upcoming += len(r.upcoming)
        if (i + 1) % step == 0:
            el = time.perf_counter() - t0
            print(f"{i + 1:>9} profiles  {el:7.1f} s  {(i + 1) / el:9.0f} profiles/s  RSS {rss_mb():7.1f} MB")
    el = time.perf_counter() - t0
    cpu = time.process_time() - c0
    print(f"done: {args.n} profiles in {el:.1f} s = {args.n / el:.0f} profiles/s on one core "
          f"(CPU time {cpu:.1f} s = {args.n / cpu:.0f} profiles per CPU-second) "
          f"({'with' if args.validate else 'without'} pydantic validation, {'decisive' if args.decisive_trace else 'full'} traces, "
          f"as of {args.as_of or 'all adopted law'}); {traces} trace entries, {obligations} obligations, {upcoming} upcoming; "
          f"RSS start {rss0:.1f} MB end {rss_mb():.1f} MB")


if __name__ == "__main__":
    main()
