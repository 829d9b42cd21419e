"""`run_arena_simulation`: a whole Arena competition on one embedded chain, then the Alliance task
derived from its winner, run to completion.

Every actor is a real node role (`fedledger.node.arena` trainers, validators and creator; the
Alliance `Participant`) with its own account and state dir; they share one chain (embedded EVM by
default, or `rpc_url`) and one local blob store in a temp dir. The engine only schedules: it calls
`step()` on each actor in turn and, when a whole sweep makes no progress while a deadline is
pending (a validator that never reveals), advances chain time past that deadline.
"""

from __future__ import annotations

import itertools
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fedledger.chain import ChainClient
from fedledger.chain.client import GAS_MONEY_WEI
from fedledger.chain.alliance import AllianceTaskClient
from fedledger.chain.arena import ArenaTaskClient, alliance_config_hash
from fedledger.chain.factory import Stack, deploy_stack
from fedledger.core.errors import ConfigError, FedledgerError
from fedledger.core.records import AllianceConfig, ArenaConfig, ArenaPhase, ArenaStatus
from fedledger.learning.data import Dataset, load_dataset
from fedledger.learning.partition import iid, train_test_split
from fedledger.node.arena import ArenaCreator, ArenaTrainer, ArenaValidator, make_validator_behaviour
from fedledger.node.behaviours import Behaviour
from fedledger.node.participant import Participant
from fedledger.sim.clock import advance_alliance_round, advance_past_next_deadline
from fedledger.sim.arena.config import TOKEN, ArenaSimConfig, make_arena_spec
from fedledger.sim.chainsetup import beacon_seed, participant_account
from fedledger.sim.arena.report import (
    AllianceResult,
    AllianceRound,
    ArenaReport,
    SubmissionResult,
    TrainerResult,
    ValidatorResult,
)
from fedledger.storage.local import LocalStore

ARENA_KEY_DOMAIN = b"fedledger-arena"
"""Keeps the Arena run's derived keys apart from an Alliance simulation's with the same seed."""

Progress = Callable[[dict[str, Any]], None]
"""Called with `{"event": ...}` dicts: `setup`, `phase`, `action`, `leaderboard`, `alliance_derived`,
`alliance_round`, `finished` (see `run_arena_simulation`)."""

MAX_IDLE_SWEEPS = 1000


@dataclass
class _GasMeter:
    totals: dict[str, int] = field(default_factory=dict)

    def __call__(self, address: str, name: str, receipt: Any) -> None:
        self.totals[name] = self.totals.get(name, 0) + int(receipt["gasUsed"])


@dataclass(frozen=True)
class _Data:
    eval_set: Dataset
    trainer_shares: list[Dataset]
    alliance_shares: list[Dataset]


def _make_data(config: ArenaSimConfig, spec: Any) -> _Data:
    """Creator's held-out evaluation set; disjoint trainer shares of the given sizes; IID Alliance shares."""
    full = load_dataset(spec.dataset, seed=config.seed)
    pool_idx, eval_idx = train_test_split(np.arange(len(full)), config.eval_fraction, config.seed)
    pool = full.subset(pool_idx)
    need = sum(config.trainer_samples)
    if need > len(pool):
        raise ConfigError(f"trainers want {need} samples in total but only {len(pool)} are outside the evaluation set")
    order = np.random.default_rng(config.seed + 1).permutation(len(pool))
    shares, cursor = [], 0
    for n in config.trainer_samples:
        shares.append(pool.subset(order[cursor : cursor + n]))
        cursor += n
    parts = iid(len(pool), config.alliance_participants, config.seed + 2, min_samples=20)
    return _Data(full.subset(eval_idx), shares, [pool.subset(p) for p in parts])


def _alliance_config(config: ArenaSimConfig, spec_hash: bytes) -> AllianceConfig:
    n = config.alliance_participants
    return AllianceConfig(
        spec_hash=spec_hash, reward_pool=0, stake_required=config.alliance_stake, min_participants=3,
        max_participants=n, rounds=config.alliance_rounds, proposer_ratio_bps=5000, propose_window=3600,
        commit_window=3600, reveal_window=3600,
    )


