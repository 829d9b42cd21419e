"""Aggregation of model states: FedAvg and robust alternatives.

The maths are pure functions over model states (name -> tensor); the strategy classes at
the bottom are thin wrappers chosen by name, Flower-style. Every function works tensor by
tensor on flat numpy views, in chunks of `CHUNK` elements, so the float64 working set stays
in cache and no float64 copy of all inputs ever exists at once.

FedAvg is **byte-deterministic**: states are combined in the order given, every product and
sum is an IEEE float64 operation (no reduction whose order depends on threads or SIMD width),
and the result is cast back to each tensor's original dtype. So `state_to_bytes(fedavg(...))`
is identical in every process and on every machine, which is what lets every honest voter
of a round commit to the same aggregate hash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
import torch

from fedledger.core.errors import AggregationError
from fedledger.learning.updates import State

CHUNK = 1 << 18
"""Elements per FedAvg working block: 256 Ki float64 = 2 MiB, so the accumulator and the
widened input stay in cache (measured fastest between 128 Ki and 512 Ki)."""

BLOCK = 1 << 20
"""Elements per (states × coordinates) block of the robust aggregators (8 MiB float64)."""


# ---------------------------------------------------------------------- plumbing
def _check_states(states: Sequence[Mapping[str, torch.Tensor]]) -> list[str]:
    """Every state must have the same names, shapes and dtypes; return the sorted names."""
    if len(states) == 0:
        raise AggregationError("nothing to aggregate: no states were given")
    first = states[0]
    if not first:
        raise AggregationError("state 0 holds no tensors")
    keys = sorted(first)
    for i, state in enumerate(states[1:], start=1):
        if sorted(state) != keys:
            missing = sorted(set(keys) - set(state))
            extra = sorted(set(state) - set(keys))
            raise AggregationError(f"state {i} tensors differ from state 0: missing {missing}, unexpected {extra}")
        for key in keys:
            a, b = first[key], state[key]
            if tuple(a.shape) != tuple(b.shape):
                raise AggregationError(
                    f"state {i} tensor {key!r} has shape {list(b.shape)}, state 0 has {list(a.shape)}"
                )
            if a.dtype != b.dtype:
                raise AggregationError(f"state {i} tensor {key!r} has dtype {b.dtype}, state 0 has {a.dtype}")
    return keys


def _check_weights(weights: Sequence[float] | None, count: int) -> np.ndarray:
    """Weights (e.g. numSamples) must be finite and positive; return them normalised."""
    if count == 0:
        raise AggregationError("nothing to aggregate: no states were given")
    if weights is None:
        return np.full(count, 1.0 / count)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (count,):
        raise AggregationError(f"got {w.size} weights for {count} states")
    bad = np.flatnonzero(~(np.isfinite(w) & (w > 0)))
    if bad.size:
        raise AggregationError(f"weights must be finite and > 0; weight {int(bad[0])} is {w[bad[0]]}")
    return w / w.sum()


def _flat(tensor: torch.Tensor) -> np.ndarray:
    """A flat numpy view of a CPU tensor (a copy only for dtypes numpy lacks, e.g. bfloat16)."""
    t = tensor.detach().to("cpu").contiguous().reshape(-1)
    if t.dtype in (torch.bfloat16, torch.float16):
        t = t.to(torch.float64)
    return t.numpy()


def _stack_chunk(flats: list[np.ndarray], start: int, stop: int, out: np.ndarray) -> np.ndarray:
    """Copy coordinates [start, stop) of every state into rows of a float64 block."""
    block = out[:, : stop - start]
    for row, flat in enumerate(flats):
        block[row] = flat[start:stop]
    return block


def _coordinatewise(states: Sequence[Mapping[str, torch.Tensor]], reduce: Any) -> State:
    """Apply `reduce(block) -> row` to (clients × coordinates) float64 blocks, tensor by tensor."""
    keys = _check_states(states)
    n = len(states)
    result: State = {}
    for key in keys:
        flats = [_flat(s[key]) for s in states]
        size = flats[0].size
        out = _output_array(states[0][key], size)
        step = max(1, BLOCK // n)
        buf = np.empty((n, min(step, max(size, 1))), dtype=np.float64)
        for start in range(0, size, step):
            stop = min(start + step, size)
            _store(out[start:stop], reduce(_stack_chunk(flats, start, stop, buf)), states[0][key].dtype)
        result[key] = _wrap(out, states[0][key])
    return result


# ---------------------------------------------------------------------- FedAvg
def fedavg(states: Sequence[Mapping[str, torch.Tensor]], weights: Sequence[float] | None = None) -> State:
    """Weighted average of states (FedAvg).

    McMahan, Moore, Ramage, Hampson & Agüera y Arcas, "Communication-Efficient Learning of
    Deep Networks from Decentralized Data", AISTATS 2017.

    `weights` are the proposers' numSamples (None = equal). Output_k = Σ_i p_i · x_ik with
    p_i = w_i / Σw, accumulated in float64 in the order given (a separate IEEE multiply and
    add per term, never a fused or reordered reduction), then cast to the tensor's dtype:
    byte-identical results in every process.
    """
    keys = _check_states(states)
    p = _check_weights(weights, len(states))
    result: State = {}
    acc_buf = np.empty(CHUNK, dtype=np.float64)
    tmp_buf = np.empty(CHUNK, dtype=np.float64)
    for key in keys:
        like = states[0][key]
        flats = [_flat(s[key]) for s in states]
        size = flats[0].size
        out = _output_array(like, size)
        for start in range(0, size, CHUNK):
            stop = min(start + CHUNK, size)
            acc = acc_buf[: stop - start]
            tmp = tmp_buf[: stop - start]
            acc[...] = flats[0][start:stop]  # exact widening cast to float64
            acc *= p[0]
            for i in range(1, len(flats)):
                tmp[...] = flats[i][start:stop]
                tmp *= p[i]
                acc += tmp
            _store(out[start:stop], acc, like.dtype)
        result[key] = _wrap(out, like)
    return result


def _output_array(like: torch.Tensor, size: int) -> np.ndarray:
    """A flat numpy array in the result's final dtype (float64 where numpy lacks it)."""
    if like.dtype == torch.bfloat16:
        return np.empty(size, dtype=np.float64)
    return torch.empty(size, dtype=like.dtype).numpy()


