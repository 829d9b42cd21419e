"""Configuration of one simulation run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from fedledger.core.errors import ConfigError
from fedledger.learning.spec import TaskSpec
from fedledger.node.behaviours import BEHAVIOURS

TOKEN = 10**18


@dataclass
class SimConfig:
    """Everything that defines a run; equal configs give equal results (up to chain randomness
    on a real node, where `prevrandao` differs)."""

    participants: int = 8
    rounds: int = 5
    alpha: float = 0.5
    """Dirichlet concentration of the label skew (smaller = more non-IID)."""
    adversaries: dict[str, int] = field(default_factory=dict)
    """behaviour name -> how many participants behave so (the rest are honest)."""
    dataset: str = "digits"
    model: str = "mlp"
    model_kwargs: dict[str, Any] = field(default_factory=lambda: {"hidden": [64]})
    local_epochs: int = 5
    batch_size: int = 16
    learning_rate: float = 5e-3
    seed: int = 0
    global_test_fraction: float = 0.2
    local_test_fraction: float = 0.2
    proposer_ratio_bps: int = 5000
    proposer_share_bps: int = 6000
    proposer_slash_bps: int = 5000
    voter_slash_bps: int = 2000
    absent_slash_bps: int = 1000
    finalizer_bonus_bps: int = 50
    stake: int = 100 * TOKEN
    reward_pool: int = 300 * TOKEN
    propose_window: int = 3600
    commit_window: int = 3600
    reveal_window: int = 3600
    rpc_url: str | None = None
    baseline: bool = True
    synthetic_samples: int | None = None
    """Only for dataset 'synthetic': sample count (scale runs)."""

    def __post_init__(self) -> None:
        if self.participants < 3:
            raise ConfigError(f"a simulation needs at least 3 participants, got {self.participants}")
        if self.participants > 256:
            raise ConfigError(f"an Alliance task holds at most 256 participants, got {self.participants}")
        if self.rounds < 1:
            raise ConfigError(f"rounds must be >= 1, got {self.rounds}")
        if self.alpha <= 0:
            raise ConfigError(f"alpha must be > 0, got {self.alpha}")
        for name, count in self.adversaries.items():
            if name not in BEHAVIOURS or name == "honest":
                raise ConfigError(
                    f"unknown adversary {name!r}; choose from {', '.join(sorted(set(BEHAVIOURS) - {'honest'}))}"
                )
            if count < 0:
                raise ConfigError(f"adversary count for {name!r} must be >= 0, got {count}")
        if sum(self.adversaries.values()) > self.participants:
            raise ConfigError(
                f"{sum(self.adversaries.values())} adversaries but only {self.participants} participants"
            )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def make_spec(config: SimConfig) -> TaskSpec:
    """The task spec of a simulation run (dataset schema from the named dataset)."""
    schemas: dict[str, dict[str, Any]] = {
        "digits": {"name": "digits", "num_features": 64, "num_classes": 10, "input_shape": [1, 8, 8]},
        "digits28": {"name": "digits28", "num_features": 784, "num_classes": 10, "input_shape": [1, 28, 28]},
        "synthetic": {
            "name": "synthetic",
            "num_features": 32,
            "num_classes": 10,
            "input_shape": [32],
            "num_samples": config.synthetic_samples or 5000,
        },
    }
    if config.dataset not in schemas:
        raise ConfigError(f"dataset {config.dataset!r} is not simulated; choose one of {', '.join(schemas)}")
    return TaskSpec.from_dict(
        {
            "model": {"name": config.model, "kwargs": config.model_kwargs},
            "dataset": schemas[config.dataset],
            "local_epochs": config.local_epochs,
            "batch_size": config.batch_size,
            "learning_rate": config.learning_rate,
            "seed": config.seed,
        }
    )


