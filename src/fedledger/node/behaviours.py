"""Pluggable participant behaviours: one honest strategy and the attacks we defend against.

A behaviour decides two things: what a proposer publishes (`make_update`) and how a voter
votes (`vote`). The participant does all I/O (chain, storage, training); a behaviour only
combines the primitives the participant hands it through `ProposeContext`, so attacks stay
small and readable and the honest path is the same code the attacks start from.

Attacks (the threat model of the Alliance protocol):

By default the update attacks (`noise`, `signflip`, `labelflip`, `freerider`) are
coordinated Byzantine nodes in every role (see `Byzantine`): as voters they accept their
coalition's updates and reject the honest ones; `vote_honestly=True` restores the weaker
"attack only as proposer" variant.

- `noise`: publishes random weights (a Byzantine update that is well-formed but useless).
- `signflip`: publishes `global - boost * (trained - global)`: the boosted reversed update
  of model-poisoning attacks (Bhagoji et al., 2019, "Analyzing FL through an adversarial lens").
- `labelflip`: trains honestly but on flipped labels `y -> C-1-y` (data poisoning,
  Tolpegin et al., 2020).
- `sleeper`: a `labelflip` that trains honestly for its first `honest_proposals` (5) proposals
  and flips from then on: it first earns rewards and a clean record, then poisons a model that
  already knows every class.
- `freerider`: publishes the global model unchanged (Lin et al., 2019, "Free-riders in FL").
- `lazy`: votes "accept all" without downloading or evaluating anything (commit-reveal stops
  copying others' votes, so the cheapest lazy strategy is to accept everything). Without the
  updates it cannot compute their aggregate, so it commits the unchanged global model's hash
  and is never a majority voter once any update is accepted.
- `colluding`: a group whose members publish poisoned (sign-flipped) updates and, as
  voters, accept their partners and reject everyone else (a `signflip` that can never be
  switched to honest votes).
- `noshow`: never acts after joining (loses `absentSlashBps` each round it has a role).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from fedledger.core.errors import ConfigError
from fedledger.node.voting import Direction, PreviousStep, Reference, SubsetMetrics, UpdateScore, Verdict, VoteRule, decide

State = Any
"""A model state as `fedledger.learning` represents it (opaque to behaviours)."""


class ProposeContext(Protocol):
    """Primitives a proposer's behaviour may combine; implemented by the participant."""

    global_state: State
    """The current global model (in a pioneering round: the freshly initialised model)."""

    def train(self, flip_labels: bool = False) -> State:
        """Train `global_state` on the local train set as the spec says (optionally label-flipped)."""
        ...

    def combine(self, base: State, other: State, coef: float) -> State:
        """`base + coef * (other - base)`, element-wise, keeping dtypes."""
        ...

    def noise_like(self, state: State, scale: float) -> State:
        """Gaussian noise with the same keys, shapes and dtypes as `state`."""
        ...


@dataclass(frozen=True)
class VoteContext:
    """What a voter's behaviour sees: the round's proposers and the honest scores."""

    proposers: Sequence[str]
    """proposer addresses in proposer-index order"""
    submitted: Sequence[int]
    """indices of proposers that submitted an update"""
    scores: Sequence[UpdateScore]
    """one per submitted update (empty when the behaviour does not evaluate)"""
    pioneer: bool
    """True in a pioneering round (no global model yet)"""
    subset_metrics: SubsetMetrics | None = None
    """(accuracy, loss) on local data of the FedAvg of a subset of proposer indices"""
    rule: VoteRule = VoteRule()
    direction: Direction | None = None
    """cosine of each member's delta to the subset's coordinate-wise median delta"""
    previous_step: PreviousStep | None = None
    """cosines to the previous global step (None: no previous step, e.g. a pioneering round)"""
    reference: Reference | None = None
    """output-layer cosines to the public reference step (None: the spec publishes no
    validation set)"""


@dataclass
class Behaviour:
    """Honest behaviour; attacks subclass it and override one method."""

    name: ClassVar[str] = "honest"
    adversarial: ClassVar[bool] = False
    shows_up: ClassVar[bool] = True
    """False: the node joins and then never acts (no-show)."""
    evaluates: ClassVar[bool] = True
    """False: the participant does not score updates (its vote ignores their quality)."""
    fetches: ClassVar[bool] = True
    """False: the voter does not even download the updates, so it cannot compute their
    aggregate; it commits the unchanged global model's hash (a lazy voter)."""

    def make_update(self, ctx: ProposeContext) -> State:
        return ctx.train()

    def vote(self, ctx: VoteContext) -> Verdict:
        return decide(
            ctx.scores, ctx.pioneer, ctx.subset_metrics, ctx.rule, ctx.direction, ctx.previous_step, ctx.reference
        )