def _store(dest: np.ndarray, acc: np.ndarray, dtype: torch.dtype) -> None:
    """Write float64 results into `dest`, rounding for integer and bool tensors."""
    if dtype == torch.bool:
        np.greater_equal(acc, 0.5, out=dest)
    elif not dtype.is_floating_point and not dtype.is_complex:
        np.rint(acc, out=acc)
        dest[...] = acc
    else:
        dest[...] = acc


def _wrap(out: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    tensor = torch.from_numpy(out)
    if tensor.dtype != like.dtype:
        tensor = tensor.to(like.dtype)
    return tensor.reshape(like.shape)


# ---------------------------------------------------------------------- robust statistics
def coordinate_median(
    states: Sequence[Mapping[str, torch.Tensor]], weights: Sequence[float] | None = None
) -> State:
    """Coordinate-wise median (unweighted; `weights` are only validated).

    Yin, Chen, Ramchandran & Bartlett, "Byzantine-Robust Distributed Learning: Towards
    Optimal Statistical Rates", ICML 2018.
    """
    _check_weights(weights, len(states))
    return _coordinatewise(states, lambda block: np.median(block, axis=0))


def trimmed_mean(
    states: Sequence[Mapping[str, torch.Tensor]],
    beta: float,
    weights: Sequence[float] | None = None,
) -> State:
    """Coordinate-wise β-trimmed mean: drop the ⌊βn⌋ largest and smallest values per coordinate.

    Yin, Chen, Ramchandran & Bartlett, "Byzantine-Robust Distributed Learning: Towards
    Optimal Statistical Rates", ICML 2018. Unweighted; `weights` are only validated.
    """
    n = len(states)
    if not 0.0 <= beta < 0.5:
        raise AggregationError(f"trimmed_mean beta must be in [0, 0.5), got {beta}")
    if n == 0:
        raise AggregationError("nothing to aggregate: no states were given")
    _check_weights(weights, n)
    k = int(np.floor(beta * n))
    if n - 2 * k < 1:
        raise AggregationError(f"trimming {k} from each end of {n} states leaves nothing")

    def reduce(block: np.ndarray) -> np.ndarray:
        if k == 0:
            return block.mean(axis=0)
        return np.sort(block, axis=0)[k : n - k].mean(axis=0)

    return _coordinatewise(states, reduce)


def pairwise_sq_distances(states: Sequence[Mapping[str, torch.Tensor]]) -> np.ndarray:
    """Squared L2 distances between flattened states, as an (n × n) float64 matrix.

    Accumulated chunk by chunk through Gram matrices (one BLAS call per block). Each block
    is first centred on its coordinate-wise median: distances do not change, and states
    near the bulk get small coordinates, so ‖a‖²+‖b‖²−2ab does not lose their (small)
    distances to cancellation even when an outlier sits far away.
    """
    keys = _check_states(states)
    n = len(states)
    dist = np.zeros((n, n), dtype=np.float64)
    for key in keys:
        flats = [_flat(s[key]) for s in states]
        size = flats[0].size
        step = max(1, BLOCK // n)
        buf = np.empty((n, min(step, max(size, 1))), dtype=np.float64)
        for start in range(0, size, step):
            block = _stack_chunk(flats, start, min(start + step, size), buf)
            block -= np.median(block, axis=0, keepdims=True)
            gram = block @ block.T
            sq = np.diag(gram)
            dist += sq[:, None] + sq[None, :] - 2.0 * gram
    np.maximum(dist, 0.0, out=dist)
    np.fill_diagonal(dist, 0.0)
    return dist


def multi_krum_select(states: Sequence[Mapping[str, torch.Tensor]], f: int, m: int | None = None) -> list[int]:
    """Indices (ascending) of the `m` states with the lowest Krum scores.

    A state's score is the sum of squared distances to its n − f − 2 nearest other states.
    Needs n > 2f + 2. Ties are broken by index, so the choice is deterministic.
    """
    n = len(states)
    if n == 0:
        raise AggregationError("nothing to aggregate: no states were given")
    if f < 0:
        raise AggregationError(f"multi_krum f must be >= 0, got {f}")
    if n <= 2 * f + 2:
        raise AggregationError(f"multi_krum needs more than 2f + 2 = {2 * f + 2} states, got {n}")
    m = n - f if m is None else m
    if not 1 <= m <= n:
        raise AggregationError(f"multi_krum m must be in [1, {n}], got {m}")
    dist = pairwise_sq_distances(states)
    neighbours = n - f - 2
    scores = np.empty(n, dtype=np.float64)
    for i in range(n):
        others = np.sort(np.delete(dist[i], i))
        scores[i] = others[:neighbours].sum()
    chosen = np.argsort(scores, kind="stable")[:m]
    return sorted(int(i) for i in chosen)


def multi_krum(
    states: Sequence[Mapping[str, torch.Tensor]],
    f: int,
    m: int | None = None,
    weights: Sequence[float] | None = None,
) -> State:
    """Multi-Krum: FedAvg (weighted by `weights`) of the `m` most central states.

    Blanchard, El Mhamdi, Guerraoui & Stainer, "Machine Learning with Adversaries: Byzantine
    Tolerant Gradient Descent", NeurIPS 2017 (Krum, Multi-Krum); El Mhamdi, Guerraoui &
    Rouault, "The Hidden Vulnerability of Distributed Learning in Byzantium", ICML 2018.
    """
    if weights is not None:
        _check_weights(weights, len(states))
    chosen = multi_krum_select(states, f, m)
    chosen_weights = None if weights is None else [weights[i] for i in chosen]
    return fedavg([states[i] for i in chosen], chosen_weights)


# ---------------------------------------------------------------------- median alignment
MEDIAN_CHUNK = 1 << 14
"""Coordinates per working block of `median_alignment`: k float64 lanes of 128 KiB each, so
the compare-exchange passes of a block stay in cache."""

MEDIAN_NETWORK_MAX = 32
"""Up to this many rows the median comes from a pruned sorting network (element-wise min /
max passes); above it from `np.median` per block."""


def _batcher_pairs(n: int) -> list[tuple[int, int]]:
    """Comparators of Batcher's odd-even merge sort for `n` (a power of two) wires."""
    pairs: list[tuple[int, int]] = []
    p = 1
    while p < n:
        k = p
        while k >= 1:
            for j in range(k % p, n - k, 2 * k):
                for i in range(min(k, n - j - k)):
                    if (i + j) // (2 * p) == (i + j + k) // (2 * p):
                        pairs.append((i + j, i + j + k))
            k //= 2
        p *= 2
    return pairs


@lru_cache(maxsize=64)
def median_network(k: int) -> tuple[tuple[int, int], ...]:
    """Compare-exchange pairs (low wire first) that leave the middle wire(s) of `k` values
    in sorted position: Batcher's network for the next power of two, minus comparators that
    touch a padding wire (padding is +inf, so they never swap) and minus those no middle
    output depends on (walked back from the middle wires)."""
    size = 1
    while size < k:
        size *= 2
    pairs = [(a, b) for a, b in _batcher_pairs(size) if b < k]
    needed = {(k - 1) // 2, k // 2}
    kept: list[tuple[int, int]] = []
    for a, b in reversed(pairs):
        if a in needed or b in needed:
            kept.append((a, b))
            needed.update((a, b))
    return tuple(reversed(kept))


@dataclass(frozen=True)
class MedianAlignment:
    """Inner products of k rows, their coordinate-wise median m and an optional reference r.

    Everything a direction screen needs (cosines to the median, to a reference, norms)
    without keeping m or any (k × N) stack in memory.
    """

    row_median: np.ndarray
    """<row_i, m> for each row (float64, length k)."""
    row_sq: np.ndarray
    """<row_i, row_i>."""
    median_sq: float
    """<m, m>."""
    row_ref: np.ndarray | None = None
    """<row_i, r>, when a reference was given."""
    median_ref: float | None = None
    """<m, r>."""
    ref_sq: float | None = None
    """<r, r>."""


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    # einsum's own loop, not BLAS: BLAS threads spin against the trainer on a busy machine
    # (8 ms instead of 0.6 ms for 1M elements measured on 2 cores) and their reduction order
    # depends on the thread count.
    return float(np.einsum("i,i->", a, b))


def median_alignment(rows: Sequence[np.ndarray], reference: np.ndarray | None = None) -> MedianAlignment:
    """One blocked pass over k equal-length float64 rows: the coordinate-wise median m of
    the rows (as `np.median`: the middle value, or the mean of the two middle values) and
    the inner products in `MedianAlignment`.

    Why not `np.median(np.stack(rows), axis=0)`? numpy selects along the strided axis one
    column at a time (77 ms for 4 x 1M on the reference machine) and the stack copies
    everything first; the sorting network here is a few vectorised min/max passes over
    cache-sized blocks (about 10 ms for the same input). Deterministic: fixed block order,
    fixed comparator order, einsum sums, so every voter gets the same bits.
    """
    k = len(rows)
    if k == 0:
        raise AggregationError("median of no rows")
    flats = [np.ascontiguousarray(r, dtype=np.float64).reshape(-1) for r in rows]
    size = flats[0].size
    for i, f in enumerate(flats):
        if f.size != size:
            raise AggregationError(f"row {i} has {f.size} elements, row 0 has {size}")
    ref = None if reference is None else np.ascontiguousarray(reference, dtype=np.float64).reshape(-1)
    if ref is not None and ref.size != size:
        raise AggregationError(f"reference has {ref.size} elements, the rows have {size}")
    network = median_network(k) if k <= MEDIAN_NETWORK_MAX else None
    lo, hi = (k - 1) // 2, k // 2
    width = min(MEDIAN_CHUNK, max(size, 1))
    buf = np.empty((k + 1, width), dtype=np.float64)
    med_buf = np.empty(width, dtype=np.float64)
    row_median = np.zeros(k)
    row_sq = np.zeros(k)
    row_ref = np.zeros(k)
    median_sq = median_ref = ref_sq = 0.0
    for start in range(0, size, MEDIAN_CHUNK):
        stop = min(start + MEDIAN_CHUNK, size)
        chunks = [f[start:stop] for f in flats]
        if network is not None:
            lanes = [buf[i, : stop - start] for i in range(k)]
            spare = buf[k, : stop - start]
            for i, c in enumerate(chunks):
                lanes[i][...] = c
            for a, b in network:
                np.minimum(lanes[a], lanes[b], out=spare)
                np.maximum(lanes[a], lanes[b], out=lanes[b])
                lanes[a], spare = spare, lanes[a]
            if lo == hi:
                m = lanes[lo]
            else:
                m = np.add(lanes[lo], lanes[hi], out=med_buf[: stop - start])
                m /= 2.0
        else:
            m = np.median(np.stack(chunks), axis=0)
        median_sq += _dot(m, m)
        for i, c in enumerate(chunks):
            row_median[i] += _dot(c, m)
            row_sq[i] += _dot(c, c)
        if ref is not None:
            r = ref[start:stop]
            median_ref += _dot(m, r)
            ref_sq += _dot(r, r)
            for i, c in enumerate(chunks):
                row_ref[i] += _dot(c, r)
    if ref is None:
        return MedianAlignment(row_median, row_sq, median_sq)
    return MedianAlignment(row_median, row_sq, median_sq, row_ref, median_ref, ref_sq)


# ---------------------------------------------------------------------- strategies
class FedAvg:
    """The default strategy: sample-weighted average. Robust strategies override `aggregate`."""

    name: ClassVar[str] = "fedavg"

    def aggregate(self, states: Sequence[Mapping[str, torch.Tensor]], weights: Sequence[float]) -> State:
        """Combine the accepted states of a round into the next global model."""
        return fedavg(states, weights)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({params})"


class Median(FedAvg):
    """Coordinate-wise median (ignores sample counts)."""

    name: ClassVar[str] = "median"

    def aggregate(self, states: Sequence[Mapping[str, torch.Tensor]], weights: Sequence[float]) -> State:
        return coordinate_median(states, weights)


class TrimmedMean(FedAvg):
    """Coordinate-wise β-trimmed mean (ignores sample counts)."""

    name: ClassVar[str] = "trimmed_mean"

    def __init__(self, beta: float = 0.1) -> None:
        if not 0.0 <= beta < 0.5:
            raise AggregationError(f"trimmed_mean beta must be in [0, 0.5), got {beta}")
        self.beta = beta

    def aggregate(self, states: Sequence[Mapping[str, torch.Tensor]], weights: Sequence[float]) -> State:
        return trimmed_mean(states, self.beta, weights)


class MultiKrum(FedAvg):
    """Multi-Krum with up to `f` Byzantine states, averaging the `m` most central ones."""

    name: ClassVar[str] = "multi_krum"

    def __init__(self, f: int = 1, m: int | None = None) -> None:
        self.f = f
        self.m = m

    def aggregate(self, states: Sequence[Mapping[str, torch.Tensor]], weights: Sequence[float]) -> State:
        return multi_krum(states, self.f, self.m, weights)


STRATEGIES: dict[str, type[FedAvg]] = {cls.name: cls for cls in (FedAvg, Median, TrimmedMean, MultiKrum)}


def get_strategy(name: str, **params: Any) -> FedAvg:
    """Build a strategy by name (`fedavg`, `median`, `trimmed_mean`, `multi_krum`)."""
    cls = STRATEGIES.get(name)
    if cls is None:
        raise AggregationError(f"unknown aggregation strategy {name!r}; known: {', '.join(sorted(STRATEGIES))}")
    try:
        return cls(**params)
    except TypeError as exc:
        raise AggregationError(f"strategy {name!r} rejected parameters {sorted(params)}: {exc}") from None
