"""Benchmark: HTML and PDF report rendering for a system with 3 jurisdictions and 2 runs.

Run:  .venv/bin/python benchmarks/report_render.py
Targets (issue 6): HTML < 1 s, PDF < 10 s. Uses the customer-service chatbot example
(EU + CN + ASEAN) and two stored runs with 40 metrics each.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from tianping.assessment.assess import assess
from tianping.registry.service import load_profile_file
from tianping.reporting.render import render_html, render_pdf
from tianping.store.models import RunRow

ROOT = Path(__file__).resolve().parents[1]


def fake_run(rid: str, kind: str, n: int) -> RunRow:
    metrics = [{"name": name, "value": 0.5 + (i % 10) / 25, "group": f"g{i % 4}", "threshold": {"min": 0.6},
                "passed": (0.5 + (i % 10) / 25) >= 0.6, "ci": [0.4, 0.9]}
               for i, name in enumerate(["pass_rate", "refusal_rate", "over_refusal_rate", "attack_success_rate"] * (n // 4))]
    return RunRow(id=rid, system_id="customer-service-chatbot", kind=kind, suite="tc260", target="local", config={},
                  status="completed", created_at="2026-11-22T00:00:00+00:00", result={"metrics": metrics})


def main() -> None:
    system = load_profile_file(ROOT / "examples" / "systems" / "customer-service-chatbot.yaml")
    runs = [fake_run("run-aaaaaaaa", "genai", 40), fake_run("run-bbbbbbbb", "genai", 40)]
    a = assess(system, runs=runs)
    print(f"jurisdictions: {len(a['classification'])}, obligations: {len(a['obligations'])}, runs: {len(runs)}")
    for lang in ("en", "zh"):
        html_t, pdf_t = [], []
        for _ in range(3):
            t0 = time.perf_counter()
            html = render_html(a, lang)
            t1 = time.perf_counter()
            pdf = render_pdf(html)
            t2 = time.perf_counter()
            html_t.append(t1 - t0)
            pdf_t.append(t2 - t1)
        print(f"{lang}: HTML median {statistics.median(html_t):.3f} s ({len(html) // 1024} KiB), "
              f"PDF median {statistics.median(pdf_t):.2f} s ({len(pdf) // 1024} KiB)  [targets: HTML < 1 s, PDF < 10 s]")


if __name__ == "__main__":
    main()
