"""Keyed green-list text watermark (Kirchenbauer et al., 2023, "A Watermark for Large Language Models").

Why this scheme: it needs nothing but the generating model's logits at generation time, and the
detector needs only the text, the tokenizer and the key — not the model — so a platform can check
text it receives. At each step the previous token and a secret key pick a pseudo-random "green"
fraction `gamma` of the vocabulary, and `delta` is added to the green logits. Unwatermarked text
hits green tokens with probability `gamma`, so a one-proportion z-test on the count of green
tokens detects the bias.

Choices made here (and why):
* The green list is a keyed hash of (previous token id, candidate token id) instead of seeding a
  random permutation per step: the same bits, computed vectorised for the whole vocabulary with
  NumPy's wrapping uint64 arithmetic (splitmix64 finaliser), so it costs ~1 ms per step and the
  detector reproduces it exactly without torch.
* The key is stretched with HMAC-SHA256, so keys of any length give a full 64-bit seed and the
  key itself never appears in reports (only a short fingerprint).
* By default the detector scores each (previous, current) token pair once: repetitive text
  (lists, boilerplate, the same phrase twice) otherwise inflates z because repeated pairs are
  not independent trials — the fix proposed by Kirchenbauer et al. in their follow-up
  "On the Reliability of Watermarks for LLMs" (2023).

Limits: the signal lives in the token sequence, so paraphrase and translation remove it (see
docs/provenance.md and docs/benchmarks.md for measurements); short texts (< ~50 scored tokens)
cannot reach a useful z.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..errors import TianpingError

SCHEME = "tianping-greenlist-v1"
_K1 = np.uint64(0x9E3779B97F4A7C15)
_K2 = np.uint64(0xD1B54A32D192ED03)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)


@dataclass(frozen=True)
class WatermarkConfig:
    """Parameters shared by generator and detector (the detector must use the generator's gamma)."""

    gamma: float = 0.25
    delta: float = 2.0
    z_threshold: float = 4.0
    min_scored_tokens: int = 16
    ignore_repeated_pairs: bool = True

    def __post_init__(self) -> None:
        if not 0.0 < self.gamma < 1.0:
            raise TianpingError(f"gamma must be between 0 and 1 (got {self.gamma})", title="invalid watermark setting")
        if self.delta < 0:
            raise TianpingError(f"delta must not be negative (got {self.delta})", title="invalid watermark setting")


def key_seed(key: str) -> np.uint64:
    """64-bit seed from a secret key of any length (HMAC-SHA256, domain-separated)."""
    if not key:
        raise TianpingError("a watermark key must not be empty", title="invalid watermark key")
    digest = hmac.new(key.encode("utf-8"), SCHEME.encode("ascii"), hashlib.sha256).digest()
    return np.uint64(int.from_bytes(digest[:8], "big"))


def key_fingerprint(key: str) -> str:
    """A short public id of the key for reports (SHA-256 of the derived seed, 12 hex digits)."""
    return hashlib.sha256(int(key_seed(key)).to_bytes(8, "big")).hexdigest()[:12]


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a bijective avalanche on uint64 (wrapping arithmetic)."""
    x = x ^ (x >> _S30)
    x = x * _M2
    x = x ^ (x >> _S27)
    x = x * _M3
    return x ^ (x >> _S31)


def _threshold(gamma: float) -> np.uint64:
    return np.uint64(min(int(gamma * 2.0**64), 2**64 - 1))


def green_pairs(seed: np.uint64, prev: np.ndarray, tok: np.ndarray, gamma: float) -> np.ndarray:
    """Whether each `tok` is green after `prev` (arrays broadcast against each other)."""
    with np.errstate(over="ignore"):
        row = _mix(np.asarray(prev, dtype=np.uint64) * _K1 ^ seed)
        return _mix(row ^ (np.asarray(tok, dtype=np.uint64) * _K2)) < _threshold(gamma)


def green_mask(seed: np.uint64, prev_tokens: np.ndarray, vocab_size: int, gamma: float) -> np.ndarray:
    """Boolean (batch, vocab) mask of green tokens for each row's previous token."""
    vocab = np.arange(vocab_size, dtype=np.uint64)[None, :]
    return green_pairs(seed, np.asarray(prev_tokens, dtype=np.uint64)[:, None], vocab, gamma)


class GreenListLogitsProcessor:
    """A `transformers` logits processor adding `delta` to the keyed green list of every step.

    Duck-typed (callable with input_ids, scores) so importing this module does not import torch;
    `transformers.LogitsProcessorList` accepts any such callable.
    """

    def __init__(self, key: str, config: WatermarkConfig | None = None):
        self.config = config or WatermarkConfig()
        self.seed = key_seed(key)

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        prev = input_ids[:, -1].detach().cpu().numpy()
        mask = torch.from_numpy(green_mask(self.seed, prev, scores.shape[-1], self.config.gamma)).to(scores.device)
        return scores + mask.to(scores.dtype) * self.config.delta


class MinNewTokens:
    """Suppress end-of-sequence until `n` new tokens exist (the watermark needs length to be detectable)."""

    def __init__(self, n: int, eos_token_id: int):
        self.n, self.eos, self.start = n, eos_token_id, None

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if self.start is None:
            self.start = input_ids.shape[1]
        if input_ids.shape[1] - self.start < self.n:
            scores[:, self.eos] = -float("inf")
        return scores


@dataclass
class Detection:
    """Result of scoring one text: the z-score and the counts behind it."""

    z: float
    p_value: float
    scored_tokens: int
    green_tokens: int
    total_tokens: int
    watermarked: bool
    decided: bool
    gamma: float
    threshold: float
    key_fingerprint: str
    scheme: str = SCHEME

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def z_score(green: int, scored: int, gamma: float) -> float:
    if scored <= 0:
        return 0.0
    return (green - gamma * scored) / math.sqrt(scored * gamma * (1.0 - gamma))


def score_tokens(token_ids: Sequence[int], key: str, config: WatermarkConfig | None = None) -> Detection:
    """Detect from token ids alone (the first token has no predecessor and is not scored)."""
    cfg = config or WatermarkConfig()
    ids = np.asarray(list(token_ids), dtype=np.int64)
    prev, tok = ids[:-1], ids[1:]
    if cfg.ignore_repeated_pairs and len(tok):
        pairs = np.unique(np.stack([prev, tok], axis=1), axis=0)
        prev, tok = pairs[:, 0], pairs[:, 1]
    green = int(green_pairs(key_seed(key), prev, tok, cfg.gamma).sum()) if len(tok) else 0
    scored = int(len(tok))
    z = z_score(green, scored, cfg.gamma)
    decided = scored >= cfg.min_scored_tokens
    return Detection(
        z=round(z, 4),
        p_value=float(0.5 * math.erfc(z / math.sqrt(2))),
        scored_tokens=scored,
        green_tokens=green,
        total_tokens=int(len(ids)),
        watermarked=decided and z >= cfg.z_threshold,
        decided=decided,
        gamma=cfg.gamma,
        threshold=cfg.z_threshold,
        key_fingerprint=key_fingerprint(key),
    )


def detect(text: str, key: str, tokenizer: Any = None, config: WatermarkConfig | None = None) -> Detection:
    """Detect the watermark in `text` with `key` (tokenizer: the generating model's; default SmolLM2)."""
    tok = tokenizer if tokenizer is not None else load_tokenizer()
    ids = tok(text, add_special_tokens=False)["input_ids"]
    return score_tokens(ids, key, config)


def load_tokenizer(path: str | None = None) -> Any:
    """The tokenizer of the local model, without loading weights when the dequantised cache exists."""
    from ..llm import local

    src = local.smollm2_gguf() if path is None else None
    if src is not None:
        cached = local.data_home() / "models" / local._gguf_key(src)
        if (cached / "tokenizer.json").exists():
            from transformers import AutoTokenizer

            return AutoTokenizer.from_pretrained(cached, local_files_only=True)
    return local.load_local_model(path).tokenizer


def generate_watermarked(
    model: Any,
    prompts: Sequence[str],
    key: str | None,
    *,
    config: WatermarkConfig | None = None,
    max_new_tokens: int = 200,
    min_new_tokens: int = 0,
    temperature: float = 1.0,
    top_p: float = 1.0,
    seed: int | None = 0,
    system: str | None = None,
) -> list[dict[str, Any]]:
    """Generate with a `LocalModel`; key=None generates the unwatermarked control with the same settings."""
    procs: list[Any] = []
    if min_new_tokens:
        procs.append(MinNewTokens(min_new_tokens, model.eos_token_id))
    if key is not None:
        procs.append(GreenListLogitsProcessor(key, config))
    return model.generate(
        list(prompts),
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        top_p=top_p,
        seed=seed,
        system=system,
        logits_processor=procs or None,
    )