def coalition_vote(ctx: VoteContext, partners: frozenset[str]) -> Verdict:
    """Accept exactly the coalition's submitted updates, reject every other one."""
    members = {p.lower() for p in partners}
    accept = {i: ctx.proposers[i].lower() in members for i in ctx.submitted}
    return Verdict(accept=accept, reasons={i: "coalition partner" if ok else "not a partner" for i, ok in accept.items()})


@dataclass
class Byzantine(Behaviour):
    """An adversary that poisons as proposer and, by default, also as voter.

    The standard threat model is a coordinated Byzantine node, not one that attacks only
    when it happens to be drawn as proposer: as a voter it accepts its coalition's updates
    (`partners`, addresses) and rejects everyone else's, and commits the aggregate of the
    partners' updates. Where honest stake is the majority of a round's voters this makes it
    a minority voter (slashed `voterSlashBps`), so it cannot profit from the rounds in which
    it only votes. `vote_honestly=True` is the weaker variant that attacks only as proposer
    and votes with the honest rule.
    """

    adversarial: ClassVar[bool] = True
    partners: frozenset[str] = field(default_factory=frozenset)
    vote_honestly: bool = False

    def vote(self, ctx: VoteContext) -> Verdict:
        if self.vote_honestly:
            return super().vote(ctx)
        return coalition_vote(ctx, self.partners)


@dataclass
class NoiseUpdate(Byzantine):
    name: ClassVar[str] = "noise"
    scale: float = 1.0

    def make_update(self, ctx: ProposeContext) -> State:
        return ctx.noise_like(ctx.global_state, self.scale)


@dataclass
class SignFlip(Byzantine):
    name: ClassVar[str] = "signflip"
    boost: float = 10.0

    def make_update(self, ctx: ProposeContext) -> State:
        trained = ctx.train()
        return ctx.combine(ctx.global_state, trained, -self.boost)


@dataclass
class LabelFlip(Byzantine):
    name: ClassVar[str] = "labelflip"

    def make_update(self, ctx: ProposeContext) -> State:
        return ctx.train(flip_labels=True)


@dataclass
class SleeperLabelFlip(LabelFlip):
    """Honest for its first `honest_proposals` proposals, a label flipper after: the attack that
    waits until the model is mature, where stopping it rests on the class push alone. The count
    is kept in memory (a restarted node counts again), which is enough for simulation."""

    name: ClassVar[str] = "sleeper"
    honest_proposals: int = 5
    _proposed: int = field(default=0, init=False, repr=False)

    def make_update(self, ctx: ProposeContext) -> State:
        self._proposed += 1
        return ctx.train(flip_labels=self._proposed > self.honest_proposals)


@dataclass
class FreeRider(Byzantine):
    name: ClassVar[str] = "freerider"

    def make_update(self, ctx: ProposeContext) -> State:
        return ctx.global_state


@dataclass
class LazyVoter(Behaviour):
    name: ClassVar[str] = "lazy"
    adversarial: ClassVar[bool] = True
    evaluates: ClassVar[bool] = False
    fetches: ClassVar[bool] = False

    def vote(self, ctx: VoteContext) -> Verdict:
        return Verdict(accept={i: True for i in ctx.submitted}, reasons={i: "lazy: accepted unseen" for i in ctx.submitted})


@dataclass
class Colluding(Byzantine):
    """A cartel: sign-flipped updates as proposers, partners only as voters (never honest votes:
    `vote_honestly` is ignored, that is what distinguishes it from `signflip`)."""

    name: ClassVar[str] = "colluding"
    evaluates: ClassVar[bool] = False
    boost: float = 10.0

    def make_update(self, ctx: ProposeContext) -> State:
        return ctx.combine(ctx.global_state, ctx.train(), -self.boost)

    def vote(self, ctx: VoteContext) -> Verdict:
        return coalition_vote(ctx, self.partners)


@dataclass
class NoShow(Behaviour):
    name: ClassVar[str] = "noshow"
    adversarial: ClassVar[bool] = True
    shows_up: ClassVar[bool] = False


BEHAVIOURS: dict[str, Callable[..., Behaviour]] = {
    cls.name: cls
    for cls in (Behaviour, NoiseUpdate, SignFlip, LabelFlip, SleeperLabelFlip, FreeRider, LazyVoter, Colluding, NoShow)
}
"""Behaviour name -> constructor (keyword arguments are the behaviour's parameters)."""

ATTACKS: tuple[str, ...] = tuple(name for name, cls in BEHAVIOURS.items() if getattr(cls, "adversarial", False))


def make_behaviour(name: str, **params: Any) -> Behaviour:
    """Build a behaviour by name, e.g. `make_behaviour("signflip", boost=5.0)`."""
    try:
        factory = BEHAVIOURS[name]
    except KeyError:
        raise ConfigError(f"unknown behaviour {name!r}; choose one of {', '.join(sorted(BEHAVIOURS))}") from None
    try:
        return factory(**params)
    except TypeError as exc:
        raise ConfigError(f"bad parameters for behaviour {name!r}: {exc}") from exc
