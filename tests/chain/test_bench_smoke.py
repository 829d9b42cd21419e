"""The throughput benchmark runs end to end at a tiny size (a smoke test, not a measurement)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fedledger.bench.throughput import run_throughput


@pytest.mark.integration
def test_throughput_bench_runs(tmp_path: Path) -> None:
    out = tmp_path / "throughput.json"
    result = run_throughput(n_tx=5, out=out)
    assert json.loads(out.read_text()) == result
    for backend in ("embedded", "anvil"):
        row = result[backend]
        assert row["naive_tx_per_s"] > 0 and row["send_many_tx_per_s"] > 0
        assert row["speedup"] == pytest.approx(row["send_many_tx_per_s"] / row["naive_tx_per_s"])
    with pytest.raises(ValueError):
        run_throughput(n_tx=0)
