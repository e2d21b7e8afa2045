"""Tianping side of the harness-overhead benchmark (runs in the project's .venv).

A normal `tianping eval run` through the service layer: the OpenAI-compatible HTTP adapter against
the stub, the default scorers (refusal, keyword, reference), every sample stored in SQLite and
in the JSONL log, response cache on (a fresh database, so every call is a miss and is written).
The samples are the first N of `tc260 --lang zh,en --limit N`, the same prompts the peers get.

Prints one JSON line: CPU (user+sys) and wall time of the set-up (interpreter, imports, database,
bank expansion) and of the evaluation itself, measured inside the process with getrusage.

    .venv/bin/python benchmarks/harness_overhead/drive_tianping.py --base-url URL --n 2000 --workdir DIR
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

T_START = time.perf_counter()

from driver_common import base_parser, cpu  # noqa: E402  (same folder; after T_START so set-up time counts it)



def main() -> None:
    ap = base_parser(prompts=False)
    ap.add_argument("--scorers", default=None, help="comma-separated (default: the run default)")
    ap.add_argument("--profile", default=None, help="write a cProfile of the evaluation phase here")
    a = ap.parse_args()
    work = Path(a.workdir)
    os.environ["TIANPING_HOME"] = str(work / "tianping-home")
    os.environ["TIANPING_OPENAI_BASE_URL"] = a.base_url
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

    from tianping.evaluation.genai.service import RunConfig, create_run, execute
    from tianping.store import open_database

    db = open_database(f"sqlite:///{work / 'tianping.db'}")
    extra = {"scorers": a.scorers.split(",")} if a.scorers else {}
    cfg = RunConfig(target="openai:stub", suite="tc260", langs=["zh", "en"], limit=a.n, concurrency=a.concurrency,
                    jsonl=str(work / "tianping.jsonl"), **extra)
    run_id, samples = create_run(db, cfg)
    samples = samples[: a.n]
    setup_cpu, setup_wall = cpu(), time.perf_counter() - T_START
    t0, c0 = time.perf_counter(), cpu()
    if a.profile:
        import cProfile

        prof = cProfile.Profile()
        res = prof.runcall(execute, db, run_id, samples)
        prof.dump_stats(a.profile)
    else:
        res = execute(db, run_id, samples)
    eval_cpu, eval_wall = cpu() - c0, time.perf_counter() - t0
    s = res["metrics"]["samples"]
    lines = sum(1 for _ in open(cfg.jsonl, encoding="utf-8"))
    print(json.dumps({"tool": "tianping", "n": len(samples), "ok": s["scored"], "errors": s["errors"],
                      "setup_cpu_s": setup_cpu, "setup_wall_s": setup_wall, "eval_cpu_s": eval_cpu, "eval_wall_s": eval_wall,
                      "stored": {"jsonl_lines": lines},
                      "refusal_rate": res["metrics"]["overall"]["refusal_rate"]["rate"]}), flush=True)


if __name__ == "__main__":
    main()
