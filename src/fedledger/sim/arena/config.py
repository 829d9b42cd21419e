"""Configuration of one embedded Arena run (and of the Alliance task derived from its winner)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from fedledger.core.errors import ConfigError
from fedledger.protocol.roles import MAX_PARTICIPANTS
from fedledger.learning.spec import TaskSpec
from fedledger.core.units import TOKEN


@dataclass
class ArenaSimConfig:
    """Everything that defines a run; equal configs give equal scores (chain draws aside).

    Trainer `i` trains on `trainer_samples[i]` samples for `trainer_epochs[i]` epochs, so model
    quality varies by construction. Honest validators stake `honest_stakes` (tokens); the
    `liars` and `lazy` validators stake `adversary_stake` each.
    """

    trainer_samples: list[int] = field(default_factory=lambda: [40, 120, 300, 700])
    trainer_epochs: list[int] = field(default_factory=lambda: [1, 2, 3, 4])
    honest_stakes: list[int] = field(default_factory=lambda: [10, 20, 40, 80])
    liars: int = 1
    lazy: int = 1
    silent: int = 0
    adversary_stake: int = 20
    validators_per_submission: int = 0
    """0 = every validator scores every submission (capped at the protocol's 16)."""
    reward_pool: int = 1000 * TOKEN
    creator_stake: int = 100 * TOKEN
    trainer_stake: int = 5 * TOKEN
    min_validator_stake: int = 10 * TOKEN
    trainer_share_bps: int = 7000
    alliance_share_bps: int = 2000
    validator_tolerance: int = 50_000
    validator_slash_bps: int = 2000
    absent_slash_bps: int = 1000
    score_exponent: int = 2
    hidden: list[int] = field(default_factory=lambda: [32])
    batch_size: int = 16
    learning_rate: float = 0.05
    eval_fraction: float = 0.2
    alliance_participants: int = 4
    alliance_rounds: int = 3
    alliance_stake: int = 10 * TOKEN
    seed: int = 0
    rpc_url: str | None = None

    def __post_init__(self) -> None:
        if len(self.trainer_samples) != len(self.trainer_epochs):
            raise ConfigError(
                f"trainer_samples has {len(self.trainer_samples)} entries but trainer_epochs has "
                f"{len(self.trainer_epochs)}; give one of each per trainer"
            )
        if not 1 <= len(self.trainer_samples) <= 256:
            raise ConfigError(f"an Arena run needs 1..256 trainers, got {len(self.trainer_samples)}")
        if any(n < 1 for n in self.trainer_samples) or any(e < 1 for e in self.trainer_epochs):
            raise ConfigError("every trainer needs >= 1 sample and >= 1 epoch")
        if not self.honest_stakes:
            raise ConfigError("at least one honest validator is needed (honest_stakes is empty)")
        if min(self.liars, self.lazy, self.silent) < 0:
            raise ConfigError("liars, lazy and silent must be >= 0")
        stakes = [*self.honest_stakes, *[self.adversary_stake] * (self.liars + self.lazy + self.silent)]
        if min(stakes) * TOKEN < self.min_validator_stake:
            raise ConfigError(
                f"every validator stake must be >= min_validator_stake ({self.min_validator_stake / TOKEN:g} tokens), "
                f"got {min(stakes)}"
            )
        if self.validators_per_submission < 0 or self.validators_per_submission > 16:
            raise ConfigError(f"validators_per_submission must be in 0..16 (0 = all), got {self.validators_per_submission}")
        if not 0 < self.eval_fraction < 1:
            raise ConfigError(f"eval_fraction must be in (0, 1), got {self.eval_fraction}")
        if not 3 <= self.alliance_participants <= MAX_PARTICIPANTS:
            raise ConfigError(
                f"the derived Alliance task needs 3..{MAX_PARTICIPANTS} participants, got {self.alliance_participants}"
            )
        if self.alliance_rounds < 1:
            raise ConfigError(f"alliance_rounds must be >= 1, got {self.alliance_rounds}")

    @property
    def validator_count(self) -> int:
        return len(self.honest_stakes) + self.liars + self.lazy + self.silent

    @property
    def k(self) -> int:
        """Validators drawn per submission."""
        return min(16, self.validator_count) if self.validators_per_submission == 0 else min(
            self.validators_per_submission, self.validator_count
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def make_arena_spec(config: ArenaSimConfig) -> TaskSpec:
    """The competition's spec: an MLP on scikit-learn's 8x8 digits, scored by accuracy."""
    return TaskSpec.from_dict(
        {
            "model": {"name": "mlp", "kwargs": {"hidden": list(config.hidden)}},
            "dataset": {"name": "digits", "num_features": 64, "num_classes": 10, "input_shape": [1, 8, 8]},
            "metric": "accuracy",
            "local_epochs": 1,
            "batch_size": config.batch_size,
            "learning_rate": config.learning_rate,
            "optimizer": {"name": "sgd", "momentum": 0.9},
            "seed": config.seed,
            "max_blob_bytes": 1 << 20,
        }
    )
