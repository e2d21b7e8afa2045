"""The index engine: NumPy over a country × year × indicator cube.

Why this shape: every step (carry-forward, winsorising, normalising, weighted aggregation with
coverage rules) is an array operation over the whole cube, so 200 countries × 30 years × 50
indicators with 1,000 weight perturbations takes about a second (see docs/benchmarks.md).
Weight perturbations only change the aggregation, so normalised values are computed once and the
Monte Carlo draws are matrix products, processed in chunks to bound memory.

Coverage uses the *declared* weights and counts only real data (observed or carried forward), so
whether a country gets a score never depends on a random draw or on imputed values.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .methodology import Methodology

_CHUNK = 64  # Monte Carlo draws per matrix product; bounds memory to ~C*Y*CHUNK*D floats
# Monte Carlo draws aggregate in float32: half the memory traffic (the cost of this step), and a
# 1e-7 relative rounding cannot move a rank except between scores that are equal for any purpose.
_MC_DTYPE = np.float32


@dataclass
class Structure:
    """A methodology compiled to index arrays. A slot is one (dimension, indicator) pair."""

    indicators: list[str]
    slot_indicator: np.ndarray  # [S] index into indicators
    slot_dim: np.ndarray  # [S]
    slot_weight: np.ndarray  # [S] weight within its dimension, normalised to sum 1
    slot_log: np.ndarray  # [S] bool
    slot_lower_better: np.ndarray  # [S] bool
    dim_ids: list[str]
    dim_pillar: np.ndarray  # [D]
    dim_weight: np.ndarray  # [D] within pillar, normalised
    dim_min: np.ndarray  # [D]
    pillar_ids: list[str]
    pillar_weight: np.ndarray  # [P] normalised
    pillar_min: np.ndarray  # [P]
    index_min: float
    method: str
    reference: str
    winsor: tuple[float, float] | None
    carry_forward: int
    impute: str

    @classmethod
    def from_methodology(cls, m: Methodology) -> Structure:
        inds = m.indicator_ids()
        pos = {k: i for i, k in enumerate(inds)}
        s_ind, s_dim, s_w, s_log, s_low = [], [], [], [], []
        d_ids: list[str] = []
        d_pil: list[int] = []
        d_w: list[float] = []
        d_min: list[float] = []
        for pi, p in enumerate(m.pillars):
            dsum = sum(d.weight for d in p.dimensions) or 1.0
            for d in p.dimensions:
                di = len(d_ids)
                d_ids.append(d.id)
                d_pil.append(pi)
                d_w.append(d.weight / dsum)
                d_min.append(d.min_coverage)
                isum = sum(i.weight for i in d.indicators) or 1.0
                for ind in d.indicators:
                    s_ind.append(pos[ind.id])
                    s_dim.append(di)
                    s_w.append(ind.weight / isum)
                    s_log.append(ind.transform == "log")
                    s_low.append(ind.direction == "lower_is_better")
        psum = sum(p.weight for p in m.pillars) or 1.0
        w = m.normalisation.winsorise
        return cls(
            indicators=inds,
            slot_indicator=np.array(s_ind),
            slot_dim=np.array(s_dim),
            slot_weight=np.array(s_w),
            slot_log=np.array(s_log),
            slot_lower_better=np.array(s_low),
            dim_ids=d_ids,
            dim_pillar=np.array(d_pil),
            dim_weight=np.array(d_w),
            dim_min=np.array(d_min),
            pillar_ids=[p.id for p in m.pillars],
            pillar_weight=np.array([p.weight / psum for p in m.pillars]),
            pillar_min=np.array([p.min_coverage for p in m.pillars]),
            index_min=m.min_coverage,
            method=m.normalisation.method,
            reference=m.normalisation.reference,
            winsor=(w.lower, w.upper) if w else None,
            carry_forward=m.imputation.carry_forward_years,
            impute=m.imputation.method,
        )

    @property
    def n_slots(self) -> int:
        return len(self.slot_indicator)

    def slot_dim_matrix(self) -> np.ndarray:
        g = np.zeros((self.n_slots, len(self.dim_ids)))
        g[np.arange(self.n_slots), self.slot_dim] = 1.0
        return g

    def dim_pillar_matrix(self) -> np.ndarray:
        g = np.zeros((len(self.dim_ids), len(self.pillar_ids)))
        g[np.arange(len(self.dim_ids)), self.dim_pillar] = 1.0
        return g

    def pillar_bounds(self) -> list[tuple[int, int]]:
        """[start, stop) of each pillar's dimensions (dimensions are stored grouped by pillar)."""
        starts = np.searchsorted(self.dim_pillar, np.arange(len(self.pillar_ids) + 1))
        return [(int(a), int(b)) for a, b in zip(starts[:-1], starts[1:], strict=True)]

    def dim_slots(self) -> list[np.ndarray]:
        return [np.nonzero(self.slot_dim == d)[0] for d in range(len(self.dim_ids))]

    def effective_slot_weight(self) -> np.ndarray:
        """Each slot's share of the whole index under the declared weights."""
        return self.slot_weight * self.dim_weight[self.slot_dim] * self.pillar_weight[self.dim_pillar[self.slot_dim]]


