"""`/api/report`: a real simulation report, an Arena-shaped report, and clear errors for bad files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fedledger.api import create_app
from fedledger.api.report import ReportSource
from fedledger.core.errors import ConfigError


def write_minimal_report(directory: Path) -> Path:
    """A two-round Alliance report with a baseline, written by hand in `SimReport.to_dict()`'s shape."""
    a, b = "0x" + "aa" * 20, "0x" + "bb" * 20
    rounds = [
        {"round": r, "proposers": [a], "voters": [b], "verdicts": {a: "accepted"}, "accuracy": acc,
         "baseline_accuracy": base, "global_model_hash": "0x" + f"{r + 1:02x}" * 32,
         "gas": {"submitUpdate": 70_000, "commitVote": 60_000 + r}, "ejected": [b] if r else [],
         "balances": {a: 10 + r, b: 10 - r}, "slashes": {b: 1} if r else {}, "wall_s": 0.1, "train_s": 0.05}
        for r, (acc, base) in enumerate([(0.5, 0.55), (0.7, 0.72)])
    ]
    data = {"config": {"participants": 2}, "participants": [
        {"address": a, "behaviour": "honest", "adversarial": False, "num_train": 5, "num_test": 2, "initial_tokens": 10,
         "final_tokens": 12, "net_change": 2},
        {"address": b, "behaviour": "noise", "adversarial": True, "num_train": 5, "num_test": 2, "initial_tokens": 10,
         "final_tokens": 9, "net_change": -1}],
        "rounds": rounds, "baseline_accuracy": [0.55, 0.72], "honest_baseline_accuracy": [0.5, 0.71], "task_address": "0x" + "cc" * 20, "wall_s": 1.5,
        "conservation_ok": True, "final_accuracy": 0.7, "final_baseline_accuracy": 0.72, "honest_slashed": [],
        "adversaries_slashed": [b]}
    path = directory / "report.json"
    path.write_text(json.dumps(data))
    return path


def test_report_from_a_real_simulation(report_path: Path) -> None:
    raw = json.loads(report_path.read_text())
    with TestClient(create_app(report_path=report_path)) as client:
        body = client.get("/api/report").json()
        assert client.get("/api/health").json()["chain"] is None
        assert client.get("/api/tasks").status_code == 503
    assert body["kind"] == "alliance" and body["task_address"] == raw["task_address"]
    assert [r["accuracy"] for r in body["rounds"]] == [r["accuracy"] for r in raw["rounds"]]
    assert [r["balances"] for r in body["rounds"]] == [r["balances"] for r in raw["rounds"]]
    assert {p["address"] for p in body["participants"]} == {p["address"] for p in raw["participants"]}
    assert len(body["rounds"]) == 2 and 0.0 <= body["final_accuracy"] <= 1.0


def test_report_is_reread_when_the_file_changes(tmp_path: Path) -> None:
    path = write_minimal_report(tmp_path)
    source = ReportSource(path)
    assert source.load().final_accuracy == 0.7
    data = json.loads(path.read_text())
    data["final_accuracy"] = 0.9
    path.write_text(json.dumps(data))
    import os

    os.utime(path, (1, 1))
    assert source.load().final_accuracy == 0.9


def write_arena_report(directory: Path) -> Path:
    """An Arena report in `ArenaReport.to_dict()`'s shape: one validator, one derived round."""
    data = {"config": {}, "task_address": "0x" + "dd" * 20, "trainers": [], "submissions": [],
            "validators": [{"address": "0x" + "ee" * 20, "behaviour": "honest", "adversarial": False, "reward": 5, "slashed": 2}],
            "alliance": {"address": "0x" + "ff" * 20, "rounds": [
                {"round": 0, "proposers": ["0x1"], "accepted": ["0x1"], "global_model_hash": "0x00", "accuracy": 0.8}]},
            "conservation_ok": True, "adversaries_slashed": [], "honest_validators_slashed": []}
    path = directory / "arena.json"
    path.write_text(json.dumps(data))
    return path


def test_arena_report_shows_its_derived_alliance_rounds(tmp_path: Path) -> None:
    view = ReportSource(write_arena_report(tmp_path)).load()
    assert (view.kind, view.task_address, view.final_accuracy) == ("arena", "0x" + "ff" * 20, 0.8)
    assert view.rounds[0].verdicts == {"0x1": "accepted"} and view.participants[0].net_change == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot read report"), ("{not json", "not readable JSON"), ("[1, 2]", "must be a JSON object"),
     ('{"rounds": []}', "it has no 'participants'"), ('{"participants": [], "rounds": [{"round": 0}]}', "does not look like")],
)
def test_bad_report_files_fail_at_start_with_the_file_name(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=message) as info:
        create_app(report_path=path)
    assert str(path) in str(info.value)


def test_no_report_is_404(world: Any) -> None:
    with TestClient(create_app(world.client, world.stack.factory.address)) as client:
        res = client.get("/api/report")
    assert res.status_code == 404 and "--report" in res.json()["detail"]


def test_chain_and_factory_must_come_together(world: Any) -> None:
    with pytest.raises(ConfigError, match="both a chain client and a factory address"):
        create_app(world.client)


def test_report_carries_the_perfect_defence_line_and_each_rounds_gas_and_sitters_out(tmp_path: Path) -> None:
    with TestClient(create_app(report_path=write_minimal_report(tmp_path))) as client:
        body = client.get("/api/report").json()
    assert body["honest_baseline_accuracy"] == [0.5, 0.71]
    assert [r["gas"] for r in body["rounds"]] == [{"submitUpdate": 70_000, "commitVote": 60_000 + r} for r in range(2)]
    assert [r["ejected"] for r in body["rounds"]] == [[], ["0x" + "bb" * 20]]
