"""The benchmark functions run end to end at tiny sizes (they are not tests of performance)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedledger.bench.attacks import run_attacks
from fedledger.bench.scale import run_scale


@pytest.mark.slow
def test_attack_and_scale_benchmarks_run_tiny(tmp_path: Path) -> None:
    res = run_attacks(fractions=(0.25,), out=tmp_path / "a.json", participants=4, rounds=2, behaviours=("noise",))
    assert (tmp_path / "a.json").exists() and res["rows"][0]["behaviour"] == "noise"
    sc = run_scale(n=4, rounds=2, out=tmp_path / "s.json")
    assert sc["conservation_ok"] and len(sc["per_round"]) == 2