def _arena_config(config: ArenaSimConfig, alliance_hash: bytes) -> ArenaConfig:
    n_val = config.validator_count
    return ArenaConfig(
        spec_hash=b"\x01" * 32, eval_set_hash=b"\x01" * 32,  # replaced by the creator with the published hashes
        reward_pool=config.reward_pool, trainer_stake=config.trainer_stake, validator_stake=config.min_validator_stake,
        creator_stake=config.creator_stake, alliance_config_hash=alliance_hash,
        max_trainers=len(config.trainer_samples), max_validators=n_val, validators_per_submission=config.k,
        max_validations_per_validator=max(1, len(config.trainer_samples)), trainer_share_bps=config.trainer_share_bps,
        validator_slash_bps=config.validator_slash_bps, absent_slash_bps=config.absent_slash_bps,
        alliance_share_bps=config.alliance_share_bps, validator_tolerance=config.validator_tolerance,
        score_exponent=config.score_exponent, submission_window=3600, commit_window=3600, reveal_window=3600,
        max_duration=7 * 24 * 3600,
    )


def _advance_arena(task: ArenaTaskClient) -> bool:
    """Move chain time just past the next pending Arena deadline; False if none is pending."""
    p = task.progress()
    if p.status is not ArenaStatus.ACTIVE:
        return False
    return advance_past_next_deadline(task.client, (p.submission_deadline, p.commit_deadline, p.reveal_deadline))


def _arena_liabilities(task: ArenaTaskClient) -> int:
    """What the task owes now (docs/arena-protocol.md, Token conservation); must equal its balance."""
    out = task.outcome()
    stakes = sum(a.stake for a in (task.account(x) for x in [*task.trainers(), *task.validators()]) if not a.withdrawn)
    return stakes + out.pool + out.alliance_reserve + out.trainer_budget_left + out.validator_budget_left + out.creator_owed


def run_arena_simulation(
    config: ArenaSimConfig | None = None, progress: Progress | None = None, workdir: Path | None = None
) -> ArenaReport:
    """Run one Arena task end to end, derive the Alliance task from its winner, run that to
    completion, and return the report. `progress` receives per-phase events as they happen."""
    config = config or ArenaSimConfig()
    started = time.perf_counter()
    emit = progress or (lambda _event: None)
    spec = make_arena_spec(config)
    data = _make_data(config, spec)
    tmp = tempfile.TemporaryDirectory(prefix="fedledger-arena-") if workdir is None else None
    root = Path(tmp.name) if tmp is not None else Path(workdir)  # type: ignore[arg-type]
    try:
        return _run(config, spec, data, root, emit, started)
    finally:
        if tmp is not None:
            tmp.cleanup()


