"""An Arena flow on both backends (embedded EVM and, under the `integration` marker, real anvil)."""

from __future__ import annotations

from fedledger.chain import ChainClient
from fedledger.core.records import ArenaPhase, ArenaStatus

from .harness import TOKEN, alliance_config, base_config, make_env, task_liabilities


def test_arena_round_trip(chain_client: ChainClient) -> None:
    env = make_env(chain_client)
    task = env.create(base_config(validators_per_submission=2, alliance_share_bps=1000))
    assert env.stack.factory.is_arena_task(task.address)
    trainers = env.people(2)
    validators = env.people(3)
    env.register_trainers(task, trainers)
    env.register_validators(task, validators, [TOKEN, 4 * TOKEN, 9 * TOKEN])
    env.submit(task, trainers, [b"\x11" * 32, b"\x22" * 32])
    assert task.phase() is ArenaPhase.SUBMISSION
    env.advance_past(task.progress().submission_deadline)
    assert task.phase() is ArenaPhase.COMMIT
    task.draw_validators(env.owner)
    for v in validators:
        assert task.assignments_of(v.address) == [s.index for s in task.submissions() if v.address in s.validators]
    env.score_all(task, validators, lambda i, a: 800_000 if i == 1 else 600_000)
    assert task.phase() is ArenaPhase.SETTLEMENT  # everyone committed and revealed: no waiting
    task.finalize(env.owner)
    assert task.phase() is ArenaPhase.FINISHED
    assert task.status() is ArenaStatus.FINISHED
    out = task.outcome()
    assert out.has_winner and out.winner == 1 and out.winner_model_hash == b"\x22" * 32
    assert env.token_balance(task.address) == task_liabilities(task, env)
    for p in [*trainers, *validators, env.creator]:
        task.withdraw(p)
    alliance = task.derive_alliance(alliance_config(), env.creator)
    assert alliance.global_model_hash() == b"\x22" * 32 and alliance.pool() == out.alliance_reserve
    assert env.token_balance(task.address) == 0
