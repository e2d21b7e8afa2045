"""Benchmark: `tianping eval score --scorer refusal` replies/s on one core (issue 13: rule path ≥ 20,000/s),
and the figure for the statistical layer (`--scorer refusal_stat`, MiniLM + logistic regression).

Run:  .venv/bin/python benchmarks/refusal_scoring.py [--rows 100000] [--stat-rows 2000] [--repeats 3]

The input is real replies: the labelled set's replies (JailbreakBench artifacts joined from
../shared/data, plus our SmolLM2 replies), cycled up to --rows and written as JSONL with
id/prompt/response/lang. The process pins itself to one CPU (and torch to one thread) and times
`score_file` — the function behind the CLI: reading and validating the file, scoring every row, and
writing the per-row records atomically with --out. It also times the CLI end to end in a pinned
subprocess (interpreter start and imports included).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pin_one_core() -> str:
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity)"


def texts() -> list[tuple[str, str]]:
    from tianping.evaluation.genai.refusal.build import load

    items, _ = load()
    return [(i.text, i.lang) for i in items]


def write_input(path: Path, rows: int) -> None:
    src = texts()
    with path.open("w", encoding="utf-8") as fh:
        for k in range(rows):
            t, lang = src[k % len(src)]
            fh.write(json.dumps({"id": f"r{k}", "prompt": "", "response": t, "lang": lang}, ensure_ascii=False) + "\n")


def time_score(path: Path, scorer: str, repeats: int) -> tuple[float, int]:
    from tianping.evaluation.genai.score import score_file

    out = path.with_suffix(f".{scorer}.out.jsonl")
    wall, cpu = [], []
    n = 0
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        _, totals = score_file(path, [scorer], out=out)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        n = totals["rows"]
    out.unlink(missing_ok=True)
    return statistics.median(wall), statistics.median(cpu), n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--stat-rows", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    pinned = pin_one_core()
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    print(f"python {sys.version.split()[0]}, {pinned}, load average {os.getloadavg()[0]:.1f} "
          f"(wall-clock rates need an idle core; CPU-second rates are the process's own CPU time)")
    with tempfile.TemporaryDirectory() as d:
        inp = Path(d) / "replies.jsonl"
        write_input(inp, a.rows)
        size = inp.stat().st_size / 1e6
        secs, cpu, n = time_score(inp, "refusal", a.repeats)
        print(f"refusal (rules), in process: {n:,} replies ({size:.1f} MB JSONL) in {secs:.2f} s wall = {n / secs:,.0f} replies/s; "
              f"{cpu:.2f} s CPU = {n / cpu:,.0f} replies per CPU-second")
        out = Path(d) / "cli.out.jsonl"
        exe = Path(sys.executable).with_name("tianping")
        cmd = [str(exe), "eval", "score", "--input", str(inp), "--scorer", "refusal",
               "--out", str(out), "--json"]
        env = dict(os.environ, OMP_NUM_THREADS="1")
        t0 = time.perf_counter()
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(ROOT))  # inherits the pinning
        wall = time.perf_counter() - t0
        if res.returncode != 0:
            print(res.stdout[-2000:], res.stderr[-2000:])
            return 1
        print(f"refusal (rules), CLI end to end incl. start-up: {n:,} replies in {wall:.2f} s = {n / wall:,.0f} replies/s")
        if a.stat_rows:
            sinp = Path(d) / "stat.jsonl"
            write_input(sinp, a.stat_rows)
            from tianping.evaluation.genai.scorers.refusal_stat import embed

            embed(["warm up"])  # model load (~2-9 s) is not per reply
            secs, cpu, n = time_score(sinp, "refusal_stat", 1)
            print(f"refusal_stat (rules + MiniLM + LR), in process, model loaded: {n:,} replies in {secs:.2f} s wall = "
                  f"{n / secs:,.0f} replies/s; {cpu:.2f} s CPU = {n / cpu:,.0f} replies per CPU-second")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
