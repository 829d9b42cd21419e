"""Aggregation: FedAvg maths and byte-determinism (across processes), robust strategies."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import fedledger
from fedledger.core.errors import AggregationError
from fedledger.learning import aggregate as agg
from fedledger.learning.aggregate import (
    MEDIAN_CHUNK,
    coordinate_median,
    fedavg,
    get_strategy,
    median_alignment,
    median_network,
    multi_krum,
    multi_krum_select,
    trimmed_mean,
)
from fedledger.learning.updates import state_to_bytes


def seeded_states(count: int, seed: int = 0, scale: float = 1.0) -> list[dict[str, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    return [
        {
            "layer.weight": torch.randn(70, 1000, generator=g) * scale,  # > one CHUNK
            "layer.bias": torch.randn(70, generator=g) * scale,
            "counter": torch.tensor([i], dtype=torch.int64),
        }
        for i in range(count)
    ]


def test_fedavg_matches_weighted_mean() -> None:
    states = seeded_states(5)
    weights = [10, 20, 30, 5, 1]
    out = fedavg(states, weights)
    for key in ("layer.weight", "layer.bias"):
        expected = sum(w * s[key].double() for s, w in zip(states, weights, strict=True)) / sum(weights)
        assert out[key].dtype == torch.float32
        assert torch.allclose(out[key].double(), expected, atol=1e-6)
    assert out["counter"].dtype == torch.int64
    assert out["counter"].item() == round((0 * 10 + 20 + 60 + 15 + 4) / 66)


def test_fedavg_single_state_identity_and_equal_weights() -> None:
    s = seeded_states(1)[0]
    assert state_to_bytes(fedavg([s], [3])) == state_to_bytes(s)
    states = seeded_states(3)
    assert state_to_bytes(fedavg(states)) == state_to_bytes(fedavg(states, [7, 7, 7]))


def test_fedavg_float16_and_bfloat16_keep_dtype() -> None:
    for dtype in (torch.float16, torch.bfloat16, torch.float64):
        states = [{"w": torch.full((3,), v, dtype=dtype)} for v in (1.0, 2.0)]
        out = fedavg(states, [1, 3])["w"]
        assert out.dtype == dtype and out.tolist() == [1.75] * 3


HASH_SCRIPT = """
import hashlib, sys
sys.path.insert(0, sys.argv[1])
from tests_helper import seeded_states
from fedledger.learning.aggregate import fedavg
from fedledger.learning.updates import state_to_bytes
print(hashlib.sha256(state_to_bytes(fedavg(seeded_states(7, seed=11), [3, 1, 4, 1, 5, 9, 2]))).hexdigest())
"""


def test_fedavg_bytes_identical_across_processes(tmp_path: Path) -> None:
    helper = tmp_path / "tests_helper.py"
    helper.write_text(
        "import torch\n"
        "def seeded_states(count, seed=0, scale=1.0):\n"
        "    g = torch.Generator().manual_seed(seed)\n"
        "    return [{'layer.weight': torch.randn(70, 1000, generator=g) * scale,\n"
        "             'layer.bias': torch.randn(70, generator=g) * scale,\n"
        "             'counter': torch.tensor([i], dtype=torch.int64)} for i in range(count)]\n"
    )
    local = hashlib.sha256(state_to_bytes(fedavg(seeded_states(7, seed=11), [3, 1, 4, 1, 5, 9, 2]))).hexdigest()
    src = str(Path(fedledger.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    digests = set()
    for threads in ("1", "2"):
        env["FEDLEDGER_TORCH_THREADS"] = threads
        env["OMP_NUM_THREADS"] = threads
        run = subprocess.run(
            [sys.executable, "-c", HASH_SCRIPT, str(tmp_path)], env=env, capture_output=True, text=True, check=True
        )
        digests.add(run.stdout.strip())
    assert digests == {local}


def test_fedavg_chunking_does_not_change_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    states = seeded_states(4)
    reference = state_to_bytes(fedavg(states, [1, 2, 3, 4]))
    monkeypatch.setattr(agg, "CHUNK", 997)
    assert state_to_bytes(fedavg(states, [1, 2, 3, 4])) == reference


@pytest.mark.parametrize(
    ("states", "weights", "message"),
    [
        ([], None, "no states"),
        ([{}], None, "holds no tensors"),
        ([{"a": torch.zeros(2)}, {"b": torch.zeros(2)}], None, r"missing \['a'\], unexpected \['b'\]"),
        ([{"a": torch.zeros(2)}, {"a": torch.zeros(3)}], None, r"state 1 tensor 'a' has shape \[3\]"),
        ([{"a": torch.zeros(2)}, {"a": torch.zeros(2, dtype=torch.float64)}], None, "dtype"),
        ([{"a": torch.zeros(2)}] * 2, [1, 0], r"weight 1 is 0.0"),
        ([{"a": torch.zeros(2)}] * 2, [1, -2], r"weight 1 is -2.0"),
        ([{"a": torch.zeros(2)}] * 2, [1, float("nan")], "finite"),
        ([{"a": torch.zeros(2)}] * 2, [1], "got 1 weights for 2 states"),
    ],
)
def test_fedavg_errors(states: list, weights: list | None, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(AggregationError, match=message):
        fedavg(states, weights)


def _with_outlier(count: int = 9) -> tuple[list[dict[str, torch.Tensor]], dict[str, torch.Tensor]]:
    honest = seeded_states(count, seed=3, scale=0.1)
    centre = {k: torch.zeros_like(v) for k, v in honest[0].items() if v.is_floating_point()}
    honest = [{k: s[k] for k in centre} for s in honest]
    attacker = {k: torch.full_like(v, 1e4) for k, v in centre.items()}
    return [*honest, attacker], centre


def _distance(state: dict[str, torch.Tensor], centre: dict[str, torch.Tensor]) -> float:
    return max(float((state[k] - centre[k]).abs().max()) for k in centre)


def test_robust_aggregators_resist_an_outlier() -> None:
    states, centre = _with_outlier()
    weights = [1.0] * len(states)
    assert _distance(fedavg(states, weights), centre) > 500  # the plain mean is dragged away
    assert _distance(coordinate_median(states, weights), centre) < 0.5
    assert _distance(trimmed_mean(states, 0.1, weights), centre) < 0.5
    assert _distance(multi_krum(states, f=1, m=5, weights=weights), centre) < 0.5
    assert len(states) - 1 not in multi_krum_select(states, f=1, m=8)


def test_median_and_trimmed_mean_values() -> None:
    states = [{"w": torch.tensor([float(v), -float(v)])} for v in (1, 2, 3, 100)]
    assert coordinate_median(states)["w"].tolist() == [2.5, -2.5]
    assert trimmed_mean(states, 0.25)["w"].tolist() == [2.5, -2.5]
    assert trimmed_mean(states, 0.0)["w"].tolist() == [26.5, -26.5]


def test_pairwise_distances_exact() -> None:
    states = [{"w": torch.tensor([0.0, 0.0])}, {"w": torch.tensor([3.0, 4.0])}, {"w": torch.tensor([1e6, 1e6])}]
    d = agg.pairwise_sq_distances(states)
    assert d[0, 1] == pytest.approx(25.0)
    assert np.allclose(d, d.T) and np.all(np.diag(d) == 0)


def test_robust_errors() -> None:
    states = seeded_states(4)
    with pytest.raises(AggregationError, match=r"more than 2f \+ 2"):
        multi_krum(states, f=1)
    with pytest.raises(AggregationError, match="m must be"):
        multi_krum(seeded_states(5), f=1, m=9)
    with pytest.raises(AggregationError, match="beta"):
        trimmed_mean(states, 0.5)
    with pytest.raises(AggregationError, match="no states"):
        coordinate_median([])


def test_strategies_by_name() -> None:
    states, centre = _with_outlier()
    weights = [1] * len(states)
    for name, params in [("median", {}), ("trimmed_mean", {"beta": 0.2}), ("multi_krum", {"f": 2})]:
        strategy = get_strategy(name, **params)
        assert _distance(strategy.aggregate(states, weights), centre) < 0.5, strategy
    plain = get_strategy("fedavg").aggregate(states, weights)
    assert state_to_bytes(plain) == state_to_bytes(fedavg(states, weights))
    with pytest.raises(AggregationError, match="unknown aggregation strategy 'krum2'"):
        get_strategy("krum2")
    with pytest.raises(AggregationError, match="rejected parameters"):
        get_strategy("median", beta=1)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 7, 8, 9, 16, 33])
def test_median_alignment_matches_numpy_median(k: int) -> None:
    """The sorting-network median (and the np.median fallback above 32 rows) equals
    np.median exactly, ties included, across block boundaries."""
    rng = np.random.default_rng(k)
    size = MEDIAN_CHUNK + 123
    rows = [rng.integers(-2, 3, size).astype(np.float64) for _ in range(k)]  # many ties
    rows[0][:50] = rng.standard_normal(50)
    ref = rng.standard_normal(size)
    m = np.median(np.stack(rows), axis=0)
    al = median_alignment(rows, ref)
    assert np.allclose(al.row_median, [r @ m for r in rows], rtol=1e-12, atol=1e-9)
    assert np.isclose(al.median_sq, m @ m) and np.isclose(al.median_ref, m @ ref) and np.isclose(al.ref_sq, ref @ ref)
    assert np.allclose(al.row_sq, [r @ r for r in rows]) and np.allclose(al.row_ref, [r @ ref for r in rows])
    assert median_alignment(rows).row_ref is None


def test_median_network_is_pruned_and_sorts_the_middle() -> None:
    import itertools

    for k in range(1, 9):
        net = median_network(k)
        for perm in itertools.permutations(range(k)):
            wires = list(perm)
            for a, b in net:
                if wires[a] > wires[b]:
                    wires[a], wires[b] = wires[b], wires[a]
            assert wires[(k - 1) // 2] == (k - 1) // 2 and wires[k // 2] == k // 2
    assert len(median_network(5)) < 9  # a full 5-sorter needs 9 comparators
