"""Configuration of one simulation run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from fedledger.core.errors import ConfigError
from fedledger.core.units import TOKEN
from fedledger.protocol.roles import MAX_PARTICIPANTS
from fedledger.learning.spec import TaskSpec
from fedledger.node.behaviours import BEHAVIOURS


CALIBRATED_ALPHA_MIN = 0.3
"""The most label-skewed Dirichlet concentration at which the vote rule was measured to
reject no honest update (docs/alliance-protocol.md, "Where the constants stop holding"). At
α 0.1, about one class per client, its young-model bar rejects, and so slashes, honest
updates that the public set cannot tell from label flips."""


def skew_warning(alpha: float) -> str | None:
    """What a run at Dirichlet `alpha` should tell its user before its results are read, or
    None when the vote rule was calibrated for that skew."""
    if alpha >= CALIBRATED_ALPHA_MIN:
        return None
    return (
        f"alpha {alpha:g} is more label-skewed than the vote rule was calibrated for (alpha >= "
        f"{CALIBRATED_ALPHA_MIN:g}): in the first rounds, while the global model names under half the classes, "
        "honest clients that hold about one class each can be rejected and slashed like label flippers "
        "(see docs/alliance-protocol.md)"
    )


@dataclass
class SimConfig:
    """Everything that defines a run. On the embedded chain equal configs give identical
    results (the beacon and the participant keys derive from `seed`); on a real node
    (`rpc_url`) `prevrandao` and the keys differ, so role draws do too."""

    participants: int = 8
    rounds: int = 5
    alpha: float = 0.5
    """Dirichlet concentration of the label skew (smaller = more non-IID)."""
    adversaries: dict[str, int] = field(default_factory=dict)
    """behaviour name -> how many participants behave so (the rest are honest)."""
    adversaries_vote_honestly: bool = False
    """True: noise/signflip/labelflip/freerider attack only as proposers and vote with the
    honest rule (the weaker variant); False (default): they vote as one Byzantine coalition."""
    vote_on_previous_step: bool = False
    """honest voters also judge update directions against the previous global step (see
    `VoteRule.use_previous_step` for why it is off by default)"""
    dataset: str = "digits"
    model: str = "mlp"
    model_kwargs: dict[str, Any] = field(default_factory=lambda: {"hidden": [64]})
    local_epochs: int = 5
    batch_size: int = 16
    learning_rate: float = 5e-3
    lr_schedule: str = "cosine"
    """'cosine' (decays to `lr_final_factor` x the rate over `rounds`) or 'constant'; see
    `learning.spec.LearningRateSchedule` for why the simulator decays it."""
    lr_final_factor: float = 0.1
    seed: int = 0
    global_test_fraction: float = 0.2
    public_validation_samples: int = 150
    """Samples the task creator publishes as the spec's public validation set (taken out of
    the participants' pool; 0 = none). Voters score candidate aggregates on it (vote rule
    step 6), which is what stops label-flip updates."""
    local_test_fraction: float = 0.2
    proposer_ratio_bps: int = 5000
    proposer_share_bps: int = 6000
    proposer_slash_bps: int = 5000
    """A rejected update costs half the stake: more than a proposer can earn in the whole task
    (reward pool / participants), so poisoning never pays even if it slips through sometimes."""
    voter_slash_bps: int = 5000
    """A minority vote costs half the stake, like a rejected update. Honest voters decide on
    objective measurements only (node.voting), so they agree and are never the minority; the
    minority voters are lazy and colluding ones. Every participant votes every round, so a
    coalition under half of the stake is the minority from the pioneering round on: two
    such votes leave it a quarter of its stake, below half of the requirement, and it is
    ejected (attack matrix, 10 nodes, every coalition cell: attackers -60 to -75 tokens). A
    lazy voter likewise loses more than it earns as an honest proposer (about 7 tokens per
    round at the default pool). Before every participant voted, 3000 bps let a 30 % cartel
    (3 x 70) still outweigh two honest voters (2 x 100) on a five-voter committee."""
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
    """Only for the generated datasets ('synthetic', 'synthetic28' = 1x28x28 images, 'digits28aug'
    = augmented 28x28 digits): sample count."""

    def __post_init__(self) -> None:
        if self.participants < 3:
            raise ConfigError(f"a simulation needs at least 3 participants, got {self.participants}")
        if self.participants > MAX_PARTICIPANTS:
            raise ConfigError(f"an Alliance task holds at most {MAX_PARTICIPANTS} participants, got {self.participants}")
        if self.rounds < 1:
            raise ConfigError(f"rounds must be >= 1, got {self.rounds}")
        if self.public_validation_samples < 0:
            raise ConfigError(f"public_validation_samples must be >= 0, got {self.public_validation_samples}")
        if self.lr_schedule not in ("cosine", "constant"):
            raise ConfigError(f"lr_schedule must be 'cosine' or 'constant', got {self.lr_schedule!r}")
        if not 0.0 <= self.lr_final_factor <= 1.0:
            raise ConfigError(f"lr_final_factor must be in [0, 1], got {self.lr_final_factor}")
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


def _images28(name: str, samples: int) -> dict[str, Any]:
    """Schema of a generated set of 1x28x28 images in 10 classes."""
    return {"name": name, "num_features": 784, "num_classes": 10, "input_shape": [1, 28, 28], "num_samples": samples}


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
        "digits28aug": _images28("digits28aug", config.synthetic_samples or 20000),
        "synthetic28": _images28("synthetic", config.synthetic_samples or 20000),
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
            "learning_rate_schedule": {
                "kind": config.lr_schedule,
                "rounds": config.rounds,
                "final_factor": config.lr_final_factor,
            },
            "seed": config.seed,
        }
    )


