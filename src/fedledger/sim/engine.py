"""`run_simulation`: N participants (some adversarial) on one chain, stepped round-robin.

Every participant is a real `node.Participant` with its own account, state dir and private
data; they share one chain (embedded EVM by default, or `rpc_url`) and one local blob store.
The engine only schedules: it calls `step()` on each node in turn, and when a whole sweep
makes no progress while a phase deadline is pending (absent nodes), it advances chain time
past that deadline. Honest rounds therefore never wait for a clock.
"""

from __future__ import annotations

import logging
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fedledger.chain import ChainStats
from fedledger.core.errors import FedledgerError
from fedledger.learning.spec import TaskSpec
from fedledger.node.behaviours import BEHAVIOURS, Behaviour, Byzantine, make_behaviour
from fedledger.node.learner import accuracy
from fedledger.node.participant import TIMED_STEP_PARTS, Participant
from fedledger.node.specs import publish_validation_set
from fedledger.node.voting import VoteRule
from fedledger.sim import chainsetup
from fedledger.sim.baseline import run_replayed_fedavg
from fedledger.sim.clock import advance_alliance_round
from fedledger.sim.config import SimConfig, make_spec
from fedledger.sim.data import make_sim_data
from fedledger.sim.report import ParticipantSummary, RoundRecord, SimReport
from fedledger.storage.local import LocalStore

log = logging.getLogger(__name__)

Progress = Callable[[dict[str, Any]], None]
"""Called with a per-round summary dict (see `RoundRecord`) plus `{"event": ...}` markers."""

MAX_IDLE_SWEEPS = 10_000
TIMED_PARTS = ("train", "evaluate", *TIMED_STEP_PARTS)
"""The parts of a round's protocol time that are measured; "chain" is the rest of `step()`."""


def assign_behaviours(config: SimConfig, addresses: list[str]) -> list[Behaviour]:
    """Seeded assignment of the configured adversaries to participants; the rest are honest.

    All Byzantine adversaries of a run (noise, signflip, labelflip, sleeper, freerider, colluding)
    form one coalition: as voters they back each other's updates (see `Byzantine`).
    """
    rng = random.Random(config.seed)
    order = list(range(len(addresses)))
    rng.shuffle(order)
    chosen: dict[str, list[int]] = {}
    cursor = 0
    for name, count in sorted(config.adversaries.items()):
        chosen[name] = order[cursor : cursor + count]
        cursor += count
    coalition = frozenset(
        addresses[i] for name, idx in chosen.items() if issubclass(BEHAVIOURS[name], Byzantine) for i in idx  # type: ignore[arg-type]
    )
    behaviours: list[Behaviour] = [make_behaviour("honest") for _ in addresses]
    for name, idx in chosen.items():
        for i in idx:
            if issubclass(BEHAVIOURS[name], Byzantine):  # type: ignore[arg-type]
                params: dict[str, Any] = {"partners": coalition}
                if name != "colluding":
                    params["vote_honestly"] = config.adversaries_vote_honestly
                behaviours[i] = make_behaviour(name, **params)
            else:
                behaviours[i] = make_behaviour(name)
    return behaviours


@dataclass
class _GasMeter:
    current_round: int = 0
    per_round: dict[int, dict[str, int]] = field(default_factory=dict)
    tx_count: dict[int, int] = field(default_factory=dict)
    finalized: dict[int, Any] = field(default_factory=dict)
    """round -> the receipt of its `finalizeRound` (what the round decided, as events)"""
    ejected: list[str] = field(default_factory=list)
    """accounts ejected by the rounds recorded so far (from their `Ejected` events)"""

    def __call__(self, address: str, name: str, receipt: Any) -> None:
        bucket = self.per_round.setdefault(self.current_round, {})
        bucket[name] = bucket.get(name, 0) + int(receipt["gasUsed"])
        self.tx_count[self.current_round] = self.tx_count.get(self.current_round, 0) + 1
        if name == "finalizeRound":
            self.finalized[self.current_round] = receipt


