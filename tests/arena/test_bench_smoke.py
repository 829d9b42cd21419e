"""The lottery bench runs end to end at tiny sizes and reports what it promises."""

from __future__ import annotations

import json
from pathlib import Path

from fedledger.bench.lottery import run_lottery


def test_run_lottery_tiny(tmp_path: Path) -> None:
    out = tmp_path / "lottery.json"
    report = run_lottery(sizes=(3,), k=2, submissions=1, rounds=400, out=out)
    assert json.loads(out.read_text()) == report
    (row,) = report["draw_gas"]
    assert row["validators"] == 3 and row["draw_mean_gas"] > 21_000
    assert 1.3 < report["frequency"]["frequency_ratio_4x_stake"] < 3.0
