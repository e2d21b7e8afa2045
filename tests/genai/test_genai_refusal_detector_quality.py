"""Precision and recall of the refusal detector on the bundled labelled set (≥ 300, 7 languages)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from tianping.evaluation.genai.scorers.refusal import detect_refusal

LABELLED = Path(__file__).resolve().parents[2] / "src/tianping/evaluation/genai/banks/refusal_labelled.jsonl"


def test_labelled_set_precision_recall(capsys):
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 300
    langs = Counter(r["lang"] for r in rows)
    assert len(langs) >= 4 and all(n >= 30 for n in langs.values())
    tp = fp = fn = 0
    per_lang: dict[str, list[int]] = {}
    for r in rows:
        pred, _ = detect_refusal(r["text"])
        c = per_lang.setdefault(r["lang"], [0, 0, 0])
        if pred and r["refusal"]:
            tp += 1
            c[0] += 1
        elif pred:
            fp += 1
            c[1] += 1
        elif r["refusal"]:
            fn += 1
            c[2] += 1
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    with capsys.disabled():
        print(f"\nrefusal detector on {len(rows)} labelled responses: precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.95 and recall >= 0.9
    for lang, (t, f, n) in per_lang.items():
        assert t / max(1, t + n) >= 0.85, lang


def test_script_and_word_gates_never_change_a_verdict():
    """The gated detector (groups skipped when the text lacks what all their patterns need) gives
    exactly the verdict and explanation of running every pattern, on every text we have."""
    from tianping.evaluation.genai.service import RunConfig, build_samples

    texts = [json.loads(line)["text"] for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts += [s.prompt for s in build_samples(RunConfig(target="openai:x", suite="tc260",
                                                        langs=["zh", "en", "ms", "id", "th", "vi", "fil"]))]
    variants = []
    for t in texts[:400]:
        variants += [t.upper(), t.lower(), "好的。" + t, "ok " + t, t.replace("'", "’")]
    for t in texts + variants:
        assert detect_refusal(t) == detect_refusal(t, gated=False), t
