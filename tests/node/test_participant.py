"""Participant against the embedded chain: crash-resume at the unit level and spec checks."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from fedledger.core.errors import ChainError, ConfigError, IntegrityError, RevertError, StorageError
from fedledger.core.records import TaskStatus
from fedledger.node.participant import NotParticipantError, Participant, fetch_spec
from fedledger.sim.chainsetup import setup
from fedledger.sim.config import SimConfig, make_spec
from fedledger.sim.data import make_sim_data
from fedledger.storage.cid import digest_of
from fedledger.storage.local import LocalStore


def _small_task(tmp_path: Path, rounds: int) -> tuple[SimConfig, Any, list[Participant]]:
    """Four participants of a small task on the embedded chain, one proposer per round."""
    config = SimConfig(participants=4, rounds=rounds, proposer_ratio_bps=2500)
    spec = make_spec(config)
    data = make_sim_data(spec, 4, config.alpha, 0, 0.2)
    store = LocalStore(tmp_path / "store")
    store.put(spec.canonical_json())
    env = setup(config, spec.spec_digest(), 4)
    nodes = [Participant(env.task, store, a, d, tmp_path / a.address) for a, d in zip(env.accounts, data.shares)]
    return config, env, nodes


def test_a_voter_restarted_after_committing_reveals_and_is_not_slashed(tmp_path: Path) -> None:
    config, env, nodes = _small_task(tmp_path, rounds=1)
    # run until some voter has committed in round 0
    victim = None
    for _ in range(200):
        for node in nodes:
            if node.step().startswith("committed"):
                victim = node
                break
        if victim is not None:
            break
    assert victim is not None
    vote = env.task.vote_of(0, victim.address)
    assert vote.committed and not vote.revealed
    # "crash": drop the object (its caches, its memo) and start a fresh one on the same state dir
    i = nodes.index(victim)
    nodes[i] = Participant(env.task, victim.store, env.accounts[i], victim.data, tmp_path / victim.address)
    for _ in range(200):
        if all(n.done for n in nodes):
            break
        for node in nodes:
            node.step()
    assert env.task.status() == TaskStatus.FINISHED
    assert env.task.vote_of(0, victim.address).revealed
    assert env.task.participant_info(victim.address).majority_votes == 1  # voted with the majority
    assert env.token_balance(victim.address) > config.stake


def test_spec_fetched_by_hash_must_be_canonical(tmp_path: Path) -> None:
    spec = make_spec(SimConfig())
    store = LocalStore(tmp_path)
    good = store.put(spec.canonical_json())
    assert fetch_spec(store, digest_of(good)) == spec
    pretty = store.put(spec.model_dump_json(indent=2).encode())
    with pytest.raises(IntegrityError, match="canonical"):
        fetch_spec(store, digest_of(pretty))


def _step_until(nodes: list[Participant], prefix: str, times: int = 1) -> None:
    """Step the nodes round-robin (each reading afresh) until `times` actions start with `prefix`."""
    seen = 0
    for _ in range(200):
        for node in nodes:
            if node.step().startswith(prefix):
                seen += 1
                if seen == times:
                    return
    raise AssertionError(f"no {prefix!r} action after 200 sweeps")


def test_observed_nodes_commit_without_reading_the_round_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After `observe()`, a node's own actions use what it observed, even though the other
    nodes' commits changed the round in between: one `roundInfo` read per block serves all."""
    _, env, nodes = _small_task(tmp_path, rounds=1)
    _step_until(nodes, "submitted update")  # round 0 has one proposer: its phase is over now
    for node in nodes:
        node.observe()

    def no_reads(*_args: Any) -> None:
        raise AssertionError("roundInfo read after observe()")

    monkeypatch.setattr(env.task, "round_info", no_reads)
    monkeypatch.setattr(env.task, "round_count", no_reads)
    assert [node.step() for node in nodes] == ["committed vote for round 0"] * 4
    monkeypatch.undo()
    assert env.task.round_info(0).committed_count == 4


