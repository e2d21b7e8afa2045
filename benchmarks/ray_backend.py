"""The Ray execution backend on this machine: local-model scaling, harness CPU per sample, projection.

1. Local-model throughput with 2 Ray actors vs 1 (target >= 1.7x). A private one-node Ray on
   127.0.0.1 (2 CPUs, dashboard and usage reporting off); each actor holds one replica of the
   bundled SmolLM2-135M-Instruct with as many torch threads as CPUs Ray gave it (1), batched
   (`--batch`), greedy, `--max-new-tokens`. Samples/s is measured from the moment every replica
   has loaded its model (the backend waits for all before sending samples) to the last stored
   sample; end-to-end wall time, model loading included, is printed too.
2. Harness CPU per sample with the Ray backend on an instant OpenAI-compatible stub
   (benchmarks/harness_overhead/stub_server.py, its own process, its CPU not counted): the CPU of
   the driver (receiving, storing: SQLite rows + JSONL), of the actors (HTTP, scoring; from the
   moment their replica is built) and of Ray's own processes (raylet, GCS), divided by N (target
   <= 1 ms, batched). Set-up CPU (actor start, imports) is printed apart, as the local harness
   benchmark does.
3. A projection for N workers from the measured per-sample costs.

    .venv/bin/python benchmarks/ray_backend.py [--n 48] [--max-new-tokens 32] [--batch 8] [--stub-n 4000] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"


# default: two whole batches queued per actor; guided: one in flight, the last batches shrunk to a share of what is left
SCHEMES = {"default": {}, "guided": {"inflight": 1, "guided": True}}


def _run(db, tmp: Path, target: str, n: int, *, actors: int, batch: int, max_new: int, concurrency: int = 8,
         endpoints=None, scheme: str = "default") -> dict:
    from tianping.evaluation.genai import service
    from tianping.evaluation.genai.schema import GenParams
    from tianping.execution.ray_backend import RayBackend

    cfg = service.RunConfig(target=target, suite="tc260", langs=["zh", "en"], limit=n, seed=1, batch_size=batch,
                            concurrency=concurrency, use_cache=False, params=GenParams(max_tokens=max_new),
                            jsonl=str(tmp / f"run-{time.time_ns()}.jsonl"))
    run_id, samples = service.create_run(db, cfg)
    stamps: list[float] = []
    backend = RayBackend(cfg.model_dump(mode="json"), run_id, actors=actors, endpoints=endpoints or [], **SCHEMES[scheme])
    load = os.getloadavg()[0]
    ray0 = _ray_processes_cpu()
    t0 = time.perf_counter()
    c0 = time.process_time()
    service.execute(db, run_id, backend=backend, progress=lambda k, _t: stamps.append(time.perf_counter()))
    wall = time.perf_counter() - t0
    ray_bg = _ray_processes_cpu() - ray0  # raylet, GCS and idle Ray workers (the actors are gone by now)
    span = stamps[-1] - backend.t_ready
    actor_cpu = backend.actor_cpu or 0.0
    return {"n": len(samples), "wall": wall, "ready": backend.t_ready - t0, "first": stamps[0] - t0,
            "steady": len(stamps) / span, "span": span, "load": load,
            "driver_cpu": time.process_time() - c0, "actor_cpu": backend.actor_cpu, "actor_setup_cpu": backend.actor_setup_cpu,
            # CPU seconds per sample in the replicas, and the share of a core each replica got while the run went on
            "actor_cpu_per_sample": actor_cpu / len(samples), "cpu_share": actor_cpu / (actors * span),
            "tail_idle": backend.tail_idle, "ray_bg_cpu": max(0.0, ray_bg)}


def _raw_worker(args) -> float:
    """Plain processes, no Ray: load the model (1 torch thread), wait for the others, generate; returns the end time."""
    prompts, batch, max_new, barrier_path, n_procs = args
    import torch

    from tianping.llm.local import load_local_model

    lm = load_local_model(None)
    torch.set_num_threads(1)
    tok, model = lm.tokenizer, lm.model
    Path(barrier_path + f".{os.getpid()}").touch()
    while len(list(Path(barrier_path).parent.glob(Path(barrier_path).name + ".*"))) < n_procs:
        time.sleep(0.01)
    t0 = time.time()
    c0 = time.process_time()
    tok.padding_side = "left"
    for i in range(0, len(prompts), batch):
        texts = [tok.apply_chat_template([{"role": "user", "content": p}], add_generation_prompt=True, tokenize=False)
                 for p in prompts[i:i + batch]]
        enc = tok(texts, return_tensors="pt", padding=True)
        with torch.inference_mode():
            model.generate(**enc, max_new_tokens=max_new, do_sample=False, pad_token_id=tok.pad_token_id or tok.eos_token_id)
    return t0, time.time(), time.process_time() - c0


def raw_baseline(n: int, batch: int, max_new: int, tmp: Path) -> dict:
    """The same generation in 1 and 2 plain processes: what this machine allows at the moment."""
    import multiprocessing as mp

    from tianping.evaluation.genai import service

    cfg = service.RunConfig(target="local", suite="tc260", langs=["zh", "en"], limit=n, seed=1)
    prompts = sorted((s.prompt for s in service.build_samples(cfg)), key=len)
    out = {}
    for k in (1, 2):
        barrier = str(tmp / f"barrier-{k}-{time.time_ns()}")
        shards = [prompts[i::k] for i in range(k)]
        with mp.get_context("spawn").Pool(k) as pool:
            spans = pool.map(_raw_worker, [(sh, batch, max_new, barrier, k) for sh in shards])
        wall = max(e for _s, e, _c in spans) - min(s for s, _e, _c in spans)
        out[k] = len(prompts) / wall
        cpu = sum(c for _s, _e, c in spans)
        out[f"cpu_ms_per_sample_{k}"] = 1000 * cpu / len(prompts)
        print(f"raw transformers, {k} plain process(es): {out[k]:.2f} samples/s (load {os.getloadavg()[0]:.1f}); "
              f"CPU {out[f'cpu_ms_per_sample_{k}']:.0f} ms/sample, {cpu / (k * wall):.2f} of a core each", flush=True)
    out["ratio"] = out[2] / out[1]
    out["cpu_bound_ratio"] = 2 * out["cpu_ms_per_sample_1"] / out["cpu_ms_per_sample_2"]
    print(f"raw 2 processes vs 1: {out['ratio']:.2f}x; from CPU per sample (each process a whole core): "
          f"{out['cpu_bound_ratio']:.2f}x", flush=True)
    return out


def _ray_processes_cpu() -> float:
    import psutil

    total = 0.0
    for p in psutil.Process().children(recursive=True):
        try:
            name = " ".join(p.cmdline()[:2])
            if "SampleActor" in name:  # the actors' CPU is counted by the actors themselves
                continue
            if "raylet" in name or "gcs_server" in name or "ray::" in name or "log_monitor" in name or "dashboard" in name:
                t = p.cpu_times()
                total += t.user + t.system
        except psutil.Error:
            pass
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=48)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--max-new-tokens", type=int, default=32)
    ap.add_argument("--stub-n", type=int, default=4000)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--skip-model", action="store_true")
    ap.add_argument("--skip-stub", action="store_true")
    ap.add_argument("--raw-baseline", action="store_true", help="also time 1 vs 2 plain processes (no Ray) on the same prompts")
    ap.add_argument("--schemes", default="default",
                    help="dispatch variants to compare: default,guided (guided: 1 batch in flight, the last ones shrunk)")
    ap.add_argument("--json-out")
    args = ap.parse_args()

    import ray

    from tianping.execution.ray_backend import connect
    from tianping.store import open_database

    print(f"load average at start: {os.getloadavg()}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="tp-ray-bench-"))
    os.environ["TIANPING_HOME"] = str(tmp / "home")
    db = open_database(f"sqlite:///{tmp / 'bench.db'}")
    connect(None, num_cpus=2)
    out: dict = {"machine_cpus": os.cpu_count()}

    if args.raw_baseline:
        out["raw_baseline"] = raw_baseline(args.n, args.batch, args.max_new_tokens, tmp)
    if not args.skip_model:
        schemes = args.schemes.split(",")
        res: dict = {(sc, k): [] for sc in schemes for k in (1, 2)}
        for _ in range(args.repeats):  # interleaved, so every variant sees the same minutes of a shared machine
            for sc in schemes:
                for k in (1, 2):
                    r = _run(db, tmp, "local", args.n, actors=k, batch=args.batch, max_new=args.max_new_tokens, scheme=sc)
                    res[(sc, k)].append(r)
                    print(f"local model, {sc} dispatch, {k} actor(s): {r['steady']:.2f} samples/s once loaded "
                          f"(load {r['load']:.1f}); replica CPU {1000 * r['actor_cpu_per_sample']:.0f} ms/sample, "
                          f"{r['cpu_share']:.2f} of a core each; idle at the end {100 * (r['tail_idle'] or 0):.1f} %; "
                          f"driver {r['driver_cpu']:.2f} s CPU, Ray's own processes {r['ray_bg_cpu']:.2f} s CPU; "
                          f"wall {r['wall']:.1f} s (replicas ready after {r['ready']:.1f} s)", flush=True)
        out["local_model"] = {"n": args.n, "batch": args.batch, "max_new_tokens": args.max_new_tokens}
        for sc in schemes:
            best = {k: max(res[(sc, k)], key=lambda r: r["steady"]) for k in (1, 2)}
            ratio = best[2]["steady"] / best[1]["steady"]
            # what 2 vs 1 would be if each replica had had a whole core: the same work per sample at full share
            cpu_ratio = 2 * best[1]["actor_cpu_per_sample"] / best[2]["actor_cpu_per_sample"]
            idle = sum(r["tail_idle"] or 0 for r in res[(sc, 2)]) / len(res[(sc, 2)])
            out["local_model"][sc] = {
                "samples_per_s": {k: round(b["steady"], 3) for k, b in best.items()},
                "actor_cpu_ms_per_sample": {k: round(1000 * b["actor_cpu_per_sample"], 1) for k, b in best.items()},
                "cpu_share": {k: round(b["cpu_share"], 2) for k, b in best.items()},
                "load": {k: round(b["load"], 1) for k, b in best.items()}, "tail_idle_2_actors": round(idle, 3),
                "speedup_2_vs_1": round(ratio, 2), "cpu_bound_speedup_2_vs_1": round(cpu_ratio, 2)}
            print(f"{sc} dispatch: 2 actors vs 1: {ratio:.2f}x (target >= 1.7: {'met' if ratio >= 1.7 else 'NOT met'}); "
                  f"from CPU per sample (each replica a whole core): {cpu_ratio:.2f}x; 2-actor runs idle at the end "
                  f"{100 * idle:.1f} % of replica time", flush=True)

    if args.skip_stub:
        print(f"load average at end: {os.getloadavg()}", flush=True)
        if args.json_out:
            Path(args.json_out).write_text(json.dumps(out, indent=2))
        return
    stub_server = ROOT / "benchmarks" / "harness_overhead" / "stub_server.py"
    stub = subprocess.Popen([sys.executable, str(stub_server), "--max-seconds", "900"], stdout=subprocess.PIPE, text=True)
    try:
        url = stub.stdout.readline().strip()
        from tianping.execution.endpoints import Resolved, activate

        r = Resolved("bench", url, "stub", None)
        activate(r)
        best = None
        for _ in range(args.repeats):
            ray_before = _ray_processes_cpu()
            res = _run(db, tmp, "endpoint:bench", args.stub_n, actors=2, batch=8, max_new=32, concurrency=16, endpoints=[r])
            ray_cpu = _ray_processes_cpu() - ray_before  # raylet/GCS/workers still alive (actors already counted below)
            total = res["driver_cpu"] + (res["actor_cpu"] or 0.0) + max(0.0, ray_cpu)
            res.update(ray_cpu=ray_cpu, per_sample_ms=1000 * total / res["n"], driver_ms=1000 * res["driver_cpu"] / res["n"],
                       actor_ms=1000 * (res["actor_cpu"] or 0) / res["n"], ray_ms=1000 * max(0.0, ray_cpu) / res["n"])
            print(f"instant stub, 2 actors, N={res['n']}: {res['per_sample_ms']:.3f} ms CPU/sample "
                  f"(driver {res['driver_ms']:.3f}, "
                  f"actors {res['actor_ms']:.3f}, ray processes {res['ray_ms']:.3f}); actor set-up "
                  f"{res['actor_setup_cpu'] or 0:.2f} s CPU; {res['n'] / res['wall']:.0f} samples/s end to end", flush=True)
            if best is None or res["per_sample_ms"] < best["per_sample_ms"]:
                best = res
        out["stub"] = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in best.items()}
        print(f"harness CPU per sample on Ray: {best['per_sample_ms']:.3f} ms (target <= 1: "
              f"{'met' if best['per_sample_ms'] <= 1.0 else 'NOT met'})", flush=True)
    finally:
        stub.kill()

    # projection: N workers, each one actor per CPU core running the model
    if "local_model" in out:
        per_actor = out["local_model"][args.schemes.split(",")[0]]["samples_per_s"][1]
        driver_ms = out["stub"]["driver_ms"]
        cap = 1000.0 / driver_ms if driver_ms else float("inf")
        rows = []
        for n_workers in (1, 2, 4, 8, 16, 64):
            rows.append((n_workers, min(n_workers * per_actor, cap)))
        out["projection"] = {"per_actor_samples_per_s": per_actor, "driver_ms_per_sample": driver_ms,
                             "driver_cap_samples_per_s": round(cap), "rows": [(n, round(v, 1)) for n, v in rows]}
        print("projection (actors = model replicas):", ", ".join(f"{n}: {v:.1f}/s" for n, v in rows),
              f"— one driver stores at most ~{cap:.0f} samples/s", flush=True)
    print(f"load average at end: {os.getloadavg()}", flush=True)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=2))
    ray.shutdown()


if __name__ == "__main__":
    main()
