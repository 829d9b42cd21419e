"""Participant against the embedded chain: crash-resume at the unit level and spec checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedledger.core.errors import IntegrityError
from fedledger.core.records import TaskStatus
from fedledger.node.participant import Participant, fetch_spec
from fedledger.sim.chainsetup import setup
from fedledger.sim.config import SimConfig, make_spec
from fedledger.sim.data import make_sim_data
from fedledger.storage.cid import digest_of
from fedledger.storage.local import LocalStore


def test_a_voter_restarted_after_committing_reveals_and_is_not_slashed(tmp_path: Path) -> None:
    config = SimConfig(participants=4, rounds=1, proposer_ratio_bps=2500)
    spec = make_spec(config)
    data = make_sim_data(spec, 4, config.alpha, 0, 0.2)
    store = LocalStore(tmp_path / "store")
    store.put(spec.canonical_json())
    env = setup(config, spec.spec_digest(), 4)
    nodes = [Participant(env.task, store, a, d, tmp_path / a.address) for a, d in zip(env.accounts, data.shares)]
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
    nodes[i] = Participant(env.task, store, env.accounts[i], data.shares[i], tmp_path / victim.address)
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
