"""Measure the green-list text watermark on the bundled SmolLM2-135M-Instruct (CPU, offline).

    .venv/bin/python benchmarks/watermark.py            # full run (~15 min on 2 idle cores)
    .venv/bin/python benchmarks/watermark.py --quick    # smoke run (~5 min)

Reports: detection rate on watermarked generations (≥100 new tokens), false-positive rate on
unwatermarked model generations and on human-written text (en + zh), z-scores with a wrong key,
and detection after random word edits and after translation by the same local model.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tianping.llm.local import load_local_model  # noqa: E402
from tianping.provenance.watermark import WatermarkConfig, detect, generate_watermarked  # noqa: E402
from tianping.provenance.wm_eval import human_samples, prompts, random_word_edits, words  # noqa: E402

KEY = "benchmark-key-2025"


def batched(items: list, n: int):
    for i in range(0, len(items), n):
        yield items[i:i + n]


def gen(model, pairs, key, cfg, args, seed0: int, max_new: int) -> list[dict]:
    out = []
    for bi, batch in enumerate(batched(pairs, args.batch)):
        res = generate_watermarked(model, [p for _, p in batch], key, config=cfg, max_new_tokens=max_new,
                                   min_new_tokens=args.min_new, temperature=args.temperature, seed=seed0 + bi)
        out += [dict(r, lang=lang, prompt=p) for (lang, p), r in zip(batch, res)]
        print(f"  {len(out)}/{len(pairs)} generated", file=sys.stderr, flush=True)
    return out


def cjk_share(text: str) -> float:
    return len(re.findall(r"[\u4e00-\u9fff]", text)) / max(1, len(text.strip()))


def copied_share(out: str, src: str) -> float:
    """Share of the output's word trigrams that also occur in the source text."""
    def grams(t: str) -> list[tuple[str, ...]]:
        w = t.lower().split()
        return [tuple(w[i:i + 3]) for i in range(len(w) - 2)]
    og, sg = grams(out), set(grams(src))
    return sum(g in sg for g in og) / len(og) if og else 0.0