def _run(config: ArenaSimConfig, spec: Any, data: _Data, root: Path, emit: Progress, started: float) -> ArenaReport:
    phase_t = time.perf_counter()
    report = ArenaReport(config=config.to_dict())
    store = LocalStore(root / "store")
    # Embedded: the beacon and every key derive from config.seed, so a seed replays the same
    # lottery draws and verdicts (as the Alliance simulation does). A real node keeps the
    # balances and nonces of earlier runs, so there the keys are fresh random ones.
    client = ChainClient.connect(config.rpc_url) if config.rpc_url else ChainClient.embedded(beacon_seed(config.seed))
    owner = client.dev_accounts()[0]
    stack = deploy_stack(client, owner)
    meter = _GasMeter()
    key_index = itertools.count()

    def funded(amount: int) -> Any:
        if config.rpc_url:
            account = client.new_account()
        else:
            account = participant_account(config.seed, next(key_index), ARENA_KEY_DOMAIN)
            client.wait_all([client.send_eth(account.address, GAS_MONEY_WEI, owner)])
        stack.token.mint(account.address, amount, owner)
        return account

    creator_acc = funded(config.reward_pool + config.creator_stake)
    trainer_accs = [funded(config.trainer_stake) for _ in config.trainer_samples]
    behaviours = (["honest"] * len(config.honest_stakes) + ["liar"] * config.liars + ["lazy"] * config.lazy
                  + ["silent"] * config.silent)
    stakes = [*config.honest_stakes, *[config.adversary_stake] * (config.validator_count - len(config.honest_stakes))]
    validator_accs = [funded(s * TOKEN) for s in stakes]
    alliance_accs = [funded(config.alliance_stake) for _ in range(config.alliance_participants)]
    everyone = [owner.address, creator_acc.address, *(a.address for a in [*trainer_accs, *validator_accs, *alliance_accs])]
    initial = {a: stack.token.balance_of(a) for a in everyone}
    supply = sum(initial.values())

    creator = ArenaCreator(stack.factory, store, creator_acc, spec, data.eval_set, on_tx=meter)
    alliance_cfg = _alliance_config(config, bytes(spec.spec_digest()))
    task = creator.create(_arena_config(config, alliance_config_hash(alliance_cfg)))
    cfg = task.config()
    report.task_address, report.spec_hash, report.eval_set_hash = task.address, cfg.spec_hash.hex(), cfg.eval_set_hash.hex()
    emit({"event": "setup", "task": task.address, "trainers": len(trainer_accs), "validators": len(validator_accs),
          "reward_pool": cfg.reward_pool, "eval_samples": len(data.eval_set)})

    trainers = [
        ArenaTrainer(task, store, acc, share, root / "state" / acc.address, epochs=epochs, seed=config.seed * 1000 + i,
                     on_tx=meter)
        for i, (acc, share, epochs) in enumerate(zip(trainer_accs, data.trainer_shares, config.trainer_epochs))
    ]
    validators = [
        ArenaValidator(task, store, acc, root / "state" / acc.address, s * TOKEN, make_validator_behaviour(b),
                       eval_set_source=creator.hand_eval_set, seed=config.seed, on_tx=meter)
        for acc, s, b in zip(validator_accs, stakes, behaviours)
    ]
    report.phases_s["setup"] = time.perf_counter() - phase_t
    phase_t = time.perf_counter()
    _drive_arena(task, creator, validators, trainers, emit)
    report.phases_s["arena"] = time.perf_counter() - phase_t
    _record_arena(report, task, creator, trainers, validators, initial)
    report.arena_conservation_ok = stack.token.balance_of(task.address) == _arena_liabilities(task)
    emit({"event": "leaderboard", "winner": report.winner,
          "trainers": [{"address": t.address, "score": t.score, "reward": t.reward} for t in report.trainers],
          "validators": [{"address": v.address, "behaviour": v.behaviour, "reward": v.reward, "slashed": v.slashed}
                         for v in report.validators]})

    out = task.outcome()
    if out.has_winner:
        phase_t = time.perf_counter()
        alliance = creator.derive_alliance(alliance_cfg)
        creator.withdraw()
        report.arena_conservation_ok = report.arena_conservation_ok and stack.token.balance_of(task.address) == 0
        report.alliance = _run_alliance(config, stack, alliance, creator, store, alliance_accs, data.alliance_shares,
                                        root, out.winner_model_hash, emit, meter)
        report.phases_s["alliance"] = time.perf_counter() - phase_t
    else:
        creator.withdraw()
    final = {a: stack.token.balance_of(a) for a in everyone}
    escrow = stack.token.balance_of(task.address) + (
        stack.token.balance_of(report.alliance.address) if report.alliance is not None else 0)
    report.conservation_ok = sum(final.values()) + escrow == supply
    report.gas = dict(sorted(meter.totals.items()))
    report.wall_s = time.perf_counter() - started
    emit({"event": "finished", "winner": report.winner, "wall_s": report.wall_s,
          "alliance_accuracy": report.alliance.final_accuracy if report.alliance else None,
          "conservation_ok": report.conservation_ok})
    return report


def _drive_arena(task: ArenaTaskClient, creator: ArenaCreator, validators: list[ArenaValidator],
                 trainers: list[ArenaTrainer], emit: Progress) -> None:
    """Step creator, validators (first, so they register before the last trainer submits) and
    trainers until the task is finished and everyone withdrew."""
    actors: list[tuple[str, Any]] = [("creator", creator), *(("validator", v) for v in validators),
                                     *(("trainer", t) for t in trainers)]
    last_phase: ArenaPhase | None = None
    idle = 0
    while True:
        phase = task.phase()
        if phase is not last_phase:
            emit({"event": "phase", "phase": phase.name.lower(), "progress": task.progress().__dict__})
            last_phase = phase
        progressed = False
        for role, actor in actors:
            action = actor.step()
            if action not in ("idle", "done"):
                progressed = True
                emit({"event": "action", "role": role, "address": actor.address, "action": action})
        if all(n.done for n in [*validators, *trainers]):
            final = task.phase()
            if final is not last_phase:
                emit({"event": "phase", "phase": final.name.lower(), "progress": task.progress().__dict__})
            return
        if progressed:
            idle = 0
            continue
        idle += 1
        if idle > MAX_IDLE_SWEEPS:
            raise FedledgerError("arena simulation stalled: no actor can act and no deadline is pending")
        if not _advance_arena(task) and task.status() is ArenaStatus.ACTIVE and phase is ArenaPhase.SETTLEMENT:
            raise FedledgerError("arena simulation stalled in settlement: finalize did not go through")


