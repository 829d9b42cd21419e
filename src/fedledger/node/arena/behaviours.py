"""How an Arena validator scores: honestly, or one of the misbehaviours the protocol must survive.

- `honest`: fetches the evaluation set and every assigned model, scores each on the set.
- `liar`: commits uniformly random scores (it wants to skew the ranking); the weighted median
  ignores it while it holds under half the weight, and it is slashed beyond the tolerance.
- `lazy`: commits one constant score without downloading or evaluating anything (it wants the
  validator reward for free); slashed wherever the constant is off the median by > tolerance.
- `silent`: scores honestly and commits, but never reveals; slashed `absentSlashBps`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from fedledger.core.errors import ConfigError
from fedledger.core.records import ARENA_SCORE_SCALE


@dataclass(frozen=True)
class ValidatorBehaviour:
    """Honest behaviour; subclasses override `score` or `reveals`."""

    name: str = "honest"
    evaluates: bool = True
    """whether the validator downloads the evaluation set and the models at all"""
    reveals: bool = True
    adversarial: bool = False

    def score(self, honest: Callable[[], int], submission: int, address: str, seed: int) -> int:
        """The score to commit for `submission`; `honest()` computes the true one (lazily)."""
        return honest()


@dataclass(frozen=True)
class Liar(ValidatorBehaviour):
    name: str = "liar"
    evaluates: bool = False
    adversarial: bool = True

    def score(self, honest: Callable[[], int], submission: int, address: str, seed: int) -> int:
        return random.Random(f"liar:{seed}:{address.lower()}:{submission}").randrange(0, ARENA_SCORE_SCALE + 1)


@dataclass(frozen=True)
class Lazy(ValidatorBehaviour):
    name: str = "lazy"
    evaluates: bool = False
    adversarial: bool = True
    constant: int = ARENA_SCORE_SCALE // 2

    def score(self, honest: Callable[[], int], submission: int, address: str, seed: int) -> int:
        return self.constant


@dataclass(frozen=True)
class Silent(ValidatorBehaviour):
    name: str = "silent"
    reveals: bool = False
    adversarial: bool = True


VALIDATOR_BEHAVIOURS: dict[str, type[ValidatorBehaviour]] = {
    "honest": ValidatorBehaviour,
    "liar": Liar,
    "lazy": Lazy,
    "silent": Silent,
}


def make_validator_behaviour(name: str) -> ValidatorBehaviour:
    """The behaviour called `name`; unknown names are a `ConfigError` listing the known ones."""
    try:
        return VALIDATOR_BEHAVIOURS[name]()
    except KeyError:
        raise ConfigError(f"unknown validator behaviour {name!r}; choose from {', '.join(VALIDATOR_BEHAVIOURS)}") from None
