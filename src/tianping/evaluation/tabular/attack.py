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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np

Predict = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (Z rows, index of the source row) -> label codes
START_RADII = np.array([0.5, 1.0, 2.0, 4.0])  # standard deviations, for random starting points


@dataclass
class AttackResult:
    distance: np.ndarray  # per row: minimal perturbation found (0 if already wrong, inf if none found)
    correct: np.ndarray  # per row: prediction was right before the attack
    queries: int  # model rows evaluated
    no_start: int = 0  # correct rows with no verified adversarial starting point (not attacked)
    unverified: int = 0  # rows whose final point did not change the prediction when checked (discarded)

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
) -> AttackResult:
    """Attack rows `z` (standardised, shape (n, d)) whose true codes are `y` and predictions `pred0`.

    `skip` marks correct rows that must not be attacked (counted in `no_start`)."""
    rng = np.random.default_rng(seed)
    f = _Counter(predict)
    n, d = z.shape
    correct = pred0 == y
    dist = np.where(correct, np.inf, 0.0)
    attack = correct if skip is None else correct & ~skip
    n_skipped = int((correct & ~attack).sum())
    rows = np.flatnonzero(attack)
    if len(rows) == 0 or d == 0:
        return AttackResult(dist, correct, f.n, no_start=int(correct.sum()))
    # 1. start: the nearest rows (of a random pool) that the model puts in another class than y, with only the
    #    attacked columns copied into the row; each candidate is checked with the model, the nearest that
    #    really changes the prediction is kept (one batched call for all rows x candidates)
    pool = rng.choice(n, size=min(n, candidates), replace=False)
    k = max(1, min(start_candidates, len(pool)))
    cand_idx = np.full((len(rows), k), -1, dtype=np.int64)
    zp = z[pool]
    zp_sq = (zp**2).sum(axis=1)
    for s in range(0, len(rows), chunk):
        r = rows[s : s + chunk]
        # |a - b|^2 = |a|^2 + |b|^2 - 2ab: a (chunk, pool) matrix, never (chunk, pool, d)
        d2 = (z[r] ** 2).sum(axis=1)[:, None] + zp_sq[None, :] - 2.0 * z[r] @ zp.T
        d2[pred0[pool][None, :] == y[r][:, None]] = np.inf
        order = np.argsort(d2, axis=1)[:, :k]
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
        u = rng.standard_normal((len(miss), len(radii), d))
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
    rows = rows[has]
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
            u = rng.standard_normal((k, m, d))
            u /= np.linalg.norm(u, axis=2, keepdims=True)
            pts = (xb[sl, None, :] + delta[sl, None, None] * u).reshape(-1, d)
            phi = (f(pts, np.repeat(rows[sl], m)) != np.repeat(yy[sl], m)).reshape(k, m).astype(np.float64) * 2 - 1
            mean_phi = phi.mean(axis=1, keepdims=True)
            centred = np.where(np.abs(mean_phi) == 1.0, phi, phi - mean_phi)
            grad[sl] = np.einsum("km,kmd->kd", centred, u) / m
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
    dist[rows] = np.where(still, best_d, np.inf)
    return AttackResult(dist, correct, f.n, no_start=no_start, unverified=unverified)
