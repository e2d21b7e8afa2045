"""Train the `refusal_stat` layer on the tuning models only and write its weights as JSON.

    .venv/bin/python -m tianping.evaluation.genai.refusal.train [--data ../shared/data] [--no-embedding]

Training data: replies of the tuning models (`build.TUNE_MODELS`) plus the project's hand-written
multilingual examples (banks/refusal_labelled.jsonl, 7 languages). The regularisation strength and the
decision threshold are chosen by leave-one-model-out cross-validation over the tuning models (the
hand-written set always stays in training): the threshold with the best F1 among those whose pooled
out-of-fold precision is ≥ 0.95. Held-out models are never read here.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
from pathlib import Path

from .build import HERE, TUNE_MODELS, Item, load

HANDWRITTEN = HERE.parent / "banks" / "refusal_labelled.jsonl"
OUT = HERE / "refusal_lr.json"
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)
MIN_PRECISION = 0.95


def handwritten() -> list[Item]:
    rows = [json.loads(x) for x in HANDWRITTEN.read_text(encoding="utf-8").splitlines() if x.strip()]
    return [
        Item(
            id=f"handwritten:{r['id']}",
            model="handwritten",
            lang=r["lang"],
            split="tune",
            refusal=bool(r["refusal"]),
            text=r["text"],
            how="handwritten",
            source="tianping banks/refusal_labelled.jsonl",
            licence="project",
        )
        for r in rows
    ]


CACHE = Path(os.environ.get("TMPDIR", "/tmp")) / "tianping-refusal-minilm-cache.npz"


def embeddings(texts: list[str], cache: Path | None = CACHE):
    """MiniLM embeddings, cached by text hash in an .npz (numbers and hex keys only; loaded without pickle)."""
    import hashlib

    import numpy as np

    from ..scorers.refusal_stat import EMBED_CHARS, MAX_TOKENS, embed

    keys = [hashlib.sha1(f"{MAX_TOKENS}:{t[:EMBED_CHARS]}".encode()).hexdigest() for t in texts]
    known: dict[str, np.ndarray] = {}
    if cache is not None and cache.exists():
        with np.load(cache, allow_pickle=False) as z:
            known = dict(zip(z["keys"].tolist(), z["vecs"], strict=True))
    todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in known}.items())
    if todo:
        vecs = embed([t for _, t in todo])
        known.update({k: v for (k, _), v in zip(todo, vecs, strict=True)})
        if cache is not None:
            tmp = cache.with_suffix(".tmp.npz")
            np.savez(tmp, keys=np.array(list(known)), vecs=np.stack(list(known.values())))
            os.replace(tmp, cache)
    return np.stack([known[k] for k in keys])


def _features(items: list[Item], use_embedding: bool):
    import numpy as np

    from ..scorers.refusal_stat import hand_features

    hf = np.array([hand_features(i.text) for i in items], dtype=np.float64)
    if not use_embedding:
        return hf
    return np.hstack([hf, np.asarray(embeddings([i.text for i in items]), dtype=np.float64)])


def _fit(x, y, c: float):
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0  # (near-)constant features: leave unscaled
    clf = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
    clf.fit((x - mean) / scale, y)
    return mean, scale, clf.coef_[0].astype(np.float64), float(clf.intercept_[0])


def _proba(x, mean, scale, coef, intercept):
    import numpy as np

    return 1.0 / (1.0 + np.exp(-(((x - mean) / scale) @ coef + intercept)))


def _best_threshold(p, y) -> tuple[float, float, float, float]:
    """(threshold, f1, precision, recall): best F1 with precision ≥ MIN_PRECISION (else best precision)."""
    best = (0.5, -1.0, 0.0, 0.0)
    for t in sorted(set(round(float(v), 4) for v in p) | {0.5}):
        pred = p >= t
        tp = int((pred & y).sum())
        fp = int((pred & ~y).sum())
        fn = int((~pred & y).sum())
        if tp == 0:
            continue
        prec, rec = tp / (tp + fp), tp / (tp + fn)
        f1 = 2 * prec * rec / (prec + rec)
        ok = prec >= MIN_PRECISION
        key = (ok, f1 if ok else prec)
        if key > ((best[2] >= MIN_PRECISION), best[1] if best[2] >= MIN_PRECISION else best[2]):
            best = (t, f1, prec, rec)
    return best


def _g(v) -> float:
    return float(f"{float(v):.8g}")  # 8 significant digits: small values keep their precision


def train(items: list[Item], use_embedding: bool = True) -> dict:
    import numpy as np

    tune = [i for i in items if i.split == "tune" and i.model in TUNE_MODELS]
    hw = handwritten()
    data = tune + hw
    x = _features(data, use_embedding)
    y = np.array([i.refusal for i in data])
    models = np.array([i.model for i in data])
    cv = {}
    for c in C_GRID:
        oof_p, oof_y = [], []
        for held in TUNE_MODELS:
            tr_mask = models != held
            mean, scale, coef, b = _fit(x[tr_mask], y[tr_mask], c)
            oof_p.append(_proba(x[~tr_mask & (models == held)], mean, scale, coef, b))
            oof_y.append(y[models == held])
        p, yy = np.concatenate(oof_p), np.concatenate(oof_y)
        cv[c] = _best_threshold(p, yy)
    c_best = max(cv, key=lambda c: (cv[c][2] >= MIN_PRECISION, cv[c][1]))
    thr, f1, prec, rec = cv[c_best]
    mean, scale, coef, b = _fit(x, y, c_best)
    from ..scorers.refusal_stat import EMBED_CHARS, FEATURES, MAX_TOKENS

    return {
        "kind": "logistic regression over hand features" + (" + all-MiniLM-L6-v2 embedding" if use_embedding else ""),
        "features": list(FEATURES) + ([f"minilm_{k}" for k in range(x.shape[1] - len(FEATURES))] if use_embedding else []),
        "embedding": use_embedding,
        "embed_chars": EMBED_CHARS,
        "max_tokens": MAX_TOKENS,
        "mean": [_g(v) for v in mean],
        "scale": [_g(v) for v in scale],
        "coef": [_g(v) for v in coef],
        "intercept": _g(b),
        "threshold": thr,
        "C": c_best,
        "cv": {
            str(c): {"threshold": v[0], "f1": round(v[1], 4), "precision": round(v[2], 4), "recall": round(v[3], 4)}
            for c, v in cv.items()
        },
        "trained_on": {"models": list(TUNE_MODELS) + ["handwritten"], "n": len(data), "refusals": int(y.sum())},
        "created": _dt.date.today().isoformat(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--no-embedding", action="store_true")
    ap.add_argument("--out", default=str(OUT))
    a = ap.parse_args(argv)
    items, problems = load(Path(a.data) if a.data else None)
    if not [i for i in items if i.model in TUNE_MODELS]:
        print("no tuning replies found (is ../shared/data there?)", problems[:1])
        return 1
    w = train(items, use_embedding=not a.no_embedding)
    tmp = a.out + ".tmp"
    Path(tmp).write_text(json.dumps(w, indent=None, separators=(",", ":")) + "\n", encoding="utf-8")
    os.replace(tmp, a.out)
    print(json.dumps({k: w[k] for k in ("kind", "C", "threshold", "cv", "trained_on")}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
