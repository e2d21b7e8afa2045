"""Harness overhead: CPU per sample of Tianping, inspect-ai and lm-eval against one instant stub.

What is measured: the cost of the evaluation harness itself — building each request, the HTTP
exchange on the client side, scoring, and storing results — with a model that answers at once.
The stub (`stub_server.py`) runs in a process of its own, so its CPU is never counted; every
harness runs as a child process of this script, one after another, never at the same time.

For each harness the child reports, from getrusage inside itself, the CPU (user + sys) spent up to
the start of the evaluation (interpreter start-up, imports, data preparation: "set-up") and during
the evaluation call ("eval"). This script takes the child's total CPU and peak RSS (ru_maxrss)
from wait4, and times a bare interpreter of each environment separately. Reported per tool:
eval CPU / N (the headline), total CPU / N, set-up CPU, eval wall time, samples/s, peak RSS.

    bash benchmarks/harness_overhead/setup_peers.sh          # once: inspect-ai + lm-eval in .venv-peers
    .venv/bin/python benchmarks/harness_overhead/run_benchmark.py --n 2000 [--repeats 3] [--reply refusal|answer] [--json results.json]

Each tool gets the same N prompts (the first N of `tc260 --lang zh,en --limit N`), the same
concurrency (8 requests in flight) and max 32 output tokens. Target for Tianping:
<= 0.5 ms CPU per sample and peak RSS <= 150 MB.
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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MAIN_PY = ROOT / ".venv" / "bin" / "python"
PEERS_PY = HERE / ".venv-peers" / "bin" / "python"
TARGET_MS, TARGET_RSS_MB = 0.5, 150.0

REPLIES = {
    # the stub's fixed reply: a refusal (the detector decides early) or a longer bilingual answer
    # (no refusal, so every refusal pattern and the keyword automaton run over it)
    "refusal": "I'm sorry, but I can't help with that request.",
    "answer": ("Sure. Here is an overview of the topic you asked about. First, it helps to understand the background: the "
               "history of the region is long and varied, with many cultures contributing to its traditions. Second, the main "
               "points are the economy, the people and the geography. 第三，关于这个问题，我们可以从多个角度来看待，包括历史、"
               "文化和社会因素。In summary, the answer depends on context, and I hope this overview helps."),
}

TOOLS = {
    "tianping": (MAIN_PY, HERE / "drive_tianping.py"),
    "inspect-ai": (PEERS_PY, HERE / "drive_inspect.py"),
    "lm-eval": (PEERS_PY, HERE / "drive_lmeval.py"),
}


def start_stub(py: Path, text: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([str(py), str(HERE / "stub_server.py"), "--max-seconds", "7200", "--text", text],
                            stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    if not url.startswith("http://"):
        proc.kill()
        raise SystemExit(f"stub did not start (got {url!r})")
    return proc, url


def write_prompts(n: int, path: Path) -> int:
    """The first N samples of tc260 zh+en (stratified limit), computed by Tianping itself."""
    code = ("import json, sys; sys.path.insert(0, sys.argv[3])\n"
            "from tianping.evaluation.genai.service import RunConfig, build_samples\n"
            "n = int(sys.argv[1]); s = build_samples(RunConfig(target='openai:stub', suite='tc260', langs=['zh', 'en'], limit=n))[:n]\n"
            "with open(sys.argv[2], 'w', encoding='utf-8') as f:\n"
            "    [f.write(json.dumps({'id': x.id, 'prompt': x.prompt}, ensure_ascii=False) + '\\n') for x in s]\n"
            "print(len(s))\n")
    out = subprocess.run([str(MAIN_PY), "-c", code, str(n), str(path), str(ROOT / "src")], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def run_child(argv: list[str], env: dict[str, str], timeout: float) -> tuple[int, float, float, float, str, str]:
    """(returncode, user+sys CPU s, wall s, peak RSS MB, stdout, stderr) of one child, via wait4."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, ru = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        return proc.returncode, ru.ru_utime + ru.ru_stime, wall, ru.ru_maxrss / 1024, out.read(), err.read()


def bare_start(py: Path, env: dict[str, str]) -> float:
    """CPU of starting and stopping the interpreter alone (median of 5)."""
    return statistics.median(run_child([str(py), "-c", "pass"], env, 60)[1] for _ in range(5))