@dataclass
class Sensitivity:
    """Rank stability under random weight perturbation, per country and year."""

    draws: int
    spread: float
    seed: int
    years: np.ndarray  # [Ys]
    rank_median: np.ndarray  # [C, Ys] (0 = unranked)
    rank_p05: np.ndarray
    rank_p95: np.ndarray
    share_same_rank: np.ndarray  # [C, Ys] share of draws giving the nominal rank
    mean_abs_shift: np.ndarray  # [C, Ys]


@dataclass
class IndexResult:
    countries: list[str]
    years: np.ndarray
    structure: Structure
    raw: np.ndarray  # [C, Y, S] values used (after carry-forward, before transform), NaN = missing
    normalised: np.ndarray  # [C, Y, S]
    observed: np.ndarray  # [C, Y, S] bool: real data in that year
    carried: np.ndarray  # [C, Y, S] bool: last observation carried forward
    imputed: np.ndarray  # [C, Y, S] bool: filled by mean/median imputation
    dim_coverage: np.ndarray  # [C, Y, D] share of dimension weight with real data
    dim_score: np.ndarray  # [C, Y, D]
    pillar_score: np.ndarray  # [C, Y, P]
    index_coverage: np.ndarray  # [C, Y] share of pillar weight with a pillar score
    data_coverage: np.ndarray  # [C, Y] share of the whole index weight with real data
    index: np.ndarray  # [C, Y] NaN = not enough data
    rank: np.ndarray  # [C, Y] 1 = best, 0 = unranked
    sensitivity: Sensitivity | None = field(default=None)

    def year_index(self, year: int) -> int:
        hits = np.nonzero(self.years == year)[0]
        if not len(hits):
            raise KeyError(year)
        return int(hits[0])


# ------------------------------------------------------------------------------ preparation
def _nanquantile_axis0(x: np.ndarray, q: float) -> np.ndarray:
    """Quantile over axis 0 ignoring NaN, fully vectorised (np.nanquantile loops per column)."""
    s = np.sort(x, axis=0)  # NaN sort last
    n = np.sum(~np.isnan(x), axis=0)
    pos = q * np.maximum(n - 1, 0)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
    frac = pos - lo
    vlo = np.take_along_axis(s, lo[None], axis=0)[0]
    vhi = np.take_along_axis(s, hi[None], axis=0)[0]
    out = vlo + (vhi - vlo) * frac
    return np.where(n > 0, out, np.nan)


def _pct_rank_axis0(x: np.ndarray) -> np.ndarray:
    """Percentile rank 0..100 over axis 0 with average ties; NaN stays NaN."""
    flat = x.reshape(x.shape[0], -1)
    n = np.sum(~np.isnan(flat), axis=0)
    key = np.where(np.isnan(flat), np.inf, flat)
    order = np.argsort(key, axis=0, kind="stable")
    sorted_vals = np.take_along_axis(key, order, axis=0)
    ordinal = np.empty_like(order)
    np.put_along_axis(ordinal, order, np.arange(flat.shape[0])[:, None].repeat(flat.shape[1], 1), axis=0)
    # average ties: for runs of equal values, use the mean ordinal of the run
    new_run = np.ones_like(sorted_vals, dtype=bool)
    new_run[1:] = sorted_vals[1:] != sorted_vals[:-1]
    run_id = np.cumsum(new_run, axis=0) - 1
    ranks_sorted = np.empty(flat.shape, dtype=float)
    for j in range(flat.shape[1]):  # ties are rare; a small per-column loop over run ids is cheap
        rid = run_id[:, j]
        sums = np.bincount(rid, weights=np.arange(flat.shape[0], dtype=float))
        counts = np.bincount(rid)
        ranks_sorted[:, j] = (sums / counts)[rid]
    ranks = np.empty_like(ranks_sorted)
    np.put_along_axis(ranks, order, ranks_sorted, axis=0)
    denom = np.maximum(n - 1, 1)
    pct = np.where(n > 1, ranks / denom * 100.0, 50.0)
    return np.where(np.isnan(flat), np.nan, pct).reshape(x.shape)


