"""The gas bench runs end to end on tiny tasks and reports positive gas for every step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fedledger.bench.gas import KINDS, measure, run_gas
from fedledger.core.errors import ValidationError


def test_gas_bench_smoke(tmp_path: Path) -> None:
    out = tmp_path / "gas.json"
    report = run_gas(sizes=(3, 5), out=out, rounds=2)
    assert json.loads(out.read_text()) == report
    assert [r["n"] for r in report["results"]] == [3, 5]
    for res in report["results"]:
        assert set(res["mean_gas"]) == set(KINDS)
        assert all(v > 21_000 for v in res["mean_gas"].values())
        assert res["per_participant_per_round"] > 0 and res["finalize_per_participant"] > 0
        assert [pr["round"] for pr in res["per_round"]] == [0, 1]


def test_gas_bench_rejects_tiny_task() -> None:
    with pytest.raises(ValidationError, match="at least 3"):
        measure(2)