def test_observed_nodes_recheck_actions_anyone_may_take(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Every node observes that the reveal phase is over; only the first finalizes, the next
    one checks afresh and starts round 1, and nobody sends a transaction that reverts."""
    _, env, nodes = _small_task(tmp_path, rounds=2)
    _step_until(nodes, "revealed vote", times=4)
    for node in nodes:
        node.observe()
    caplog.set_level(logging.INFO, logger="fedledger.node.participant")
    actions = [node.step() for node in nodes]
    assert actions[:2] == ["finalized round 0", "started round 1"]
    assert not any(a.startswith(("finalized", "started")) for a in actions[2:])
    assert "not needed" not in caplog.text
    assert env.task.current_round() == 1 and env.task.round_info(0).finalized


def test_a_vote_committed_from_another_state_dir_is_never_opened_with_a_new_salt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Without a vote record a node assumes it has not committed (no chain read). If the same
    key did commit from elsewhere, the commit reverts; the node sets its new record aside
    instead of revealing it, and the original state dir still reveals the real vote."""
    _, env, nodes = _small_task(tmp_path, rounds=1)
    _step_until(nodes, "committed vote")
    original = next(n for n in nodes if env.task.vote_of(0, n.address).committed)
    i = nodes.index(original)
    twin = Participant(env.task, original.store, env.accounts[i], original.data, tmp_path / "elsewhere")
    caplog.set_level(logging.ERROR, logger="fedledger.node.participant")
    assert twin.step() == "idle"
    assert "already committed in round 0 from elsewhere" in caplog.text
    assert twin.state.load_vote(0) is None and (twin.state.dir / "vote-0.orphan.json").exists()
    _step_until(nodes, "committed vote", times=3)  # the commit phase is over now
    assert twin.step() == "idle"  # committed, but no record to open it with: it does not reveal
    assert not env.task.vote_of(0, original.address).revealed
    _step_until(nodes, "revealed vote", times=4)
    assert env.task.vote_of(0, original.address).revealed


def test_a_voter_checks_every_update_and_reports_each_failure_in_proposer_order(tmp_path: Path) -> None:
    """Every way an update can fail is named, in proposer order: a blob nobody stored, a blob
    whose bytes do not match its hash, a NaN, a wrong shape; the good one keeps its delta."""
    import os

    import numpy as np
    import torch

    from fedledger.core.records import RoundUpdates, UpdateInfo
    from fedledger.learning.updates import state_to_bytes

    _, env, nodes = _small_task(tmp_path, rounds=1)
    voter = nodes[0]
    store = voter.store
    base = voter.learner.initial_state()
    good = {k: v + 0.01 for k, v in base.items()}
    nan = {k: v.clone() for k, v in good.items()}
    first = sorted(nan)[0]
    nan[first].view(-1)[0] = float("nan")
    wrong_shape = {k: v.clone() for k, v in good.items()}
    wrong_shape[first] = torch.zeros(3)
    corrupt_cid = store.put(state_to_bytes({k: v * 2 for k, v in good.items()}))
    path = store.path_of(corrupt_cid)
    os.chmod(path, 0o644)
    path.write_bytes(state_to_bytes(good))  # valid model bytes, but not the ones hashed
    digests = [
        digest_of(store.put(state_to_bytes(good))),
        bytes(range(32)),
        digest_of(corrupt_cid),
        digest_of(store.put(state_to_bytes(nan))),
        digest_of(store.put(state_to_bytes(wrong_shape))),
    ]
    updates = RoundUpdates(0, tuple(a.address for a in env.accounts[:1]) * 5, tuple(UpdateInfo(d, 10 + i) for i, d in enumerate(digests)))
    flat = voter.learner.flatten(base)

    def fetch() -> tuple[Any, ...]:
        voter._models.clear()
        return voter._fetch_updates(updates, [0, 1, 2, 3, 4], base, flat)

    scores, valid, deltas = fetch()
    assert [s.index for s in scores] == [0, 1, 2, 3, 4]
    assert [s.valid for s in scores] == [True, False, False, False, False]
    reasons = [s.reason for s in scores[1:]]
    assert "not found" in reasons[0] and "failed its integrity check" in reasons[1]
    assert "1 NaN" in reasons[2] and "has shape [3]" in reasons[3]
    assert set(valid) == {0} and valid[0][1] == 10 and set(deltas) == {0}
    expected = voter.learner.flatten(good)
    expected -= flat
    assert np.array_equal(deltas[0], expected)


def _pioneer_with_a_broken_store(tmp_path: Path) -> tuple[Any, Participant, Path]:
    """Round 0 started; its one proposer is about to publish into a store whose directory a
    plain file has replaced (every write then fails with an OSError, as on a lost mount)."""
    _, env, nodes = _small_task(tmp_path, rounds=1)
    for node in [n for _ in range(50) for n in nodes]:  # one step at a time, so none acts in round 0
        if env.task.round_count() >= 1:
            break
        node.step()
    assert env.task.round_info(0).submitted_count == 0
    (proposer,) = env.task.round_info(0).proposers
    pioneer = next(n for n in nodes if n.address == proposer)
    root = tmp_path / "store"
    root.rename(tmp_path / "store.away")
    root.write_text("not a directory")
    return env, pioneer, root


def test_a_step_that_fails_on_the_store_is_tried_again_and_the_round_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env, pioneer, root = _pioneer_with_a_broken_store(tmp_path)
    calls = 0

    def repair_after_two_failures() -> bool:
        nonlocal calls
        calls += 1
        if calls == 3:
            root.unlink()
            (tmp_path / "store.away").rename(root)
        return False

    with caplog.at_level(logging.WARNING, logger="fedledger.node.participant"):
        pioneer.run(poll_s=0.001, max_steps=1, should_stop=repair_after_two_failures, retry_for_s=60)
    assert env.task.round_info(0).submitted_count == 1
    assert len(caplog.records) == 2
    assert all("step failed (cannot write blob" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("retry_for_s", [0.0, 0.05])
def test_a_store_that_stays_down_ends_the_run_with_its_error(tmp_path: Path, retry_for_s: float) -> None:
    env, pioneer, _ = _pioneer_with_a_broken_store(tmp_path)
    with pytest.raises(StorageError, match="cannot write blob"):
        pioneer.run(poll_s=0.001, retry_for_s=retry_for_s)
    assert env.task.round_info(0).submitted_count == 0


def test_a_revert_is_tried_again_once_then_ends_the_run(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A newcomer without tokens cannot stake: the contract refuses the same way twice."""
    _, env, nodes = _small_task(tmp_path, rounds=1)
    broke = env.client.new_account()
    newcomer = Participant(env.task, nodes[0].store, broke, nodes[0].data, tmp_path / "newcomer")
    with caplog.at_level(logging.WARNING, logger="fedledger.node.participant"), pytest.raises(RevertError) as info:
        newcomer.run(poll_s=0.001, retry_for_s=60)
    assert info.value.error_name == "ERC20InsufficientBalance"
    assert len(caplog.records) == 1


@pytest.mark.parametrize("dropped", ["commitVote", "revealVote"])
def test_a_vote_whose_confirmation_was_lost_is_settled_after_the_retry(tmp_path: Path, dropped: str) -> None:
    """The connection drops right after the commitment (or the reveal) is mined, so the node
    never learns it landed: the retried step must read its vote from the chain again, and
    neither commit a second time (refused: the vote would be given up) nor reveal twice
    (refused twice: the run would end)."""
    config, env, nodes = _small_task(tmp_path, rounds=1)
    victim = nodes[-1]
    lost = []

    def drop_after(_address: str, name: str, _receipt: Any) -> None:
        if name == dropped and not lost:
            lost.append(name)
            raise ChainError("lost the node at embedded during eth_getTransactionReceipt: connection reset")

    victim.on_tx = drop_after
    others = nodes[:-1]
    for _ in range(200):
        for node in others:
            node.step()
        victim.run(poll_s=0.001, max_steps=1, retry_for_s=60)
        if all(n.done for n in nodes):
            break
    assert lost == [dropped]
    assert env.task.status() == TaskStatus.FINISHED
    assert env.task.vote_of(0, victim.address).revealed
    assert env.token_balance(victim.address) > config.stake


def test_two_accounts_cannot_share_a_state_dir(tmp_path: Path) -> None:
    """Sharing one would hand a node another's commit salt and update CID."""
    _, env, nodes = _small_task(tmp_path, rounds=1)
    with pytest.raises(ConfigError, match="give each node its own --state-dir"):
        Participant(env.task, nodes[0].store, env.accounts[1], nodes[1].data, tmp_path / env.accounts[0].address)


def test_a_node_that_never_joined_a_task_already_training_says_so_at_once(tmp_path: Path) -> None:
    _, env, nodes = _small_task(tmp_path, rounds=1)
    for node in [n for _ in range(50) for n in nodes]:
        if env.task.round_count() >= 1:
            break
        node.step()
    latecomer = Participant(env.task, nodes[0].store, env.client.new_account(), nodes[0].data, tmp_path / "late")
    polls = iter(range(50))
    with pytest.raises(NotParticipantError, match=r"did not join task .* the task is TRAINING"):
        latecomer.run(poll_s=0.001, should_stop=lambda: next(polls, None) is None)  # before: idle until the end