def _by_reference(x: np.ndarray, reference: str) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """View the cube so that axis 0 is the set of values compared with each other."""
    C, Y, S = x.shape
    if reference == "pooled":
        return x.reshape(C * Y, S), lambda a: a.reshape(C, Y, S)
    return x, lambda a: a


def prepare(struct: Structure, cube: np.ndarray) -> dict[str, np.ndarray]:
    """Transform, carry forward, winsorise, normalise and (optionally) impute. cube: [C, Y, I]."""
    x = cube[:, :, struct.slot_indicator].astype(float, copy=True)
    C, Y, S = x.shape
    valid = ~np.isnan(x)
    carried = np.zeros_like(valid)
    if struct.carry_forward > 0 and Y > 1:
        t = np.arange(Y)[None, :, None]
        last = np.maximum.accumulate(np.where(valid, t, -1), axis=1)
        carried = ~valid & (last >= 0) & (t - last <= struct.carry_forward)
        filled = np.take_along_axis(x, np.maximum(last, 0), axis=1)
        x = np.where(carried, filled, x)
    observed = valid | carried
    raw = x.copy()
    if struct.slot_log.any():
        logs = x[:, :, struct.slot_log]
        x[:, :, struct.slot_log] = np.where(logs >= 0, np.log1p(np.where(logs >= 0, logs, 0)), np.nan)
    view, back = _by_reference(x, struct.reference)
    if struct.winsor is not None:
        lo, hi = struct.winsor
        if lo > 0:
            view = np.fmax(view, _nanquantile_axis0(view, lo)[None])
        if hi < 1:
            view = np.fmin(view, _nanquantile_axis0(view, hi)[None])
    with np.errstate(invalid="ignore", divide="ignore"):
        if struct.method == "minmax":
            mn, mx = (
                np.nanmin(np.where(np.isnan(view), np.inf, view), axis=0),
                np.nanmax(np.where(np.isnan(view), -np.inf, view), axis=0),
            )
            rng = mx - mn
            z = np.where(rng > 0, (view - mn) / np.where(rng > 0, rng, 1) * 100.0, 50.0)
        elif struct.method == "zscore":
            n = np.sum(~np.isnan(view), axis=0)
            mean = np.nansum(view, axis=0) / np.maximum(n, 1)
            sd = np.sqrt(np.nansum((view - mean) ** 2, axis=0) / np.maximum(n, 1))
            z = np.where(sd > 0, (view - mean) / np.where(sd > 0, sd, 1), 0.0)
        else:
            z = _pct_rank_axis0(view)
    z = np.where(np.isnan(view), np.nan, z)
    z = back(z)
    if struct.slot_lower_better.any():
        flip = struct.slot_lower_better
        z[:, :, flip] = -z[:, :, flip] if struct.method == "zscore" else 100.0 - z[:, :, flip]
    observed &= ~np.isnan(z)  # a value the transform cannot use (log of a negative) is not data
    imputed = np.zeros_like(observed)
    if struct.impute != "none":
        with warnings.catch_warnings():  # an all-missing column has no mean: it stays missing
            warnings.simplefilter("ignore", RuntimeWarning)
            fill = np.nanmean(z, axis=0) if struct.impute == "mean" else np.nanmedian(z, axis=0)
        imputed = np.isnan(z) & ~np.isnan(fill)[None]
        z = np.where(imputed, fill[None], z)
    return {"raw": raw, "z": z, "observed": observed, "carried": carried, "imputed": imputed}


# ------------------------------------------------------------------------------ aggregation
def coverage_masks(struct: Structure, observed: np.ndarray) -> dict[str, np.ndarray]:
    """Which dimensions, pillars and index values exist, from declared weights and real data only."""
    C, Y, S = observed.shape
    obs = observed.reshape(C * Y, S).astype(float)
    dim_cov = obs @ (struct.slot_dim_matrix() * struct.slot_weight[:, None])  # [CY, D]
    dim_ok = (dim_cov > 0) & (dim_cov >= struct.dim_min[None] - 1e-12)
    pil_cov = dim_ok.astype(float) @ (struct.dim_pillar_matrix() * struct.dim_weight[:, None])
    pil_ok = (pil_cov > 0) & (pil_cov >= struct.pillar_min[None] - 1e-12)
    idx_cov = pil_ok.astype(float) @ struct.pillar_weight
    idx_ok = (idx_cov > 0) & (idx_cov >= struct.index_min - 1e-12)
    data_cov = obs @ struct.effective_slot_weight()
    return {"dim_cov": dim_cov, "dim_ok": dim_ok, "pil_ok": pil_ok, "idx_cov": idx_cov, "idx_ok": idx_ok, "data_cov": data_cov}