def summary(zs: list[float], thr: float) -> dict:
    return {"n": len(zs), "rate": sum(z >= thr for z in zs) / max(1, len(zs)), "mean_z": statistics.fmean(zs) if zs else 0.0,
            "median_z": statistics.median(zs) if zs else 0.0, "min_z": min(zs, default=0.0), "max_z": max(zs, default=0.0)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--max-new", type=int, default=200)
    ap.add_argument("--min-new", type=int, default=100)
    ap.add_argument("--null-max-new", type=int, default=128, help="max new tokens of the unwatermarked controls")
    ap.add_argument("--n-translate", type=int, default=32)
    ap.add_argument("--n-wm", type=int, default=64, help="watermarked generations (5/8 English, 3/8 Chinese)")
    ap.add_argument("--n-null", type=int, default=200, help="unwatermarked model generations (en/zh as above)")
    ap.add_argument("--n-human", type=int, default=1000, help="human-written samples (half English, half Chinese)")
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args()
    cfg = WatermarkConfig()
    if args.quick:
        args.n_wm, args.n_null, args.n_human, args.n_translate = 20, 40, 200, 8
    n_wm = (args.n_wm * 5 // 8, args.n_wm - args.n_wm * 5 // 8)
    n_null = (args.n_null * 5 // 8, args.n_null - args.n_null * 5 // 8)
    t0 = time.time()
    model = load_local_model()
    tok = model.tokenizer
    res: dict = {"config": {"gamma": cfg.gamma, "delta": cfg.delta, "z_threshold": cfg.z_threshold,
                            "ignore_repeated_pairs": cfg.ignore_repeated_pairs, "temperature": args.temperature,
                            "max_new_tokens": args.max_new, "min_new_tokens": args.min_new, "model": model.name}}

    wm = gen(model, prompts(*n_wm), KEY, cfg, args, 1000, args.max_new)
    for r in wm:
        r["z"] = detect(r["text"], KEY, tok, cfg).z
        r["z_wrong_key"] = detect(r["text"], "some-other-key", tok, cfg).z
    res["watermarked"] = {lang: summary([r["z"] for r in wm if r["lang"] == lang], cfg.z_threshold) for lang in ("en", "zh")}
    res["watermarked"]["all"] = summary([r["z"] for r in wm], cfg.z_threshold)
    res["watermarked"]["tokens_mean"] = statistics.fmean(r["completion_tokens"] for r in wm)
    res["wrong_key"] = summary([r["z_wrong_key"] for r in wm], cfg.z_threshold)

    null = gen(model, prompts(*n_null), None, cfg, args, 5000, args.null_max_new)
    res["unwatermarked_tokens_mean"] = statistics.fmean(r["completion_tokens"] for r in null)
    zs = {lang: [detect(r["text"], KEY, tok, cfg).z for r in null if r["lang"] == lang] for lang in ("en", "zh")}
    res["unwatermarked_model"] = {lang: summary(v, cfg.z_threshold) for lang, v in zs.items()}
    res["unwatermarked_model"]["all"] = summary(zs["en"] + zs["zh"], cfg.z_threshold)
    hs = human_samples(args.n_human // 2, args.n_human - args.n_human // 2)
    hz = {lang: [detect(s, KEY, tok, cfg).z for lg, s in hs if lg == lang] for lang in ("en", "zh")}
    res["human_text"] = {lang: summary(v, cfg.z_threshold) for lang, v in hz.items()}
    res["human_text"]["all"] = summary(hz["en"] + hz["zh"], cfg.z_threshold)

    # random word edits, vocabulary drawn from unwatermarked generations of the same language
    vocab = {lang: [w for r in null if r["lang"] == lang for w in words(r["text"])] for lang in ("en", "zh")}
    rng = random.Random(7)
    res["edits"] = {}
    for frac in (0.1, 0.2, 0.3, 0.5):
        ez = [detect(random_word_edits(r["text"], frac, rng, vocab[r["lang"]]), KEY, tok, cfg).z for r in wm]
        res["edits"][str(frac)] = summary(ez, cfg.z_threshold)

    # translation by the same local model, without the watermark (the only translator available offline)
    en_wm = [r for r in wm if r["lang"] == "en"][: args.n_translate]
    res["translation"] = {}
    for target, instr in (("zh", "Translate the following text into Chinese. Output only the translation."),
                          ("fr", "Translate the following text into French. Output only the translation.")):
        pairs = [("en", f"{instr}\n\n{r['text']}") for r in en_wm]
        outs = []
        for bi, batch in enumerate(batched(pairs, args.batch)):
            outs += generate_watermarked(model, [p for _, p in batch], None, max_new_tokens=250, temperature=0.0, seed=bi)
        tz = [detect(o["text"], KEY, tok, cfg).z for o in outs]
        # a 135M model often copies the source instead of translating: count as translated only outputs that
        # share < 20% of their word trigrams with the source (and, for Chinese, are mostly CJK characters)
        real = [z for o, r, z in zip(outs, en_wm, tz) if copied_share(o["text"], r["text"]) < 0.2
                and (target != "zh" or cjk_share(o["text"]) > 0.3)]
        res["translation"][target] = dict(all=summary(tz, cfg.z_threshold), translated=summary(real, cfg.z_threshold),
                                          example=outs[0]["text"][:160] if outs else "")
    res["seconds"] = round(time.time() - t0, 1)
    res["samples"] = {"watermarked": [{k: r[k] for k in ("lang", "prompt", "text", "z")} for r in wm]}
    print(json.dumps({k: v for k, v in res.items() if k != "samples"}, ensure_ascii=False, indent=2))
    if args.json_out:
        args.json_out.write_text(json.dumps(res, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
