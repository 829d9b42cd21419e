"""What an Arena run records, as plain dataclasses that serialise to JSON (token amounts as ints)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class TrainerResult:
    address: str
    samples: int
    epochs: int
    model_hash: str
    score: int | None
    """settled on-chain score (fixed point, 1e6 = 1.0); None if unscored"""
    creator_accuracy: float
    """the creator's own measurement of the model on its evaluation set"""
    deposit: int
    reward: int
    slashed: int


@dataclass
class ValidatorResult:
    address: str
    behaviour: str
    adversarial: bool
    deposit: int
    scores: dict[int, int]
    """submission -> revealed score (committed-only scores are not listed)"""
    committed: dict[int, int]
    """submission -> score it committed to"""
    closeness: int
    reward: int
    slashed: int


@dataclass
class SubmissionResult:
    index: int
    trainer: str
    model_hash: str
    score: int | None
    validators: list[str]


@dataclass(frozen=True)
class CapturedSubmission:
    """A submission whose drawn, revealing validators held at least half their stake in
    adversaries: the stake-weighted median is then theirs to set, and an honest validator
    that scored the model right can be the one outside the tolerance and slashed."""

    index: int
    adversary_stake: int
    revealed_stake: int
    score: int | None
    honest_scores: dict[str, int]
    """honest validator address -> the score it revealed for this submission"""


@dataclass
class AllianceRound:
    round: int
    proposers: list[str]
    accepted: list[str]
    global_model_hash: str
    accuracy: float


@dataclass
class AllianceResult:
    address: str
    reward_pool: int
    initial_model_hash: str
    first_round_global_hash: str
    starts_from_winner: bool
    winner_accuracy: float
    rounds: list[AllianceRound] = field(default_factory=list)
    conservation_ok: bool | None = None
    net_change: dict[str, int] = field(default_factory=dict)

    @property
    def final_accuracy(self) -> float | None:
        return self.rounds[-1].accuracy if self.rounds else None


@dataclass
class ArenaReport:
    """The result of `run_arena_simulation`."""

    config: dict[str, Any]
    task_address: str = ""
    spec_hash: str = ""
    eval_set_hash: str = ""
    trainers: list[TrainerResult] = field(default_factory=list)
    validators: list[ValidatorResult] = field(default_factory=list)
    submissions: list[SubmissionResult] = field(default_factory=list)
    winner: int | None = None
    winner_model_hash: str = ""
    budgets: dict[str, int] = field(default_factory=dict)
    alliance: AllianceResult | None = None
    gas: dict[str, int] = field(default_factory=dict)
    arena_conservation_ok: bool | None = None
    conservation_ok: bool | None = None
    """tokens summed over every address the run touched are unchanged from start to end"""
    wall_s: float = 0.0
    phases_s: dict[str, float] = field(default_factory=dict)

    def medians(self) -> dict[int, int]:
        return {s.index: s.score for s in self.submissions if s.score is not None}

    def slashed(self, adversarial: bool) -> list[str]:
        """Validators (honest or adversarial) that lost stake."""
        return sorted(v.address for v in self.validators if v.slashed > 0 and v.adversarial == adversarial)

    def captured_submissions(self) -> list[CapturedSubmission]:
        """Submissions where adversaries held at least half the revealed stake (deposits, the
        median's weights): the committees the lottery can draw when validators per submission
        are few, listed so that a report says why an honest validator lost stake."""
        by_address = {v.address: v for v in self.validators}
        captured = []
        for sub in self.submissions:
            revealing = [by_address[a] for a in sub.validators if a in by_address and sub.index in by_address[a].scores]
            total = sum(v.deposit for v in revealing)
            adversaries = sum(v.deposit for v in revealing if v.adversarial)
            if total and 2 * adversaries >= total:
                honest = {v.address: v.scores[sub.index] for v in revealing if not v.adversarial}
                captured.append(CapturedSubmission(sub.index, adversaries, total, sub.score, honest))
        return captured

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["honest_validators_slashed"] = self.slashed(False)
        data["adversaries_slashed"] = self.slashed(True)
        data["captured_submissions"] = [asdict(c) for c in self.captured_submissions()]
        if self.alliance is not None:
            data["alliance"]["final_accuracy"] = self.alliance.final_accuracy
        return data

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def write(self, path: Path) -> Path:
        """Write the JSON report to `path` (parents created) and return the path."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json())
        return path