def aggregate(
    struct: Structure,
    z: np.ndarray,
    masks: dict[str, np.ndarray],
    w_slot: np.ndarray,
    w_dim: np.ndarray,
    w_pil: np.ndarray,
    *,
    with_parts: bool = False,
    dtype: type = np.float64,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Scores for K weight sets at once. z: [C, Y, S]; w_*: [K, S|D|P].

    Returns the index as [K, C*Y] (and, with_parts, dimensions [D, K, C*Y] and pillars [P, K, C*Y]).
    A missing indicator drops out of numerator and denominator, so the remaining weights are
    renormalised; a dimension or pillar below its coverage gets weight 0 one level up. Arrays are
    laid out dimension-major so that summing the dimensions of a pillar adds contiguous blocks
    (a [N, 10] @ [10, 5] product was 4x slower), and denominators that only depend on masks are
    matrix products instead of [D, K, C*Y] temporaries.
    """
    C, Y, S = z.shape
    CY, K = C * Y, w_slot.shape[0]
    zr = z.reshape(CY, S)
    avail = ~np.isnan(zr)
    tiny = np.finfo(dtype).tiny
    zt: np.ndarray = np.ascontiguousarray(np.where(avail, zr, 0.0).T, dtype=dtype)  # [S, CY]
    at: np.ndarray = np.ascontiguousarray(avail.T, dtype=dtype)
    G = struct.slot_dim_matrix()
    D, P = G.shape[1], len(struct.pillar_ids)
    ok_d = masks["dim_ok"].T  # [D, CY]
    ok_p = masks["pil_ok"].T  # [P, CY]
    # one dense product beats D small ones: BLAS threads amortise (measured 0.6 s vs 1.9 s per 1,000 draws)
    Mt = (G.T[:, None, :] * w_slot[None]).reshape(D * K, S).astype(dtype)
    dim = (Mt @ zt).reshape(D, K, CY)
    den = (Mt @ at).reshape(D, K, CY)
    den += np.where(ok_d, tiny, np.inf).astype(dtype)[:, None, :]  # below coverage -> score 0 and weight 0 (below)
    dim /= den
    dims_out = np.where(ok_d[:, None, :], dim, np.nan) if with_parts else None
    dim *= w_dim.T.astype(dtype)[:, :, None]
    bounds = struct.pillar_bounds()
    pil = np.stack([dim[a:b].sum(axis=0) for a, b in bounds])  # [P, K, CY]
    Hw = (struct.dim_pillar_matrix().T[:, None, :] * w_dim[None]).reshape(P * K, D).astype(dtype)
    pden = (Hw @ ok_d.astype(dtype)).reshape(P, K, CY)
    pden += np.where(ok_p, tiny, np.inf).astype(dtype)[:, None, :]
    pil /= pden
    pils_out = np.where(ok_p[:, None, :], pil, np.nan) if with_parts else None
    pil *= w_pil.T.astype(dtype)[:, :, None]
    idx = pil.sum(axis=0)
    idx /= (w_pil.astype(dtype) @ ok_p.astype(dtype)) + tiny  # [K, CY]
    idx[:, ~masks["idx_ok"]] = np.nan
    return idx, dims_out, pils_out


def ranks_of(scores: np.ndarray) -> np.ndarray:
    """Rank along axis 0 (1 = highest); NaN gets 0. Works for [C, ...] arrays."""
    key = np.where(np.isnan(scores), np.inf, -scores)
    order = np.argsort(key, axis=0, kind="stable")
    ranks = np.empty(scores.shape, dtype=np.int32)
    shape = [scores.shape[0]] + [1] * (scores.ndim - 1)
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(1, scores.shape[0] + 1).reshape(shape), scores.shape), axis=0)
    return np.where(np.isnan(scores), 0, ranks)


def _ranks_last(scores: np.ndarray) -> np.ndarray:
    """Rank along the last (contiguous) axis, 1 = highest, NaN -> 0; faster than ranks_of for big batches."""
    key = np.where(np.isnan(scores), np.inf, -scores)
    order = np.argsort(key, axis=-1, kind="stable")
    ranks = np.empty(scores.shape, dtype=np.int32)
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(1, scores.shape[-1] + 1), scores.shape), axis=-1)
    ranks[np.isnan(scores)] = 0
    return ranks


def perturbed_weights(struct: Structure, draws: int, spread: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All draws up front, so results do not depend on the chunk size."""
    rng = np.random.default_rng(seed)
    f_s = rng.uniform(1 - spread, 1 + spread, (draws, struct.n_slots))
    f_d = rng.uniform(1 - spread, 1 + spread, (draws, len(struct.dim_ids)))
    f_p = rng.uniform(1 - spread, 1 + spread, (draws, len(struct.pillar_ids)))
    return struct.slot_weight * f_s, struct.dim_weight * f_d, struct.pillar_weight * f_p


def compute(
    struct: Structure,
    countries: list[str],
    years: np.ndarray,
    cube: np.ndarray,
    *,
    draws: int = 0,
    spread: float = 0.25,
    seed: int = 0,
    sensitivity_years: list[int] | None = None,
) -> IndexResult:
    """The full index for every country and year, optionally with Monte Carlo rank stability."""
    years = np.asarray(years)
    C, Y = len(countries), len(years)
    prep = prepare(struct, cube)
    masks = coverage_masks(struct, prep["observed"])
    idx, dim, pil = aggregate(
        struct, prep["z"], masks, struct.slot_weight[None], struct.dim_weight[None], struct.pillar_weight[None], with_parts=True
    )
    assert dim is not None and pil is not None  # with_parts=True returns them
    index = idx[0].reshape(C, Y)
    rank = ranks_of(index)
    D, P = len(struct.dim_ids), len(struct.pillar_ids)
    result = IndexResult(
        countries=countries,
        years=years,
        structure=struct,
        raw=prep["raw"],
        normalised=prep["z"],
        observed=prep["observed"] & ~prep["carried"],
        carried=prep["carried"],
        imputed=prep["imputed"],
        dim_coverage=masks["dim_cov"].reshape(C, Y, D),
        dim_score=dim[:, 0, :].T.reshape(C, Y, D),
        pillar_score=pil[:, 0, :].T.reshape(C, Y, P),
        index_coverage=masks["idx_cov"].reshape(C, Y),
        data_coverage=masks["data_cov"].reshape(C, Y),
        index=index,
        rank=rank,
    )
    if draws > 0:
        result.sensitivity = _sensitivity(struct, prep["z"], masks, rank, years, draws, spread, seed, sensitivity_years)
    return result


def _sensitivity(
    struct: Structure,
    z: np.ndarray,
    masks: dict[str, np.ndarray],
    nominal_rank: np.ndarray,
    years: np.ndarray,
    draws: int,
    spread: float,
    seed: int,
    sensitivity_years: list[int] | None,
) -> Sensitivity:
    C, Y, S = z.shape
    sel = np.arange(Y) if sensitivity_years is None else np.array([int(np.nonzero(years == y)[0][0]) for y in sensitivity_years])
    zs = z[:, sel, :]
    ms = {k: v.reshape(C, Y, *v.shape[1:])[:, sel].reshape(C * len(sel), *v.shape[1:]) for k, v in masks.items()}
    w_s, w_d, w_p = perturbed_weights(struct, draws, spread, seed)
    Ys = len(sel)
    ranks = np.empty((draws, Ys, C), dtype=np.int16 if C < 32000 else np.int32)
    for start in range(0, draws, _CHUNK):
        stop = min(start + _CHUNK, draws)
        idx, _, _ = aggregate(struct, zs, ms, w_s[start:stop], w_d[start:stop], w_p[start:stop], dtype=_MC_DTYPE)
        scores = np.ascontiguousarray(idx.reshape(stop - start, C, Ys).transpose(0, 2, 1))  # [k, Ys, C]
        ranks[start:stop] = _ranks_last(scores)
    ranks = ranks.transpose(0, 2, 1)  # [draws, C, Ys]
    srt = np.sort(ranks, axis=0)

    def q(p: float) -> np.ndarray:
        return srt[int(round(p * (draws - 1)))]

    nom = nominal_rank[:, sel]
    ranked = nom > 0
    same = np.mean(ranks == nom[None], axis=0)
    shift = np.mean(np.abs(ranks.astype(np.int32) - nom[None]), axis=0)
    return Sensitivity(
        draws=draws,
        spread=spread,
        seed=seed,
        years=years[sel],
        rank_median=np.where(ranked, q(0.5), 0),
        rank_p05=np.where(ranked, q(0.05), 0),
        rank_p95=np.where(ranked, q(0.95), 0),
        share_same_rank=np.where(ranked, same, np.nan),
        mean_abs_shift=np.where(ranked, shift, np.nan),
    )
