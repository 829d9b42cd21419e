"""End-to-end embedded Arena run: honest trainers of varying quality, honest validators with
different stakes, a liar and a lazy validator; then the derived Alliance task from the winner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fedledger.core.errors import ConfigError
from fedledger.sim.arena import ArenaReport, ArenaSimConfig, run_arena_simulation, write_arena_plots

SMALL = dict(
    trainer_samples=[40, 200, 600],
    trainer_epochs=[1, 2, 3],
    honest_stakes=[10, 20, 40],
    liars=1,
    lazy=1,
    adversary_stake=20,
    hidden=[16],
    alliance_participants=3,
    alliance_rounds=2,
)


@pytest.fixture(scope="module")
def run() -> tuple[ArenaReport, list[dict[str, Any]]]:
    events: list[dict[str, Any]] = []
    report = run_arena_simulation(ArenaSimConfig(**SMALL), progress=events.append)  # type: ignore[arg-type]
    return report, events


def test_liar_and_lazy_are_slashed_and_honest_validators_are_not(run: tuple[ArenaReport, list[dict[str, Any]]]) -> None:
    report, _ = run
    by = {v.behaviour: v for v in report.validators}
    assert by["liar"].slashed > 0 and by["lazy"].slashed > 0
    assert report.slashed(adversarial=False) == []
    honest = [v for v in report.validators if v.behaviour == "honest"]
    assert all(v.reward > 0 and v.closeness > 0 for v in honest)
    assert by["liar"].reward < min(v.reward for v in honest)


def test_no_score_is_moved_outside_the_honest_range(run: tuple[ArenaReport, list[dict[str, Any]]]) -> None:
    report, _ = run
    honest = [v for v in report.validators if v.behaviour == "honest"]
    for sub in report.submissions:
        scores = [v.scores[sub.index] for v in honest if sub.index in v.scores]
        assert scores and sub.score is not None
        assert min(scores) <= sub.score <= max(scores)
    # the adversaries did disagree: otherwise this test would prove nothing
    liar = next(v for v in report.validators if v.behaviour == "liar")
    assert any(abs(liar.scores[s.index] - (s.score or 0)) > 50_000 for s in report.submissions)


def test_best_trainer_wins_and_is_paid_most(run: tuple[ArenaReport, list[dict[str, Any]]]) -> None:
    report, _ = run
    best = max(report.trainers, key=lambda t: t.score or 0)
    assert report.winner is not None and report.submissions[report.winner].trainer == best.address
    assert best.reward == max(t.reward for t in report.trainers)
    assert best.reward > 0 and report.winner_model_hash == best.model_hash
    # quality follows the training budget, and the settled score is the creator's own measurement
    assert [t.score for t in report.trainers] == sorted(t.score or 0 for t in report.trainers)
    for t in report.trainers:
        assert t.score == round(t.creator_accuracy * 1_000_000)


def test_derived_alliance_starts_from_the_winner_and_completes(run: tuple[ArenaReport, list[dict[str, Any]]]) -> None:
    report, _ = run
    a = report.alliance
    assert a is not None
    assert a.initial_model_hash == report.winner_model_hash
    assert a.first_round_global_hash == report.winner_model_hash and a.starts_from_winner
    assert [r.round for r in a.rounds] == [0, 1]
    assert all(r.accepted for r in a.rounds)
    assert a.final_accuracy is not None and a.final_accuracy > 0.5
    assert a.reward_pool == report.budgets["alliance_reserve"] > 0
    assert a.conservation_ok and report.arena_conservation_ok and report.conservation_ok


def test_progress_events_cover_every_phase(run: tuple[ArenaReport, list[dict[str, Any]]]) -> None:
    _, events = run
    phases = [e["phase"] for e in events if e["event"] == "phase"]
    assert phases == ["submission", "commit", "reveal", "settlement", "finished"]
    kinds = {e["event"] for e in events}
    assert {"setup", "action", "leaderboard", "alliance_derived", "alliance_round", "finished"} <= kinds


def test_report_serialises_and_plots(run: tuple[ArenaReport, list[dict[str, Any]]], tmp_path: Path) -> None:
    report, _ = run
    data = json.loads(report.write(tmp_path / "report.json").read_text())
    assert data["winner"] == report.winner and len(data["adversaries_slashed"]) == 2
    paths = write_arena_plots(report, tmp_path)
    assert [p.name for p in paths] == ["leaderboard.png", "validator_agreement.png", "payouts.png", "alliance_accuracy.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"trainer_samples": [10, 20], "trainer_epochs": [1]}, "trainer_epochs"),
        ({"honest_stakes": []}, "honest"),
        ({"honest_stakes": [1]}, "min_validator_stake"),
        ({"alliance_participants": 2}, "3..255"),
        ({"validators_per_submission": 17}, "0..16"),
    ],
)
def test_bad_config_is_a_config_error(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ArenaSimConfig(**overrides)


def test_too_many_trainer_samples_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="samples"):
        run_arena_simulation(ArenaSimConfig(trainer_samples=[5000], trainer_epochs=[1]))


@pytest.mark.slow
def test_default_demo_with_a_silent_validator() -> None:
    """The demo's default population plus a validator that commits but never reveals: the engine
    must advance chain time past the reveal deadline, and the silent one loses its absent slash."""
    report = run_arena_simulation(ArenaSimConfig(silent=1))
    by = {v.behaviour: v for v in report.validators}
    assert by["silent"].slashed > 0 and by["silent"].scores == {} and by["silent"].committed
    assert by["silent"].reward == 0
    assert report.slashed(adversarial=False) == []
    assert report.alliance is not None and report.alliance.starts_from_winner
    assert report.conservation_ok and report.arena_conservation_ok and report.alliance.conservation_ok


def test_a_seed_replays_the_same_arena_run() -> None:
    """Keys and the beacon derive from the seed on the embedded chain, so the lottery draws,
    scores and payouts replay; only the commit/reveal gas moves with the random salts."""

    def replay() -> dict[str, Any]:
        data = run_arena_simulation(ArenaSimConfig(**{**SMALL, "validators_per_submission": 2})).to_dict()  # type: ignore[arg-type]
        for volatile in ("wall_s", "phases_s", "gas"):
            data.pop(volatile)
        return data

    first, second = replay(), replay()
    assert first == second
    assert len({v["address"] for v in first["validators"]}) == len(first["validators"])


def test_a_committee_the_adversaries_hold_is_named_with_the_honest_scores() -> None:
    from fedledger.sim.arena.report import CapturedSubmission, SubmissionResult, ValidatorResult

    def validator(address: str, adversarial: bool, deposit: int, scores: dict[int, int]) -> ValidatorResult:
        return ValidatorResult(address, "liar" if adversarial else "honest", adversarial, deposit, scores, dict(scores), 0, 0, 0)

    report = ArenaReport(config={}, validators=[
        validator("h40", False, 40, {0: 808_000, 1: 950_000}),
        validator("h80", False, 80, {1: 951_000}),
        validator("liar", True, 20, {0: 155_000, 1: 10_000}),
        validator("lazy", True, 20, {0: 500_000}),
        validator("quiet", True, 20, {}),  # drawn for submission 1, never revealed: not weighed
    ], submissions=[
        SubmissionResult(0, "t0", "m0", 500_000, ["h40", "liar", "lazy"]),  # 40 of 80: theirs
        SubmissionResult(1, "t1", "m1", 950_000, ["h40", "h80", "liar", "quiet"]),  # 20 of 140
    ])
    assert report.captured_submissions() == [CapturedSubmission(0, 40, 80, 500_000, {"h40": 808_000})]
    assert report.to_dict()["captured_submissions"][0]["adversary_stake"] == 40
