"""The watermark on the real SmolLM2-135M model: watermarked generations of >= 100 tokens are detected,
unwatermarked ones and a wrong key are not, and light random word edits leave it detectable.
(The 1,000-sample model-generated FPR and the translation measurements are in benchmarks/watermark.py.)"""

from __future__ import annotations

import random

import pytest

from tianping.provenance.watermark import detect, generate_watermarked
from tianping.provenance.wm_eval import prompts, random_word_edits, words

KEY = "test-key-智能"


@pytest.fixture(scope="module")
def generations(local_model):
    ps = [p for _, p in prompts(3, 0)] + [p for _, p in prompts(0, 2)]
    wm = generate_watermarked(local_model, ps, KEY, max_new_tokens=120, min_new_tokens=100, seed=11)
    plain = generate_watermarked(local_model, ps, None, max_new_tokens=120, min_new_tokens=100, seed=11)
    return wm, plain


def test_watermarked_generations_detected(generations, local_model):
    wm, plain = generations
    tok = local_model.tokenizer
    for r in wm:
        assert r["completion_tokens"] >= 100
        d = detect(r["text"], KEY, tok)
        assert d.decided and d.watermarked and d.z >= 4.0, (d.z, r["text"][:80])
        assert not detect(r["text"], "wrong key", tok).watermarked
    for r in plain:
        assert not detect(r["text"], KEY, tok).watermarked


def test_detection_survives_light_edits(generations, local_model):
    wm, plain = generations
    vocab = [w for r in plain for w in words(r["text"])]
    rng = random.Random(1)
    zs = [detect(random_word_edits(r["text"], 0.1, rng, vocab), KEY, local_model.tokenizer).z for r in wm]
    assert sum(z >= 4.0 for z in zs) >= len(zs) - 1, zs


def test_cli_generate_and_detect(local_model, tmp_path):
    import json

    from typer.testing import CliRunner

    from tianping.cli.main import app

    runner = CliRunner()
    res = runner.invoke(app, ["watermark", "generate", "--target", "local", "-p", "Describe a rainy day in a city.",
                              "--key", KEY, "--max-new-tokens", "110", "--min-new-tokens", "100", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)["outputs"][0]
    assert out["detection"]["watermarked"]
    f = tmp_path / "t.txt"
    f.write_text(out["text"], encoding="utf-8")
    res = runner.invoke(app, ["watermark", "detect", str(f), "--key", KEY, "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["watermarked"]
    res = runner.invoke(app, ["--lang", "zh", "watermark", "detect", out["text"], "--key", "other"])
    assert res.exit_code == 0 and "未检测到水印" in res.output
    res = runner.invoke(app, ["watermark", "generate", "-p", "x", "--target", "remote", "--key", "k"])
    assert res.exit_code == 2