def _record_arena(report: ArenaReport, task: ArenaTaskClient, creator: ArenaCreator, trainers: list[ArenaTrainer],
                  validators: list[ArenaValidator], initial: dict[str, int]) -> None:
    token = task.token
    out = task.outcome()
    report.winner = out.winner if out.has_winner else None
    report.winner_model_hash = out.winner_model_hash.hex() if out.has_winner else ""
    report.budgets = {"trainer_budget": out.trainer_budget, "validator_budget": out.validator_budget,
                      "alliance_reserve": out.alliance_reserve, "creator_refund": out.creator_owed}
    slashes: dict[str, int] = {}
    for event in task.events("Slashed"):
        who = str(event["args"]["account"])
        slashes[who] = slashes.get(who, 0) + int(event["args"]["amount"])
    subs = task.submissions()
    by_trainer = {s.trainer: s for s in subs}
    for s in subs:
        report.submissions.append(SubmissionResult(s.index, s.trainer, s.model_hash.hex(), s.score if s.scored else None,
                                                   list(s.validators)))
    for t in trainers:
        acc = task.account(t.address)
        net = token.balance_of(t.address) - initial[t.address]
        sub = by_trainer.get(t.address)
        slashed = slashes.get(t.address, 0)
        report.trainers.append(TrainerResult(
            address=t.address, samples=len(t.data), epochs=t.epochs or 1,
            model_hash=sub.model_hash.hex() if sub else "", score=sub.score if sub and sub.scored else None,
            creator_accuracy=creator.metric_of(sub.model_hash) if sub else 0.0,
            deposit=acc.deposit, reward=net + slashed, slashed=slashed,
        ))
    for v in validators:
        acc = task.account(v.address)
        revealed = {}
        for s in task.assignments_of(v.address):
            vote = task.vote_of(s, v.address)
            if vote.revealed:
                revealed[s] = vote.score
        net = token.balance_of(v.address) - initial[v.address]
        slashed = slashes.get(v.address, 0)
        report.validators.append(ValidatorResult(
            address=v.address, behaviour=v.behaviour.name, adversarial=v.behaviour.adversarial, deposit=acc.deposit,
            scores=revealed, committed=dict(v.scores), closeness=acc.closeness, reward=net + slashed, slashed=slashed,
        ))


def _run_alliance(config: ArenaSimConfig, stack: Stack, alliance: AllianceTaskClient, creator: ArenaCreator,
                  store: LocalStore, accounts: list[Any], shares: list[Dataset], root: Path, winner_hash: bytes,
                  emit: Progress, meter: _GasMeter) -> AllianceResult:
    """Drive the derived Alliance task with honest `Participant`s until everyone withdrew."""
    acfg = alliance.config()
    result = AllianceResult(
        address=alliance.address, reward_pool=acfg.reward_pool, initial_model_hash=acfg.initial_model_hash.hex(),
        first_round_global_hash="", starts_from_winner=False, winner_accuracy=creator.metric_of(winner_hash),
    )
    emit({"event": "alliance_derived", "address": alliance.address, "reward_pool": acfg.reward_pool,
          "initial_model_hash": acfg.initial_model_hash.hex(), "winner_accuracy": result.winner_accuracy})
    initial = {a.address: stack.token.balance_of(a.address) for a in accounts}
    nodes = [Participant(alliance, store, acc, share, root / "alliance-state" / acc.address, Behaviour(), on_tx=meter)
             for acc, share in zip(accounts, shares)]
    idle = 0
    while not all(n.done for n in nodes):
        progressed = False
        for node in nodes:
            action = node.step()
            if action in ("idle", "done"):
                continue
            progressed = True
            emit({"event": "action", "role": "alliance", "address": node.address, "action": action})
            if action == "started round 0":
                result.first_round_global_hash = bytes(alliance.global_model_hash()).hex()
                result.starts_from_winner = result.first_round_global_hash == winner_hash.hex()
            elif action.startswith("finalized round"):
                r = int(action.rsplit(" ", 1)[1])
                info = alliance.round_info(r)
                digest = bytes(alliance.global_model_hash())
                rec = AllianceRound(
                    round=r, proposers=list(info.proposers),
                    accepted=[p for i, p in enumerate(info.proposers) if info.outcome_bitmap >> i & 1],
                    global_model_hash=digest.hex(), accuracy=creator.metric_of(digest),
                )
                result.rounds.append(rec)
                emit({"event": "alliance_round", "round": r, "accuracy": rec.accuracy, "accepted": len(rec.accepted),
                      "proposers": len(rec.proposers)})
        if progressed:
            idle = 0
            continue
        idle += 1
        if idle > MAX_IDLE_SWEEPS:
            raise FedledgerError("derived alliance stalled: no participant can act and no deadline is pending")
        advance_alliance_round(alliance)
    # the creator collects the unspent pool refund (the Arena creator is the Alliance creator)
    if alliance.participant_info(creator.address).claimable > 0:
        alliance.withdraw(creator.account)
    result.conservation_ok = stack.token.balance_of(alliance.address) == 0
    result.net_change = {a.address: stack.token.balance_of(a.address) - initial[a.address] for a in accounts}
    return result