def run_simulation(config: SimConfig, progress: Progress | None = None, workdir: Path | None = None) -> SimReport:
    """Run one simulated Alliance task end to end and return its report."""
    started = time.perf_counter()
    emit = progress or (lambda _summary: None)
    spec = make_spec(config)
    data = make_sim_data(
        spec, config.participants, config.alpha, config.seed, config.global_test_fraction,
        config.public_validation_samples,
    )

    tmp = tempfile.TemporaryDirectory(prefix="fedledger-sim-") if workdir is None else None
    root = Path(tmp.name) if tmp is not None else Path(workdir)  # type: ignore[arg-type]
    try:
        store = LocalStore(root / "store")
        if data.validation is not None:
            spec = publish_validation_set(store, spec, data.validation)
        store.put(spec.canonical_json())
        env = chainsetup.setup(config, spec.spec_digest(), participants=config.participants)
        meter = _GasMeter()
        addresses = [a.address for a in env.accounts]
        behaviours = assign_behaviours(config, addresses)
        nodes = [
            Participant(
                env.task,
                store,
                account,
                share,
                root / "state" / account.address,
                behaviour,
                test_fraction=config.local_test_fraction,
                on_tx=meter,
                vote_rule=VoteRule(use_previous_step=config.vote_on_previous_step),
            )
            for account, share, behaviour in zip(env.accounts, data.shares, behaviours)
        ]
        initial_tokens = {a: env.token_balance(a) for a in addresses}
        report = SimReport(
            config=config.to_dict(),
            participants=[
                ParticipantSummary(
                    address=a,
                    behaviour=b.name,
                    adversarial=b.adversarial,
                    num_train=0,
                    num_test=0,
                    initial_tokens=initial_tokens[a],
                )
                for a, b in zip(addresses, behaviours)
            ],
            task_address=env.task.address,
        )
        emit({"event": "started", "task": env.task.address, "participants": len(nodes)})
        _drive(env, nodes, meter, report, spec, data.global_test, emit)
        for summary, node in zip(report.participants, nodes):
            summary.num_train = len(node.learner.train_data)
            summary.num_test = len(node.learner.test_data)
            summary.final_tokens = env.token_balance(summary.address)
        report.conservation_ok = env.conservation_ok()
        if config.baseline:
            base = run_replayed_fedavg(
                spec,
                dict(zip(addresses, data.shares)),
                [rec.proposers for rec in report.rounds],
                data.global_test,
                config.local_test_fraction,
            )
            report.baseline_accuracy = base.accuracy
            report.baseline_wall_s = base.wall_s
            report.baseline_round_s = base.round_s
            for rec, acc in zip(report.rounds, base.accuracy):
                rec.baseline_accuracy = acc
            adversarial = {p.address for p in report.participants if p.adversarial}
            if adversarial:
                report.honest_baseline_accuracy = run_replayed_fedavg(
                    spec,
                    dict(zip(addresses, data.shares)),
                    [[p for p in rec.proposers if p not in adversarial] for rec in report.rounds],
                    data.global_test,
                    config.local_test_fraction,
                ).accuracy
        report.wall_s = time.perf_counter() - started
        emit({"event": "finished", "final_accuracy": report.final_accuracy, "baseline": report.final_baseline_accuracy})
        return report
    finally:
        if tmp is not None:
            tmp.cleanup()


def _drive(
    env: chainsetup.SimChain,
    nodes: list[Participant],
    meter: _GasMeter,
    report: SimReport,
    spec: TaskSpec,
    global_test: Any,
    emit: Progress,
) -> None:
    """Step every node round-robin until all are done; record each round as it finalizes."""
    task = env.task
    round_started = time.perf_counter()
    before = _node_timings(nodes)
    chain_spent = ChainStats()  # the nodes' steps only, not this loop's own reads
    idle_sweeps = 0
    while not all(n.done for n in nodes):
        progressed = False
        # Every node first reads the same block, as the nodes of a network all see each new
        # block; each then acts on what it saw (see `Participant.observe`).
        stats_before = env.client.stats.snapshot()
        for node in nodes:
            node.observe()
        chain_spent.add(env.client.stats.since(stats_before))
        for node in nodes:
            stats_before = env.client.stats.snapshot()
            action = node.step()
            chain_spent.add(env.client.stats.since(stats_before))
            if action in ("idle", "done"):
                continue
            progressed = True
            if action.startswith("started round"):
                meter.current_round = int(action.rsplit(" ", 1)[1])
            elif action.startswith("finalized round"):
                current = int(action.rsplit(" ", 1)[1])
                now_timings = _node_timings(nodes)
                spent = {k: now_timings[k] - before[k] for k in now_timings}
                wall = time.perf_counter() - round_started
                info = task.round_info(current)
                record = _record_round(env, nodes, current, info, meter, spec, global_test)
                record.wall_s = wall
                record.train_s = spent["train"]
                record.protocol_s = spent["step"]
                record.transactions = meter.tx_count.get(current, 0)
                record.breakdown = {part: spent[part] for part in TIMED_PARTS}
                record.breakdown["chain"] = spent["step"] - sum(spent[part] for part in TIMED_PARTS)
                record.views = chain_spent.views
                record.chain_split = {
                    "views": chain_spent.view_s,
                    "transactions": chain_spent.transaction_s,
                    "logic": record.breakdown["chain"] - chain_spent.view_s - chain_spent.transaction_s,
                }
                chain_spent = ChainStats()
                report.rounds.append(record)
                emit({"event": "round", **_summary(record, report)})
                before = _node_timings(nodes)
                round_started = time.perf_counter()
        if progressed:
            idle_sweeps = 0
            continue
        idle_sweeps += 1
        if idle_sweeps > MAX_IDLE_SWEEPS:
            raise FedledgerError("simulation stalled: no node can act and no deadline is pending")
        if not advance_alliance_round(env.task):
            if all(n.done or not n.behaviour.shows_up for n in nodes):
                break


