"""Fixtures for the dashboard tests: a real embedded chain with an Alliance task that played a
round (one voter committed but never revealed, so it was slashed as absent), a second round
under way, an Arena task, and a small real simulation report."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from fedledger.chain import ChainClient
from fedledger.chain.alliance import AllianceTaskClient
from fedledger.chain.arena import ArenaTaskClient
from fedledger.chain.factory import Stack, deploy_stack
from fedledger.core.records import AllianceConfig, ArenaConfig

TOKEN = 10**18
UPDATE = b"\x11" * 32
AGGREGATE = b"\x22" * 32


@dataclass
class World:
    """What the tests read back through the API, and the accounts that made it."""

    client: ChainClient
    stack: Stack
    task: AllianceTaskClient
    arena: ArenaTaskClient
    creator: LocalAccount
    members: list[LocalAccount]
    absent_voter: str


def _salt(i: int) -> bytes:
    return bytes([0x40 + i]) * 32


def build_world() -> World:
    client = ChainClient.embedded(beacon_seed=7)
    owner = client.dev_accounts()[0]
    stack = deploy_stack(client, owner)
    creator = client.new_account(10**20)
    members = [client.new_account(10**20) for _ in range(4)]
    cfg = AllianceConfig(spec_hash=b"\x5e" * 32, reward_pool=100 * TOKEN, stake_required=TOKEN, min_participants=3,
                         max_participants=4, rounds=2, propose_window=600, commit_window=600, reveal_window=600)
    stack.token.mint(creator.address, cfg.reward_pool + 200 * TOKEN, owner)
    task = stack.factory.create_alliance_task(cfg, creator)
    by = {m.address: m for m in members}
    for i, m in enumerate(members):
        stack.token.mint(m.address, (i + 2) * TOKEN, owner)
        task.join((i + 2) * TOKEN, m)

    # Round 0: the single pioneer submits; every participant votes (the pioneer too), all accept
    # and reveal but one non-proposer, which only commits.
    task.start_round(members[0])
    info = task.round_info(0)
    task.submit_update(0, 0, UPDATE, 120, by[info.proposers[0]])
    voters = task.participants()
    absent_voter = next(m for m in reversed(voters) if m not in info.proposers)
    for i, v in enumerate(voters):
        task.commit_vote(0, task.vote_commitment(0, v, 1, AGGREGATE, _salt(i)), by[v])
    for i, v in enumerate(voters):
        if v != absent_voter:
            task.reveal_vote(0, 1, AGGREGATE, _salt(i), by[v])
    client.advance_time(info.reveal_deadline - client.now() + 1)
    task.finalize_round(0, creator)
    task.start_round(members[1])  # round 1 stays open: pending verdicts

    arena_cfg = ArenaConfig(spec_hash=b"\x5f" * 32, eval_set_hash=b"\xe5" * 32, reward_pool=50 * TOKEN,
                            trainer_stake=TOKEN, validator_stake=TOKEN, creator_stake=100 * TOKEN)
    arena = stack.factory.create_arena_task(arena_cfg, creator)
    return World(client=client, stack=stack, task=task, arena=arena, creator=creator, members=members,
                 absent_voter=absent_voter)


@pytest.fixture(scope="module")
def world() -> World:
    return build_world()


@pytest.fixture(scope="session")
def report_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real `report.json` from a tiny simulation (4 participants, 2 rounds, no baseline)."""
    from fedledger.sim.config import SimConfig
    from fedledger.sim.engine import run_simulation

    report = run_simulation(SimConfig(participants=4, rounds=2, baseline=False))
    return report.write(tmp_path_factory.mktemp("report") / "report.json")


@pytest.fixture
def small_report(tmp_path: Path) -> Path:
    """A hand-written two-round report with a baseline (cheap; the real one is `report_path`)."""
    from tests.api.test_report import write_minimal_report

    return write_minimal_report(tmp_path)


@pytest.fixture
def app_client(world: World, small_report: Path) -> Iterator[object]:
    from fastapi.testclient import TestClient

    from fedledger.api import create_app

    app = create_app(world.client, world.stack.factory.address, small_report, cache_ttl_s=0.0, poll_interval_s=0.05)
    with TestClient(app) as client:
        yield client