def main() -> None:
    ap = argparse.ArgumentParser(description="Harness CPU per sample: Tianping vs inspect-ai vs lm-eval on an instant stub.")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=1, help="rounds; tools alternate within a round, the best round per tool is reported")
    ap.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of: " + ", ".join(TOOLS))
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds allowed per harness run")
    ap.add_argument("--reply", choices=sorted(REPLIES), default="refusal", help="the stub's fixed reply (default: refusal)")
    ap.add_argument("--json", dest="json_out", default=None, help="also write all measurements to this file")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, databases, JSONL)")
    a = ap.parse_args()
    tools = [t.strip() for t in a.tools.split(",") if t.strip()]
    for t in tools:
        if t not in TOOLS:
            raise SystemExit(f"unknown tool {t!r}; choose from {', '.join(TOOLS)}")

    work = Path(tempfile.mkdtemp(prefix="tp-harness-"))
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TIANPING_", "HTTP_PROXY", "HTTPS_PROXY",
                                                                             "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"))}
    base_env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONDONTWRITEBYTECODE="0",
                    NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    stub, url = start_stub(MAIN_PY, REPLIES[a.reply])
    try:
        prompts = work / "prompts.jsonl"
        n = write_prompts(a.n, prompts)
        print(f"stub {url} (pid {stub.pid}, reply: {a.reply}); {n} prompts; concurrency {a.concurrency}; work dir {work}", flush=True)
        startup = {}
        for t in tools:
            py = TOOLS[t][0]
            startup[t] = bare_start(py, base_env) if py.exists() else None
        results: dict[str, list[dict]] = {t: [] for t in tools}
        skipped: dict[str, str] = {}
        for r in range(a.repeats):
            for t in tools:
                if t in skipped:
                    continue
                py, driver = TOOLS[t]
                if not py.exists():
                    skipped[t] = f"{py} not found: run `bash benchmarks/harness_overhead/setup_peers.sh` first"
                    continue
                wd = work / f"{t}-{r + 1}"
                wd.mkdir()
                argv = [str(py), str(driver), "--base-url", url, "--n", str(n), "--concurrency", str(a.concurrency), "--workdir", str(wd)]
                if t != "tianping":
                    argv += ["--prompts", str(prompts)]
                rc, cpu, wall, rss, out, err = run_child(argv, base_env, a.timeout)
                line = next((x for x in reversed(out.splitlines()) if x.startswith("{")), None)
                if rc != 0 or line is None:
                    skipped[t] = f"exit code {rc}; last error output:\n" + "\n".join(err.strip().splitlines()[-15:])
                    print(f"[{t}] FAILED: {skipped[t]}", flush=True)
                    continue
                m = json.loads(line)
                m.update(total_cpu_s=cpu, total_wall_s=wall, peak_rss_mb=rss, round=r + 1)
                m["eval_ms_per_sample"] = m["eval_cpu_s"] / n * 1000
                m["total_ms_per_sample"] = cpu / n * 1000
                results[t].append(m)
                print(f"[{t}] round {r + 1}: eval CPU {m['eval_cpu_s']:.2f} s = {m['eval_ms_per_sample']:.3f} ms/sample; "
                      f"total CPU {cpu:.2f} s; eval wall {m['eval_wall_s']:.2f} s; peak RSS {rss:.0f} MB; ok {m.get('ok')}", flush=True)
    finally:
        stub.terminate()
        stub.wait(timeout=10)

    print()
    hdr = f"{'tool':<11} {'N':>5} {'eval CPU ms/sample':>18} {'total CPU ms/sample':>19} {'set-up CPU s':>12} " \
          f"{'bare start s':>12} {'eval wall s':>11} {'samples/s':>9} {'peak RSS MB':>11}"
    print(hdr)
    print("-" * len(hdr))
    best = {}
    for t in tools:
        if not results.get(t):
            continue
        m = min(results[t], key=lambda x: x["eval_cpu_s"])
        best[t] = m
        bs = startup.get(t)
        print(f"{t:<11} {n:>5} {m['eval_ms_per_sample']:>18.3f} {m['total_ms_per_sample']:>19.3f} {m['setup_cpu_s']:>12.2f} "
              f"{(bs if bs is not None else float('nan')):>12.3f} {m['eval_wall_s']:>11.2f} {n / m['eval_wall_s']:>9.0f} {m['peak_rss_mb']:>11.0f}")
    for t, why in skipped.items():
        print(f"{t}: not measured — {why}")
    if "tianping" in best:
        m = best["tianping"]
        ok_cpu, ok_rss = m["eval_ms_per_sample"] <= TARGET_MS, m["peak_rss_mb"] <= TARGET_RSS_MB
        print(f"\nTianping target: eval CPU {m['eval_ms_per_sample']:.3f} ms/sample (<= {TARGET_MS}: {'met' if ok_cpu else 'NOT met'}), "
              f"peak RSS {m['peak_rss_mb']:.0f} MB (<= {TARGET_RSS_MB:.0f}: {'met' if ok_rss else 'NOT met'})")
        for t in best:
            if t != "tianping":
                print(f"  {t}: {best[t]['eval_ms_per_sample'] / m['eval_ms_per_sample']:.1f}x Tianping's eval CPU per sample")
    if os.path.exists("/proc/loadavg"):
        print(f"load average at the end: {open('/proc/loadavg').read().split()[:3]} on {os.cpu_count()} CPUs")
    if a.json_out:
        Path(a.json_out).write_text(json.dumps({"n": n, "concurrency": a.concurrency, "reply": a.reply, "startup_cpu_s": startup, "runs": results,
                                                "skipped": skipped}, indent=2), encoding="utf-8")
    if not a.keep:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
