"""The green-list watermark without a model: hashing, z-score, the logits processor, and the
false-positive rate on 1,000 human-written unwatermarked samples (500 English, 500 Chinese)."""

from __future__ import annotations

import numpy as np
import pytest

from tianping.errors import TianpingError
from tianping.provenance.watermark import (GreenListLogitsProcessor, WatermarkConfig, green_mask, green_pairs, key_seed,
                                           score_tokens, z_score)


def test_green_fraction_is_gamma_and_keyed():
    seed = key_seed("k1")
    mask = green_mask(seed, np.arange(64), 49152, 0.25)
    assert mask.shape == (64, 49152)
    assert abs(mask.mean() - 0.25) < 0.005
    assert not np.array_equal(mask, green_mask(key_seed("k2"), np.arange(64), 49152, 0.25))
    assert not np.array_equal(mask[0], mask[1])  # depends on the previous token
    # the detector's pairwise form agrees with the generator's mask
    prev, tok = np.array([3, 3, 17]), np.array([5, 40000, 9])
    assert list(green_pairs(seed, prev, tok, 0.25)) == [mask[3, 5], mask[3, 40000], mask[17, 9]]


def test_processor_adds_delta_to_green_logits():
    torch = pytest.importorskip("torch")
    proc = GreenListLogitsProcessor("key", WatermarkConfig(delta=2.0))
    ids = torch.tensor([[1, 2, 7], [0, 0, 9]])
    scores = torch.zeros(2, 1000)
    out = proc(ids, scores)
    mask = green_mask(key_seed("key"), np.array([7, 9]), 1000, 0.25)
    assert torch.equal(out, torch.from_numpy(mask).float() * 2.0)


def test_z_score_of_all_green_and_random_tokens():
    seed = key_seed("abc")
    # build a sequence where every next token is green
    rng = np.random.default_rng(0)
    seq = [1]
    for _ in range(150):
        seq.append(int(rng.choice(np.flatnonzero(green_mask(seed, np.array([seq[-1]]), 5000, 0.25)[0]))))
    d = score_tokens(seq, "abc")
    assert d.watermarked and d.z > 10 and d.green_tokens == d.scored_tokens
    zs = [score_tokens(rng.integers(0, 49152, 200), "abc").z for _ in range(300)]
    assert abs(np.mean(zs)) < 0.3 and 0.7 < np.std(zs) < 1.3
    assert z_score(25, 100, 0.25) == 0.0


def test_short_text_undecided_and_bad_settings():
    d = score_tokens([1, 2, 3, 4], "k")
    assert not d.decided and not d.watermarked
    with pytest.raises(TianpingError):
        WatermarkConfig(gamma=1.5)
    with pytest.raises(TianpingError):
        key_seed("")


def test_repeated_pairs_scored_once():
    seq = [5, 6] * 100
    assert score_tokens(seq, "k").scored_tokens == 2
    assert score_tokens(seq, "k", WatermarkConfig(ignore_repeated_pairs=False)).scored_tokens == 199


def test_false_positive_rate_on_1000_human_samples(local_model):
    """Human text (Python docs in English, catalog summaries in Chinese) carries no watermark: FPR <= 1%."""
    from tianping.provenance.watermark import detect
    from tianping.provenance.wm_eval import human_samples

    samples = human_samples(500, 500)
    assert len(samples) == 1000 and sum(1 for lang, _ in samples if lang == "zh") == 500
    zs = np.array([detect(text, "fpr-test-key", local_model.tokenizer).z for _, text in samples])
    assert (zs >= 4.0).mean() <= 0.01
    assert abs(zs.mean()) < 0.3
