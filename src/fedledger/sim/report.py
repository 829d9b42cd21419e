"""What a simulation run records, in plain dataclasses that serialise to JSON.

Token amounts are integers in the token's smallest unit (wei-like), as on-chain; JSON keeps
them as integers (Python's json handles big ints exactly).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ParticipantSummary:
    """One simulated participant: who it is, how it behaves, how it fared."""

    address: str
    behaviour: str
    adversarial: bool
    num_train: int
    num_test: int
    initial_tokens: int
    final_tokens: int | None = None

    @property
    def net_change(self) -> int | None:
        """Tokens after withdrawal minus tokens before joining (negative = lost money)."""
        return None if self.final_tokens is None else self.final_tokens - self.initial_tokens


@dataclass
class RoundRecord:
    """Everything measured about one round, after it was finalized."""

    round: int
    proposers: list[str]
    voters: list[str]
    verdicts: dict[str, str]
    """proposer address -> accepted | rejected | tie | absent"""
    accuracy: float
    """accuracy of the on-chain global model on the held-out global test set"""
    baseline_accuracy: float | None
    global_model_hash: str
    gas: dict[str, int]
    """contract function -> total gas used by it in this round"""
    balances: dict[str, int]
    """address -> stake + claimable after finalization"""
    slashes: dict[str, int]
    """address -> stake lost in this round (only non-zero entries)"""
    wall_s: float
    train_s: float
    """seconds spent in local training (all proposers), the part plain FedAvg also pays"""
    protocol_s: float = 0.0
    """seconds spent inside the nodes' `step()` calls in this round (all nodes, one after
    another): the protocol's cost on one machine, without the simulation's own bookkeeping
    (global-test accuracy, balance reads for the report)"""
    transactions: int = 0
    """transactions the nodes sent in this round"""
    ejected: list[str] = field(default_factory=list)
    """participants that sat this round out: ejected in an earlier round (stake below half of
    `stakeRequired`)"""
    breakdown: dict[str, float] = field(default_factory=dict)
    """`protocol_s` split into train, evaluate (voters scoring updates), storage (serialise,
    hash, put/get blobs), validate (the voters' shape, finiteness and norm checks of every
    update, which also build its delta to the global model), aggregate (FedAvg, direction screen, cosines), reference (the
    voters' public reference step: training on the public set and its class-feature pass)
    and chain (views, transactions and the node's own logic: the rest)"""
    views: int = 0
    """chain views the nodes' steps made in this round (client-side cache hits included)"""
    chain_split: dict[str, float] = field(default_factory=dict)
    """`breakdown["chain"]` split into views, transactions (estimate, sign, send, receipt)
    and logic (the node's own code between them: decoding, vote bookkeeping, the vote record)"""


@dataclass
class SimReport:
    """The result of `run_simulation`."""

    config: dict[str, Any]
    participants: list[ParticipantSummary]
    rounds: list[RoundRecord] = field(default_factory=list)
    baseline_accuracy: list[float] = field(default_factory=list)
    baseline_wall_s: float = 0.0
    baseline_round_s: list[float] = field(default_factory=list)
    """plain FedAvg seconds per round: local training of the same clients plus averaging"""
    honest_baseline_accuracy: list[float] = field(default_factory=list)
    """with adversaries: plain FedAvg of only the honest proposers of each round (what a
    perfect defence reaches without the attackers' data); empty without adversaries"""
    task_address: str = ""
    wall_s: float = 0.0
    conservation_ok: bool | None = None

    @property
    def final_accuracy(self) -> float | None:
        return self.rounds[-1].accuracy if self.rounds else None

    @property
    def final_baseline_accuracy(self) -> float | None:
        return self.baseline_accuracy[-1] if self.baseline_accuracy else None

    def gas_totals(self) -> dict[str, int]:
        """Total gas per contract function over all rounds."""
        totals: dict[str, int] = {}
        for record in self.rounds:
            for name, gas in record.gas.items():
                totals[name] = totals.get(name, 0) + gas
        return totals

    def slashed(self, adversarial: bool) -> list[str]:
        """Addresses of the honest (or adversarial) participants slashed in any round."""
        kinds = {p.address: p.adversarial for p in self.participants}
        return sorted({a for r in self.rounds for a, v in r.slashes.items() if v > 0 and kinds.get(a) == adversarial})

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for summary, raw in zip(self.participants, data["participants"]):
            raw["net_change"] = summary.net_change
        data["final_accuracy"] = self.final_accuracy
        data["final_baseline_accuracy"] = self.final_baseline_accuracy
        data["final_honest_baseline_accuracy"] = self.honest_baseline_accuracy[-1] if self.honest_baseline_accuracy else None
        data["gas_totals"] = self.gas_totals()
        data["honest_slashed"] = self.slashed(False)
        data["adversaries_slashed"] = self.slashed(True)
        return data

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)

    def write(self, path: Path) -> Path:
        """Write the JSON report to `path` (parents created) and return the path."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json())
        return path
