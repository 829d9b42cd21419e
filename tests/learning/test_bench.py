"""Smoke tests: the learning benchmarks run at tiny sizes and write their JSON."""

from __future__ import annotations

import json
from pathlib import Path

from fedledger.bench.aggregation import run_aggregation
from fedledger.bench.baseline import run_baseline


def test_aggregation_bench_tiny(tmp_path: Path) -> None:
    out = tmp_path / "agg.json"
    result = run_aggregation(out, counts=(3,), sizes=(20_000,), repeats=2)
    assert json.loads(out.read_text())["cases"][0]["updates"] == 3
    assert result["cases"][0]["ratio"] > 0


def test_baseline_bench_tiny(tmp_path: Path) -> None:
    out = tmp_path / "base.json"
    result = run_baseline(out, num_clients=3, rounds=1)
    assert set(result["runs"]) == {"iid", "dirichlet"}
    assert len(json.loads(out.read_text())["runs"]["iid"]["accuracy"]) == 1


def test_every_bench_command_finds_its_runner() -> None:
    """`fedledger bench NAME` calls `fedledger.bench.NAME.run_NAME`: a renamed runner must fail here,
    not in front of a user."""
    import importlib
    import re

    from fedledger.cli import bench

    names = re.findall(r'_run\(\s*"(\w+)"', Path(bench.__file__).read_text())
    assert {"gas", "throughput", "aggregation", "baseline", "attacks", "overhead", "scale", "lottery"} <= set(names)
    for name in names:
        assert callable(getattr(importlib.import_module(f"fedledger.bench.{name}"), f"run_{name}", None)), name