def _node_timings(nodes: list[Participant]) -> dict[str, float]:
    """Totals over all nodes of the seconds each spent per activity so far."""
    learners = [n._learner for n in nodes if n._learner is not None]
    return {
        "step": sum(n.timings["step"] for n in nodes),
        **{part: sum(n.timings[part] for n in nodes) for part in TIMED_STEP_PARTS},
        "train": sum(lr.train_seconds for lr in learners),
        "evaluate": sum(lr.eval_seconds for lr in learners),
    }


def _record_round(
    env: chainsetup.SimChain,
    nodes: list[Participant],
    r: int,
    info: Any,
    meter: _GasMeter,
    spec: TaskSpec,
    global_test: Any,
) -> RoundRecord:
    task = env.task
    proposers = list(info.proposers)
    verdicts: dict[str, str] = {}
    for i, p in enumerate(proposers):
        if not info.submitted_bitmap >> i & 1:
            verdicts[p] = "absent"
        elif info.outcome_bitmap >> i & 1:
            verdicts[p] = "accepted"
        else:
            verdicts[p] = "rejected"
    digest = bytes(task.global_model_hash())
    holder = next(n for n in nodes if n._learner is not None)
    acc = accuracy(spec, holder._global()[1], global_test) if any(digest) else 0.0
    stakes = {n.address: env.stake_of(n.address) for n in nodes}
    balances = {n.address: stakes[n.address] + env.claimable_of(n.address) for n in nodes}
    # From the finalize receipt's Slashed events: stake differences would miss round 0, whose
    # pre-round stakes are the deposits made while joining.
    settlement = task.settlement(meter.finalized[r])
    if settlement.round != r:
        raise FedledgerError(f"the finalize receipt recorded for round {r} settled round {settlement.round}")
    slashes = {who: amount for who, (amount, _reason) in settlement.slashes.items()}
    ejected = list(meter.ejected)  # ejected by earlier rounds: this one's sit out from the next
    meter.ejected.extend(settlement.ejected)
    return RoundRecord(
        round=r,
        proposers=proposers,
        voters=[n.address for n in nodes if n.address not in ejected],  # proposers vote too
        ejected=ejected,
        verdicts=verdicts,
        accuracy=acc,
        baseline_accuracy=None,
        global_model_hash="0x" + digest.hex(),
        gas=dict(meter.per_round.get(r, {})),
        balances=balances,
        slashes=slashes,
        wall_s=0.0,
        train_s=0.0,
    )


def _summary(record: RoundRecord, report: SimReport) -> dict[str, Any]:
    kinds = {p.address: p for p in report.participants}
    return {
        "round": record.round,
        "accuracy": record.accuracy,
        "accepted": sum(v == "accepted" for v in record.verdicts.values()),
        "rejected": sum(v == "rejected" for v in record.verdicts.values()),
        "absent": sum(v == "absent" for v in record.verdicts.values()),
        "ejected": [f"{a[:8]}({kinds[a].behaviour})" for a in record.ejected],
        "verdicts": {f"{a[:8]}({kinds[a].behaviour})": v for a, v in record.verdicts.items()},
        "slashed": {f"{a[:8]}({kinds[a].behaviour})": s for a, s in record.slashes.items()},
        "gas": sum(record.gas.values()),
        "wall_s": record.wall_s,
    }
