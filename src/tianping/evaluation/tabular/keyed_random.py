"""Random numbers keyed by (seed, stream, row): the same for a row whatever else is computed with it.

A run split into row partitions (issue 16: the boundary attack and SHAP rows as Ray tasks) must
give every row the random numbers a whole run gives it, so one generator advanced over all rows
will not do. Here the i-th number of row r is a pure function of (seed, stream, r, i): a
counter-based generator built on the SplitMix64 finaliser (Steele, Lea & Flood, 2014), evaluated
for whole (rows x numbers) blocks at once with numpy's wrapping uint64 arithmetic. It is a
simulation generator (good equidistribution, no cryptographic claim), as fast as numpy's own
`standard_normal` here, and needs no Python loop over rows.

Bootstrap resamples use numpy's Philox keyed by (seed, stream, block of resamples): resample r is
row r % RESAMPLE_BLOCK of one vectorised draw of its block, so it is the same whichever partition
draws it, and a whole run builds one generator per block instead of one per resample (a count-table
resample costs ~0.7 us instead of ~28 us, most of which was building its generator).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from functools import lru_cache

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_MASK64 = (1 << 64) - 1


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser on a uint64 array (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
        return x ^ (x >> np.uint64(31))


@lru_cache(maxsize=256)
def stream_key(seed: int, stream: str) -> int:
    """One 64-bit key for a named stream of a seed (the name hashed with CRC-32, stable across runs)."""
    word = ((int(seed) & _MASK64) << 32 ^ zlib.crc32(stream.encode())) & _MASK64
    return int(_mix(np.array([word], dtype=np.uint64))[0])


def row_bits(seed: int, stream: str, rows: np.ndarray, count: int) -> np.ndarray:
    """(len(rows), count) uint64: the first `count` numbers of each row's stream."""
    key = np.uint64(stream_key(seed, stream))
    with np.errstate(over="ignore"):
        row_key = _mix(np.asarray(rows, dtype=np.uint64) * _GOLDEN + key)
        steps = (np.arange(1, count + 1, dtype=np.uint64) * _GOLDEN)[None, :]
        return _mix(row_key[:, None] + steps)


def row_uniforms(seed: int, stream: str, rows: np.ndarray, count: int) -> np.ndarray:
    """(len(rows), count) floats in the open interval (0, 1)."""
    bits = row_bits(seed, stream, rows, count)
    return ((bits >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / (1 << 53))


def row_normals(seed: int, stream: str, rows: np.ndarray, count: int) -> np.ndarray:
    """(len(rows), count) standard normal numbers (Box-Muller, both outputs of each pair used)."""
    half = (count + 1) // 2
    u = row_uniforms(seed, stream, rows, 2 * half)
    radius = np.sqrt(-2.0 * np.log(u[:, :half]))
    angle = (2.0 * np.pi) * u[:, half:]
    return np.concatenate([radius * np.cos(angle), radius * np.sin(angle)], axis=1)[:, :count]


def row_order(seed: int, stream: str, n: int, size: int) -> np.ndarray:
    """`size` distinct row indices of range(n), ascending, chosen by the rows' keyed hashes: a uniform
    sample without replacement that any partition of the rows computes the same."""
    h = row_bits(seed, stream, np.arange(n), 1)[:, 0]
    return np.sort(np.argsort(h, kind="stable")[:size])


def resample_generator(seed: int, stream: str, resample: int) -> np.random.Generator:
    """The generator of bootstrap resample `resample` of a stream (Philox keyed by stream and resample)."""
    return np.random.Generator(np.random.Philox(key=np.array([stream_key(seed, stream), resample], dtype=np.uint64)))


RESAMPLE_BLOCK = 50  # resamples drawn together from one generator (partitions of resamples may cut blocks)


def block_resamples(
    seed: int, stream: str, resamples: np.ndarray, draw: Callable[[np.random.Generator, int], np.ndarray]
) -> np.ndarray:
    """Resamples `resamples` of a stream, stacked on axis 0 in the order given.

    `draw(generator, k)` returns k resamples along axis 0; block b's draws come from the generator of
    (seed, stream, b), so a resample's value depends only on its index, whichever resamples a part
    asks for (a part that cuts a block draws the whole block and keeps its own rows).
    """
    resamples = np.asarray(resamples, dtype=np.int64)
    blocks = resamples // RESAMPLE_BLOCK
    out: np.ndarray | None = None
    for b in np.unique(blocks):
        drawn = draw(resample_generator(seed, stream, int(b)), RESAMPLE_BLOCK)
        if out is None:
            out = np.empty((len(resamples), *drawn.shape[1:]), dtype=drawn.dtype)
        mine = np.flatnonzero(blocks == b)
        out[mine] = drawn[resamples[mine] - b * RESAMPLE_BLOCK]
    if out is None:  # no resamples asked for
        out = draw(resample_generator(seed, stream, 0), 0)
    return out
