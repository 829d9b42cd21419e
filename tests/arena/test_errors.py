"""Every custom error of ArenaTask, the factory's Arena functions and SumTree, with its arguments.

Each revert comes from a real transaction or `eth_call` on the embedded EVM, decoded by
`ChainClient`; each assertion names the error AND its arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from fedledger.chain import ChainClient
from fedledger.chain.arena import arena_config_to_abi
from fedledger.chain.factory import FactoryClient
from fedledger.core.errors import RevertError, ValidationError
from fedledger.chain.alliance import config_to_abi

from .harness import TOKEN, ArenaEnv, alliance_config, base_config, make_env

U96 = 2**96 - 1
ZERO_ADDR = "0x" + "00" * 20


def expect_revert(name: str, fn: Callable[..., Any], *args: Any, expected_args: tuple[Any, ...] | None = None) -> None:
    with pytest.raises(RevertError) as info:
        fn(*args)
    assert info.value.error_name == name, str(info.value)
    if expected_args is not None:
        assert tuple(info.value.error_args) == expected_args


@pytest.fixture(scope="module")
def env() -> ArenaEnv:
    return make_env(ChainClient.embedded())


def _create_call(env: ArenaEnv, sender: str, **overrides: Any) -> Callable[[], Any]:
    fn = env.stack.factory.contract.functions.createArenaTask(arena_config_to_abi(base_config(**overrides)))
    return lambda: env.client.call(fn, sender=sender)


@pytest.mark.parametrize(
    ("overrides", "name", "args"),
    [
        ({"spec_hash": b"\x00" * 32}, "ArenaTaskZeroSpecHash", ()),
        ({"eval_set_hash": b"\x00" * 32}, "ArenaTaskZeroEvalSetHash", ()),
        ({"reward_pool": 0}, "ArenaTaskZeroRewardPool", ()),
        ({"reward_pool": U96 + 1}, "ArenaTaskAmountTooLarge", (U96 + 1, U96)),
        ({"trainer_stake": 0}, "ArenaTaskZeroStake", (0,)),
        ({"validator_stake": 0}, "ArenaTaskZeroStake", (1,)),
        ({"max_trainers": 0}, "ArenaTaskLimitOutOfRange", (0, 0, 256)),
        ({"max_validators": 1025}, "ArenaTaskLimitOutOfRange", (1, 1025, 1024)),
        ({"validators_per_submission": 17}, "ArenaTaskLimitOutOfRange", (2, 17, 16)),
        ({"max_validations_per_validator": 0}, "ArenaTaskLimitOutOfRange", (3, 0, 65535)),
        ({"trainer_share_bps": 10_001}, "ArenaTaskBpsTooHigh", (0, 10_001)),
        ({"validator_slash_bps": 10_001}, "ArenaTaskBpsTooHigh", (1, 10_001)),
        ({"absent_slash_bps": 10_001}, "ArenaTaskBpsTooHigh", (2, 10_001)),
        ({"alliance_share_bps": 10_001}, "ArenaTaskBpsTooHigh", (3, 10_001)),
        ({"validator_tolerance": 1_000_001}, "ArenaTaskToleranceTooHigh", (1_000_001, 1_000_000)),
        ({"score_exponent": 5}, "ArenaTaskScoreExponentOutOfRange", (5,)),
        ({"submission_window": 0}, "ArenaTaskZeroWindow", (0,)),
        ({"commit_window": 0}, "ArenaTaskZeroWindow", (1,)),
        ({"reveal_window": 0}, "ArenaTaskZeroWindow", (2,)),
        ({"max_duration": 2999}, "ArenaTaskDurationTooShort", (2999, 3000)),
        ({"open_derive": True}, "ArenaTaskOpenDeriveNeedsConfigHash", ()),
    ],
)
def test_config_errors(env: ArenaEnv, overrides: dict[str, Any], name: str, args: tuple[Any, ...]) -> None:
    expect_revert(name, _create_call(env, env.creator.address, **overrides), expected_args=args)


def test_unknown_weight_mode(env: ArenaEnv) -> None:
    raw = list(arena_config_to_abi(base_config()))
    raw[17] = 3  # weightMode
    fn = env.stack.factory.contract.functions.createArenaTask(tuple(raw))
    expect_revert("ArenaTaskUnknownWeightMode", lambda: env.client.call(fn, sender=env.creator.address), expected_args=(3,))


def test_factory_arena_errors(env: ArenaEnv) -> None:
    (stranger,) = env.people(1)
    required = env.stack.factory.arena_creator_stake()
    expect_revert("TaskFactoryCreatorNotQualified", _create_call(env, stranger.address, creator_stake=0),
                  expected_args=(stranger.address, 0, required))
    expect_revert("OwnableUnauthorizedAccount", env.stack.factory.set_community_member, stranger.address, True, stranger)
    env.stack.factory.set_community_member(stranger.address, True, env.owner)
    assert env.stack.factory.is_community_member(stranger.address)
    assert env.stack.factory.qualifies_as_creator(stranger.address, 0)
    # The allow-list qualifies: the call now gets past qualification and fails only for want of an allowance.
    expect_revert("ERC20InsufficientAllowance", _create_call(env, stranger.address, creator_stake=0))
    env.stack.factory.set_community_member(stranger.address, False, env.owner)
    expect_revert("TaskFactoryArenaImplementationAlreadySet", env.stack.factory.set_arena_implementation,
                  env.stack.factory.address, env.owner)
    bare = FactoryClient.deploy(env.client, env.stack.token, env.owner, arena=False)
    assert bare.arena_implementation() is None
    expect_revert("TaskFactoryZeroArenaImplementation", bare.set_arena_implementation, ZERO_ADDR, env.owner)
    fn = bare.contract.functions.createArenaTask(arena_config_to_abi(base_config()))
    expect_revert("TaskFactoryArenaImplementationUnset", lambda: env.client.call(fn, sender=env.creator.address))
    derive = env.stack.factory.contract.functions.createDerivedAllianceTask(
        stranger.address, b"\x00" * 32, 1, b"\x01" * 32, config_to_abi(alliance_config()))
    expect_revert("TaskFactoryNotArenaTask", lambda: env.client.call(derive, sender=stranger.address),
                  expected_args=(stranger.address,))
    env.stack.factory.set_arena_creator_stake(5, env.owner)
    assert env.stack.factory.arena_creator_stake() == 5
    env.stack.factory.set_arena_creator_stake(required, env.owner)
    with pytest.raises(ValidationError):
        env.stack.factory.set_arena_creator_stake(-1, env.owner)


def test_registration_and_submission_errors(env: ArenaEnv) -> None:
    task = env.create(base_config(max_trainers=2, max_validators=2))
    t1, t2, t3, v1, v2, v3 = env.people(6)
    env.stack.token.mint(env.creator.address, TOKEN, env.owner)
    expect_revert("ArenaTaskCreatorCannotJoin", task.register_trainer, env.creator, expected_args=(env.creator.address,))
    env.register_trainers(task, [t1])
    env.fund([t1], [TOKEN], task.address)
    expect_revert("ArenaTaskAlreadyRegistered", task.register_validator, TOKEN, t1, False,
                  expected_args=(t1.address, 1))
    expect_revert("ArenaTaskAlreadyRegistered", task.register_trainer, t1, False, expected_args=(t1.address, 1))
    env.fund([v1, v2, v3], [TOKEN, TOKEN, TOKEN], task.address)
    expect_revert("ArenaTaskStakeTooLow", task.register_validator, TOKEN - 1, v1, False, expected_args=(TOKEN - 1, TOKEN))
    with pytest.raises(ValidationError, match="2\\*\\*96"):  # the wrapper refuses before the chain does
        task.register_validator(U96 + 1, v1, approve=False)
    expect_revert("ArenaTaskAmountTooLarge", env.client.transact, task.fn.registerValidator(U96 + 1), v1,
                  expected_args=(U96 + 1, U96))
    task.register_validator(TOKEN, v1, approve=False)
    expect_revert("ArenaTaskAlreadyRegistered", task.register_trainer, v1, expected_args=(v1.address, 2))
    task.register_validator(TOKEN, v2, approve=False)
    expect_revert("ArenaTaskFull", task.register_validator, TOKEN, v3, False, expected_args=(2, 2))
    env.register_trainers(task, [t2])
    expect_revert("ArenaTaskFull", task.register_trainer, t3, expected_args=(1, 2))
    expect_revert("ArenaTaskNotTrainer", task.submit_model, b"\x01" * 32, v1, expected_args=(v1.address,))
    expect_revert("ArenaTaskZeroModelHash", task.submit_model, b"\x00" * 32, t1)
    task.submit_model(b"\x01" * 32, t1)
    expect_revert("ArenaTaskAlreadySubmitted", task.submit_model, b"\x02" * 32, t1, expected_args=(t1.address, 0))
    expect_revert("ArenaTaskSubmissionPhaseNotOver", task.draw_validators, env.owner)
    expect_revert("ArenaTaskWrongStatus", task.withdraw, t1, expected_args=(1, 0))
    expect_revert("ArenaTaskDurationNotOver", task.close, env.owner)
    p = task.progress()
    env.advance_past(p.submission_deadline)
    expect_revert("ArenaTaskSubmissionClosed", task.submit_model, b"\x02" * 32, t2)
    expect_revert("ArenaTaskSubmissionClosed", task.register_trainer, t3)
    with pytest.raises(ValidationError):
        task.submit_model(b"\x01" * 31, t2)


def test_scoring_errors(env: ArenaEnv) -> None:
    task = env.create(base_config(validators_per_submission=1, max_validations_per_validator=1))
    t1, t2, t3, v1, v2 = env.people(5)
    env.register_trainers(task, [t1, t2, t3])
    env.register_validators(task, [v1, v2], [TOKEN, TOKEN])
    env.submit(task, [t1, t2, t3])
    env.advance_past(task.progress().submission_deadline)
    task.draw_validators(env.owner, 2)  # each validator may validate once: two submissions use both
    expect_revert("ArenaTaskRateLimitReached", task.draw_validators, env.owner, expected_args=(2, 1))
    assert {task.account(v.address).assigned for v in (v1, v2)} == {1}
    assert all(task.account(v.address).weight == 0 for v in (v1, v2))
    a1 = task.submission(0).validators[0]
    assigned, other = (v1, v2) if a1 == v1.address else (v2, v1)
    salt = b"\x33" * 32
    expect_revert("ArenaTaskSubmissionOutOfRange", task.commit_score, 9, b"\x01" * 32, assigned, expected_args=(9, 3))
    expect_revert("ArenaTaskNotAssigned", task.commit_score, 0, b"\x01" * 32, other, expected_args=(other.address, 0))
    expect_revert("ArenaTaskNotAssigned", task.commit_score, 2, b"\x01" * 32, assigned)  # never drawn
    expect_revert("ArenaTaskZeroCommitment", task.commit_score, 0, b"\x00" * 32, assigned)
    task.commit_score_value(0, 800_000, salt, assigned)
    expect_revert("ArenaTaskAlreadyCommitted", task.commit_score, 0, b"\x01" * 32, assigned,
                  expected_args=(assigned.address, 0))
    expect_revert("ArenaTaskPhaseNotOver", task.reveal_score, 0, 800_000, salt, assigned)
    p = task.progress()
    env.advance_past(p.commit_deadline)
    expect_revert("ArenaTaskDeadlinePassed", task.commit_score, 1, b"\x01" * 32, other)
    expect_revert("ArenaTaskDeadlinePassed", task.draw_validators, env.owner)
    expect_revert("ArenaTaskNotCommitted", task.reveal_score, 1, 800_000, salt, other, expected_args=(other.address, 1))
    expect_revert("ArenaTaskScoreOutOfRange", task.reveal_score, 0, 1_000_001, salt, assigned,
                  expected_args=(1_000_001, 1_000_000))
    expect_revert("ArenaTaskCommitmentMismatch", task.reveal_score, 0, 800_001, salt, assigned,
                  expected_args=(assigned.address, 0))
    expect_revert("ArenaTaskPhaseNotOver", task.finalize, env.owner)
    task.reveal_score(0, 800_000, salt, assigned)
    expect_revert("ArenaTaskAlreadyRevealed", task.reveal_score, 0, 800_000, salt, assigned)
    env.advance_past(p.reveal_deadline)
    expect_revert("ArenaTaskDeadlinePassed", task.reveal_score, 0, 800_000, salt, assigned)
    task.settle(1, env.owner)
    assert task.progress().settled == 1
    task.finalize(env.owner)
    expect_revert("ArenaTaskWrongStatus", task.finalize, env.owner, expected_args=(0, 1))
    (stranger,) = env.people(1)
    expect_revert("ArenaTaskNothingToWithdraw", task.withdraw, stranger, expected_args=(stranger.address,))
    task.withdraw(t1)
    expect_revert("ArenaTaskAlreadyWithdrawn", task.withdraw, t1, expected_args=(t1.address,))
    expect_revert("ArenaTaskNotAllowedToDerive", task.derive_alliance, alliance_config(), stranger,
                  expected_args=(stranger.address,))
    expect_revert("ArenaTaskDurationNotOver", task.release_alliance_reserve, env.owner)
    task.derive_alliance(alliance_config(), env.creator)
    expect_revert("ArenaTaskAllianceAlreadyDerived", task.derive_alliance, alliance_config(), env.creator)
    expect_revert("ArenaTaskAllianceAlreadyDerived", task.release_alliance_reserve, env.owner)


def test_draw_and_derive_errors(env: ArenaEnv) -> None:
    from fedledger.chain.arena import alliance_config_hash

    committed = alliance_config(rounds=2)
    task = env.create(base_config(alliance_share_bps=0))
    empty = env.create(base_config(alliance_config_hash=alliance_config_hash(committed), open_derive=True))
    (t1, v1) = env.people(2)
    env.register_trainers(task, [t1])
    env.submit(task, [t1])
    env.advance_past(task.progress().submission_deadline)
    expect_revert("ArenaTaskNoValidators", task.draw_validators, env.owner)
    expect_revert("ArenaTaskNothingToDraw", empty.draw_validators, env.owner, expected_args=(0,))
    empty.finalize(env.owner)  # no submissions: every phase is over once the submission deadline passed
    expect_revert("ArenaTaskPhaseNotOver", task.finalize, env.owner)  # an undrawn submission waits for the clock
    env.advance_past(task.progress().reveal_deadline)
    task.finalize(env.owner)  # no validator, no draw: the submission is unscored, so no winner
    expect_revert("ArenaTaskNoWinner", task.derive_alliance, alliance_config(), env.creator)
    expect_revert("ArenaTaskNoWinner", empty.derive_alliance, committed, v1)
    # The reserve of a task without winner went back to the creator at finalization.
    assert empty.outcome().alliance_reserve == 0 and empty.outcome().creator_owed > 0

    won = env.create(base_config(alliance_share_bps=0, validators_per_submission=1))
    hashed = env.create(base_config(validators_per_submission=1, alliance_config_hash=alliance_config_hash(committed),
                                    open_derive=True))
    t2, t3, v2, v3 = env.people(4)
    for tk, t, v in ((won, t2, v2), (hashed, t3, v3)):
        env.register_trainers(tk, [t])
        env.register_validators(tk, [v], [TOKEN])
        env.submit(tk, [t])
    env.advance_past(hashed.progress().submission_deadline)
    for tk, v in ((won, v2), (hashed, v3)):
        tk.draw_validators(env.owner)
        env.score_all(tk, [v], lambda i, a: 600_000)
        tk.finalize(env.owner)
    expect_revert("ArenaTaskNoAllianceReserve", won.derive_alliance, alliance_config(), env.creator)
    expect_revert("TaskFactoryAllianceConfigMismatch", hashed.derive_alliance, alliance_config(rounds=3), v2)
    # openDerive: anyone may derive with the committed parameters.
    alliance = hashed.derive_alliance(replace(committed, reward_pool=1, initial_model_hash=b"\x07" * 32), v2)
    assert alliance.config().rounds == 2 and alliance.global_model_hash() == hashed.submission(0).model_hash


def test_close_and_release(env: ArenaEnv) -> None:
    task = env.create(base_config(alliance_share_bps=1000))
    (t1,) = env.people(1)
    env.register_trainers(task, [t1])
    env.advance_past(task.progress().closes_at)
    task.close(env.owner)
    expect_revert("ArenaTaskWrongStatus", task.release_alliance_reserve, env.owner, expected_args=(1, 2))
    before = env.token_balance(t1.address)
    task.withdraw(t1)
    assert env.token_balance(t1.address) - before == TOKEN  # closed: stake back, unslashed
    owed = task.outcome().creator_owed
    assert owed == base_config().reward_pool + base_config().creator_stake
    task.withdraw(env.creator)
    expect_revert("ArenaTaskNothingToWithdraw", task.withdraw, env.creator)
    assert env.token_balance(task.address) == 0


def test_sum_tree_errors(env: ArenaEnv) -> None:
    mock = env.client.deploy("SumTreeMock", 4, sender=env.owner)
    env.client.transact(mock.functions.setWeight(0, 5), env.owner)
    expect_revert("SumTreeIndexOutOfRange", lambda: env.client.transact(mock.functions.setWeight(4, 1), env.owner),
                  expected_args=(4, 4))
    expect_revert("SumTreeNotEnoughWeight", lambda: env.client.call(mock.functions.draw(b"\x01" * 32, 2)),
                  expected_args=(2, 5))


def test_every_arena_error_is_exercised() -> None:
    """Meta-test: each ArenaTask*/SumTree*/new TaskFactory error in the ABIs is asserted in this directory."""
    import re
    from pathlib import Path

    from fedledger.chain import load_artifact

    declared = {
        e["name"]
        for name in ("ArenaTask", "SumTreeMock", "TaskFactory")
        for e in load_artifact(name).abi
        if e.get("type") == "error" and e["name"].startswith(("ArenaTask", "SumTree"))
    }
    text = "".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    found = set(re.findall(r'(?:expect_revert\(\s*|\},\s*)"([A-Za-z0-9_]+)"', text))
    assert not declared - found, sorted(declared - found)


def test_every_arena_error_has_a_notice() -> None:
    from fedledger.chain import load_artifact

    for name in ("ArenaTask", "SumTreeMock", "TaskFactory"):
        art = load_artifact(name)
        documented = art.userdoc.get("errors", {})
        for e in art.abi:
            if e.get("type") == "error" and e["name"].startswith(("ArenaTask", "SumTree", "TaskFactory")):
                sig = f"{e['name']}({','.join(i['type'] for i in e['inputs'])})"
                assert sig in documented and documented[sig][0].get("notice"), f"{name}: {sig}"
