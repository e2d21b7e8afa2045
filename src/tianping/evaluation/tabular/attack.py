"""A black-box decision-boundary attack in the manner of HopSkipJump (Chen, Jordan & Wainwright, 2020).

Only predicted labels are used, so it works on any model (ONNX, HTTP, ...). What makes it fast is
that every step runs for all rows at once: the binary searches, the Monte-Carlo gradient probes
(rows x probes stacked into one batch) and the geometric step-size search are each one model call
per step, instead of one call per row per step (AI Verify's boundary attack loops over rows).

Distances are L2 in standardised units (each feature divided by its standard deviation), so a
perturbation of 1.0 moves a row by one standard deviation in total. Rows the model already gets
wrong are not attacked (their adversarial distance is 0).

Only verified prediction changes count. The starting point of each row is one of the nearest
sample rows the model puts in another class, but only the attacked columns are copied from it
(the row keeps its own categorical, text and sensitive values), so the start is checked with the
model and the nearest candidate that really is adversarial is used. Rows with none get random
starting points in growing spheres around them (HopSkipJump's own initialisation), checked the same
way; a row with no verified start at all is counted in `no_start` and is not a success. The final point of every
row is checked with the model again.

Every random choice is keyed by the run's seed and the row's index (`keyed_random.py`), so a row is
attacked the same way whichever other rows are attacked with it: `hop_skip_jump(..., part=rows)`
attacks only `rows`, and `merge` of the parts of any partition of the rows equals the attack of
all rows (issue 16: the attack runs as Ray tasks over row partitions). The candidate pool is drawn
from all rows by their keyed hashes, the same in every part; the probe directions of iteration t
are shared draws keyed by (seed, t) with per-row random sign flips keyed by (seed, row, t) — each
row still gets i.i.d. directions uniform on the sphere, at the cost of one hash per 64 signs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np

from .keyed_random import resample_generator, row_bits, row_normals, row_order

Predict = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (Z rows, index of the source row) -> label codes
START_RADII = np.array([0.5, 1.0, 2.0, 4.0])  # standard deviations, for random starting points


@dataclass
class AttackResult:
    distance: np.ndarray  # per row: minimal perturbation found (0 if already wrong, inf if none found)
    correct: np.ndarray  # per row: prediction was right before the attack
    queries: int  # model rows evaluated
    no_start: int = 0  # correct rows with no verified adversarial starting point (not attacked)
    unverified: int = 0  # rows whose final point did not change the prediction when checked (discarded)

    @staticmethod
    def merge(parts: list[tuple[np.ndarray, AttackResult]], n: int) -> AttackResult:
        """One result for `n` rows from the results of attacks on disjoint parts of them (each part the
        row indices it attacked and its result, whose arrays are in the order of those indices)."""
        distance = np.zeros(n)
        correct = np.zeros(n, dtype=bool)
        for rows, res in parts:
            distance[rows] = res.distance
            correct[rows] = res.correct
        return AttackResult(
            distance,
            correct,
            sum(res.queries for _, res in parts),
            no_start=sum(res.no_start for _, res in parts),
            unverified=sum(res.unverified for _, res in parts),
        )

    def adversarial_accuracy(self, eps: float) -> float:
        """Share of rows still classified correctly when any perturbation of norm <= eps is allowed."""
        return float(np.mean(self.correct & (self.distance > eps)))

    def success_rate(self) -> float:
        c = self.correct
        return float(np.mean(np.isfinite(self.distance[c]))) if c.any() else float("nan")


class _Counter:
    def __init__(self, predict: Predict):
        self.predict, self.n = predict, 0

    def __call__(self, z: np.ndarray, idx: np.ndarray) -> np.ndarray:
        self.n += len(z)
        return self.predict(z, idx)


def _binary_search(f: _Counter, x: np.ndarray, adv: np.ndarray, y: np.ndarray, idx: np.ndarray, steps: int) -> np.ndarray:
    """Move each adversarial point towards its original along the segment, staying adversarial."""
    lo = np.zeros(len(x))
    hi = np.ones(len(x))
    for _ in range(steps):
        mid = (lo + hi) / 2
        pts = x + mid[:, None] * (adv - x)
        is_adv = f(pts, idx) != y
        hi = np.where(is_adv, mid, hi)
        lo = np.where(is_adv, lo, mid)
    return x + hi[:, None] * (adv - x)


def _probe_directions(seed: int, t: int, rows: np.ndarray, m: int, d: int) -> np.ndarray:
    """(len(rows), m, d) unit vectors: iteration t's shared draws, sign-flipped per row and coordinate."""
    shared = resample_generator(seed, "attack/probes", t).standard_normal((m, d))
    shared /= np.linalg.norm(shared, axis=1, keepdims=True)
    words = -(-(m * d) // 64)
    bits = row_bits(seed, f"attack/signs/{t}", rows, words)
    signs = np.unpackbits(bits.view(np.uint8), axis=1, count=m * d).reshape(len(rows), m, d)
    return shared[None, :, :] * (1.0 - 2.0 * signs)


def hop_skip_jump(
    predict: Predict,
    z: np.ndarray,
    y: np.ndarray,
    pred0: np.ndarray,
    *,
    iterations: int = 8,
    probes: int = 32,
    max_probes: int = 96,
    search_steps: int = 10,
    seed: int = 0,
    candidates: int = 2000,
    chunk: int = 64,
    probe_rows: int = 10_000,
    start_candidates: int = 8,
    random_starts: int = 16,
    skip: np.ndarray | None = None,
    part: np.ndarray | None = None,
) -> AttackResult:
    """Attack rows `z` (standardised, shape (n, d)) whose true codes are `y` and predictions `pred0`.

    `skip` marks correct rows that must not be attacked (counted in `no_start`). `part` (row indices)
    attacks only those rows; the result's arrays are then in the order of `part` (see `merge`)."""
    f = _Counter(predict)
    n, d = z.shape
    part = np.arange(n) if part is None else np.asarray(part, dtype=np.int64)
    correct = pred0[part] == y[part]
    dist = np.where(correct, np.inf, 0.0)
    attack = correct if skip is None else correct & ~skip[part]
    n_skipped = int((correct & ~attack).sum())
    local = np.flatnonzero(attack)  # positions in `part` of the rows attacked
    if len(local) == 0 or d == 0:
        return AttackResult(dist, correct, f.n, no_start=int(correct.sum()))
    rows = part[local]
    # 1. start: the nearest rows (of a random pool) that the model puts in another class than y, with only the
    #    attacked columns copied into the row; each candidate is checked with the model, the nearest that
    #    really changes the prediction is kept (one batched call for all rows x candidates)
    pool = row_order(seed, "attack/pool", n, min(n, candidates))
    k = max(1, min(start_candidates, len(pool)))
    cand_idx = np.full((len(rows), k), -1, dtype=np.int64)
    zp = z[pool]
    zp_sq = np.einsum("pd,pd->p", zp, zp)
    for s in range(0, len(rows), chunk):
        r = rows[s : s + chunk]
        # |a - b|^2 = |a|^2 + |b|^2 - 2ab: a (chunk, pool) matrix, never (chunk, pool, d); einsum, not BLAS, so a
        # row's distances do not depend on how many rows share its chunk (partitions must agree bit for bit)
        d2 = np.einsum("kd,kd->k", z[r], z[r])[:, None] + zp_sq[None, :] - 2.0 * np.einsum("kd,pd->kp", z[r], zp)
        d2[pred0[pool][None, :] == y[r][:, None]] = np.inf
        order = np.argsort(d2, axis=1, kind="stable")[:, :k]
        ok = np.isfinite(np.take_along_axis(d2, order, axis=1))
        cand_idx[s : s + len(r)] = np.where(ok, pool[order], -1)
    rr, cc = np.nonzero(cand_idx >= 0)
    ver = np.zeros(cand_idx.shape, dtype=bool)
    if len(rr):
        ver[rr, cc] = f(z[cand_idx[rr, cc]], rows[rr]) != y[rows[rr]]
    has = cast(np.ndarray, ver.any(axis=1))
    first = np.argmax(ver, axis=1)  # candidates are in distance order: the nearest verified one wins
    start = np.full((len(rows), d), np.nan)
    start[has] = z[cand_idx[np.arange(len(rows)), first][has]]
    # 1b. rows still without a start: random directions at growing radii (HopSkipJump's own initialisation),
    #     nearest verified one first; the search below moves the start back towards the row anyway
    miss = np.flatnonzero(~has)
    if len(miss) and random_starts > 0:
        radii = np.repeat(START_RADII, max(1, random_starts // len(START_RADII)))
        u = row_normals(seed, "attack/starts", rows[miss], len(radii) * d).reshape(len(miss), len(radii), d)
        u /= np.linalg.norm(u, axis=2, keepdims=True)
        pts = z[rows[miss]][:, None, :] + radii[None, :, None] * u
        ok = (f(pts.reshape(-1, d), np.repeat(rows[miss], len(radii))) != np.repeat(y[rows[miss]], len(radii))).reshape(
            len(miss), -1
        )
        got = ok.any(axis=1)
        pick = np.argmax(ok, axis=1)  # radii ascend: the nearest verified point
        start[miss[got]] = pts[got, pick[got]]
        has[miss[got]] = True
    start = start[has]
    no_start = int((~has).sum()) + n_skipped
    rows, local = rows[has], local[has]
    if len(rows) == 0:
        return AttackResult(dist, correct, f.n, no_start=no_start)
    x, yy = z[rows], y[rows]
    # 2. project the start onto the boundary
    xb = _binary_search(f, x, start, yy, rows, search_steps)
    best_d = np.linalg.norm(xb - x, axis=1)
    for t in range(1, iterations + 1):
        m = int(min(max_probes, probes * np.sqrt(t)))
        cur = np.linalg.norm(xb - x, axis=1)
        delta = np.maximum(cur / max(d, 1), 1e-6)
        # 3. gradient direction from m random probes around each boundary point, one batch
        grad = np.empty_like(xb)
        block = max(1, probe_rows // m)  # bounded memory: at most `probe_rows` probe points at once
        for s in range(0, len(rows), block):
            sl = slice(s, s + block)
            k = len(rows[sl])
            u = _probe_directions(seed, t, rows[sl], m, d)
            pts = (xb[sl, None, :] + delta[sl, None, None] * u).reshape(-1, d)
            phi = (f(pts, np.repeat(rows[sl], m)) != np.repeat(yy[sl], m)).reshape(k, m).astype(np.float64) * 2 - 1
            mean_phi = phi.mean(axis=1, keepdims=True)
            centred = np.where(np.abs(mean_phi) == 1.0, phi, phi - mean_phi)
            grad[sl] = (centred[:, :, None] * u).sum(axis=1) / m  # summed in probe order, row by row
        norm = np.linalg.norm(grad, axis=1, keepdims=True)
        grad = np.where(norm > 0, grad / np.where(norm > 0, norm, 1), 0.0)
        # 4. geometric step-size search: halve the step until the new point is adversarial
        xi = cur / np.sqrt(t)
        new = xb.copy()
        todo = np.ones(len(rows), dtype=bool)
        for _ in range(search_steps):
            if not todo.any():
                break
            cand = xb[todo] + xi[todo, None] * grad[todo]
            adv = f(cand, rows[todo]) != yy[todo]
            idx = np.flatnonzero(todo)
            new[idx[adv]] = cand[adv]
            todo[idx[adv]] = False
            xi[todo] /= 2
        # 5. back to the boundary between the original and the new point
        xb_new = _binary_search(f, x, new, yy, rows, search_steps)
        d_new = np.linalg.norm(xb_new - x, axis=1)
        better = d_new < best_d
        xb = np.where(better[:, None], xb_new, xb)
        best_d = np.minimum(best_d, d_new)
    # 6. verify every final point with the model: only real prediction changes count
    still = f(xb, rows) != yy
    unverified = int((~still).sum())
    dist[local] = np.where(still, best_d, np.inf)
    return AttackResult(dist, correct, f.n, no_start=no_start, unverified=unverified)
