"""Tokens/s of an evaluation through the local adapter vs a raw batched `transformers` loop.

Same model (bundled SmolLM2-135M-Instruct), same prompts (plain should-refuse seeds), same
batch size, greedy decoding, same max_new_tokens. The raw loop is plain transformers: chat
template, left-padded tokenisation, `model.generate`, count tokens up to EOS. The adapter side is
a whole `tianping eval` run (service.execute): micro-batching, scoring (refusal, keyword,
reference), SQLite rows + JSONL lines, cache disabled. Each side runs in its own fresh process
(the raw loop entirely on the main thread, as plain transformers code would; the adapter as Tianping
runs it, on its torch thread), model loading excluded from the timing. Raw and adapter alternate
for `--repeats` rounds and the best of each is reported.

    .venv/bin/python benchmarks/local_throughput.py [--n 32] [--batch 8] [--max-new-tokens 32] [--repeats 2]

The last line gives adapter/raw and whether it meets the target (>= 90 %). Run it on an idle
machine: the load average is printed at the start and the end, because on a loaded 2-core
machine single rounds swing by 2x and the ratio means little.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def raw_loop(lm, prompts: list[str], batch: int, max_new: int) -> tuple[int, float]:
    import torch

    tok, model = lm.tokenizer, lm.model
    prompts = sorted(prompts, key=len)  # the adapter's runner also groups similar lengths
    total, t0 = 0, time.perf_counter()
    for i in range(0, len(prompts), batch):
        texts = [tok.apply_chat_template([{"role": "user", "content": p}], add_generation_prompt=True, tokenize=False)
                 for p in prompts[i:i + batch]]
        enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        torch.manual_seed(0)
        with torch.inference_mode():
            out = model.generate(**enc, max_new_tokens=max_new, do_sample=False, pad_token_id=tok.pad_token_id)
        gen = out[:, enc["input_ids"].shape[1]:]
        for row in gen:
            eos = (row == tok.eos_token_id).nonzero()
            total += int(eos[0]) if len(eos) else int(row.shape[0])
    return total, time.perf_counter() - t0


def adapter_run(prompts_n: int, batch: int, max_new: int, workdir: Path) -> tuple[int, float]:
    from tianping.evaluation.genai.schema import GenParams
    from tianping.evaluation.genai.service import RunConfig, create_run, execute
    from tianping.evaluation.genai.store import RunStore
    from tianping.store import open_database

    db = open_database(f"sqlite:///{workdir / f'bench-{time.time_ns()}.db'}")
    cfg = RunConfig(target="local", suite="tc260-seeds", langs=["en"], batch_size=batch, use_cache=False,
                    params=GenParams(max_tokens=max_new, seed=0), jsonl=str(workdir / f"bench-{time.time_ns()}.jsonl"))
    run_id, samples = create_run(db, cfg)
    samples = [s for s in samples if s.bank == "should_refuse"][:prompts_n]
    t0 = time.perf_counter()
    execute(db, run_id, samples)
    dt = time.perf_counter() - t0
    toks = sum(r.completion_tokens or 0 for r in RunStore(db, run_id, cfg.jsonl).records())
    db.dispose()
    return toks, dt


TARGET = 0.90


def loadavg() -> str:
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "n/a"


def load_raw():
    """Plain transformers on the calling (main) thread, from the same dequantised weights Tianping caches."""
    import torch

    from tianping.llm import local

    src = local.smollm2_gguf()
    cached = local.data_home() / "models" / local._gguf_key(src)
    if not (cached / "model.safetensors").exists():
        local.load_local_model()  # first use: dequantise once into the cache (not timed)
    torch.set_num_threads(os.cpu_count() or 1)
    tok, model = local._load_dequantised(cached)
    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    model.eval()
    return local.LocalModel("raw", tok, model)


def child(role: str, a: argparse.Namespace) -> None:
    import json

    from tianping.evaluation.genai.bank import bundled_banks

    prompts = [i.text["en"] for i in bundled_banks()["should_refuse"].items][: a.n]
    if role == "raw":
        lm = load_raw()
        raw_loop(lm, prompts[: a.batch], a.batch, 4)  # warm-up
        toks, secs = raw_loop(lm, prompts, a.batch, a.max_new_tokens)
    else:
        from tianping.llm.local import load_local_model

        load_local_model()  # loaded (and warmed) outside the timed run, like the raw side
        work = Path(tempfile.mkdtemp(prefix="tp-bench-"))
        adapter_run(a.batch, a.batch, 4, work)  # warm-up
        toks, secs = adapter_run(a.n, a.batch, a.max_new_tokens, work)
    print("RESULT " + json.dumps({"tokens": toks, "seconds": secs}), flush=True)


def main() -> None:
    import json
    import subprocess

    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=32)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--max-new-tokens", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--role", choices=["raw", "adapter"], help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.role:
        child(a.role, a)
        return
    os.environ.setdefault("TIANPING_HOME", tempfile.mkdtemp(prefix="tp-bench-home-"))

    def run(role: str) -> tuple[int, float]:
        cmd = [sys.executable, __file__, "--role", role, "--n", str(a.n), "--batch", str(a.batch),
               "--max-new-tokens", str(a.max_new_tokens)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        res = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])
        return res["tokens"], res["seconds"]

    print(f"load average at start: {loadavg()} ({os.cpu_count()} CPUs)", flush=True)
    best_raw = best_ad = 0.0
    for r in range(a.repeats):
        tr, dr = run("raw")
        ta, da = run("adapter")
        print(f"round {r + 1}: raw {tr} tok / {dr:.2f} s = {tr / dr:.1f} tok/s | "
              f"adapter {ta} tok / {da:.2f} s = {ta / da:.1f} tok/s | adapter/raw this round {(ta / da) / (tr / dr) * 100:.1f}%",
              flush=True)
        if tr != ta:
            print(f"  note: token counts differ (raw {tr}, adapter {ta}); compare tok/s, not times", flush=True)
        best_raw, best_ad = max(best_raw, tr / dr), max(best_ad, ta / da)
    print(f"best: raw {best_raw:.1f} tok/s, adapter {best_ad:.1f} tok/s, adapter/raw = {best_ad / best_raw * 100:.1f}% "
          f"(n={a.n}, batch={a.batch}, max_new_tokens={a.max_new_tokens}, one process per side)")
    ratio = best_ad / best_raw
    print(f"target adapter/raw >= {TARGET * 100:.0f}%: {'met' if ratio >= TARGET else 'NOT met'}; "
          f"load average at end: {loadavg()}", flush=True)


if __name__ == "__main__":
    main()
