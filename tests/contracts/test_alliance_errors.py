"""Every custom error of AllianceTask, TaskFactory and FMLToken, with its decoded arguments.

Reverts are produced by real transactions (or their gas estimates) on the embedded EVM and
decoded by `ChainClient`; each assertion names the error AND its arguments.
"""

from __future__ import annotations

from typing import Any

import pytest
from web3.contract import Contract

from fedledger.chain import ChainClient
from fedledger.chain.anvil import AnvilNode, find_anvil
from fedledger.protocol import vote_commitment

from .alliance_harness import (
    CLOSED,
    FINISHED,
    JOINING,
    TRAINING,
    ZERO32,
    Stack,
    advance_past,
    config_tuple,
    deploy_stack,
    expect_revert,
)

U96 = 2**96 - 1
ADDR_ZERO = "0x" + "00" * 20


@pytest.fixture(scope="module")
def stack() -> Stack:
    s = deploy_stack(ChainClient.embedded())
    s.people(8)
    return s


@pytest.mark.parametrize(
    ("overrides", "error", "args"),
    [
        ({"specHash": ZERO32}, "AllianceTaskZeroSpecHash", ()),
        ({"rewardPool": 0}, "AllianceTaskZeroRewardPool", ()),
        ({"rewardPool": U96 + 1}, "AllianceTaskAmountTooLarge", (U96 + 1, U96)),
        ({"stakeRequired": 0}, "AllianceTaskZeroStakeRequired", ()),
        ({"stakeRequired": U96 + 1}, "AllianceTaskAmountTooLarge", (U96 + 1, U96)),
        ({"minParticipants": 2}, "AllianceTaskMinParticipantsTooLow", (2, 3)),
        ({"minParticipants": 5, "maxParticipants": 4}, "AllianceTaskMaxBelowMin", (4, 5)),
        ({"maxParticipants": 256}, "AllianceTaskTooManyParticipants", (256, 255)),
        ({"maxParticipants": 257}, "AllianceTaskTooManyParticipants", (257, 255)),
        ({"rounds": 0}, "AllianceTaskZeroRounds", ()),
        ({"proposerRatioBps": 0}, "AllianceTaskProposerRatioOutOfRange", (0,)),
        ({"proposerRatioBps": 10_000}, "AllianceTaskProposerRatioOutOfRange", (10_000,)),
        # ceil(255 * 50.20 %) = ceil(128.01) = 129 proposers; 50.19 % gives 128 (accepted below).
        ({"maxParticipants": 255, "proposerRatioBps": 5020}, "AllianceTaskTooManyProposers", (129, 128)),
        ({"proposerShareBps": 10_001}, "AllianceTaskProposerShareTooHigh", (10_001,)),
        ({"proposerSlashBps": 10_001}, "AllianceTaskProposerSlashTooHigh", (10_001,)),
        ({"voterSlashBps": 10_001}, "AllianceTaskVoterSlashTooHigh", (10_001,)),
        ({"absentSlashBps": 10_001}, "AllianceTaskAbsentSlashTooHigh", (10_001,)),
        ({"finalizerBonusBps": 101}, "AllianceTaskFinalizerBonusTooHigh", (101, 100)),
        ({"proposeWindow": 0}, "AllianceTaskZeroWindow", (0,)),
        ({"commitWindow": 0}, "AllianceTaskZeroWindow", (1,)),
        ({"revealWindow": 0}, "AllianceTaskZeroWindow", (2,)),
        ({"maxLifecycle": 0}, "AllianceTaskZeroLifecycle", ()),
    ],
)
def test_invalid_config_is_rejected(stack: Stack, overrides: dict[str, Any], error: str, args: tuple[Any, ...]) -> None:
    creator = stack.people(1)[0]
    with expect_revert(error, *args):
        stack.tx(stack.factory.functions.createAllianceTask(config_tuple(**overrides)), creator)


def test_config_edges_are_accepted(stack: Stack) -> None:
    """The largest legal values pass validation (so the checks above are not off by one)."""
    creator = stack.people(1)[0]
    fn = stack.factory.functions.createAllianceTask(
        config_tuple(
            rewardPool=1, maxParticipants=255, proposerRatioBps=5019, minParticipants=255,  # 128 proposers
            proposerShareBps=10_000, proposerSlashBps=10_000, voterSlashBps=10_000, absentSlashBps=10_000,
            finalizerBonusBps=100,
        )
    )
    stack.batch([(stack.token.functions.mint(creator.address, 1), stack.owner, 250_000),
                 (stack.token.functions.approve(stack.factory.address, 1), creator, 100_000)])
    stack.tx(fn, creator)


def test_factory_errors(stack: Stack) -> None:
    client, owner = stack.client, stack.owner
    with expect_revert("TaskFactoryZeroAddress", 0):
        client.deploy("TaskFactory", ADDR_ZERO, stack.implementation.address, sender=owner)
    with expect_revert("TaskFactoryZeroAddress", 1):
        client.deploy("TaskFactory", stack.token.address, ADDR_ZERO, sender=owner)
    fresh = client.deploy("TaskFactory", stack.token.address, stack.implementation.address, sender=owner)
    with expect_revert("TaskFactoryIndexOutOfRange", 0, 0):
        client.call(fresh.functions.taskAt(0))
    intruder = stack.people(2)[1]
    # Unauthorised record writes: only tasks of this factory may add to a record.
    with expect_revert("TaskFactoryNotTask", intruder.address):
        stack.tx(fresh.functions.recordParticipation(intruder.address, 5, 5, True), intruder)
    assert client.call(fresh.functions.recordOf(intruder.address)) == (0, 0, 0, 0)
    with expect_revert("TaskFactoryNotArenaTask", intruder.address):
        stack.tx(fresh.functions.createDerivedAllianceTask(intruder.address, ZERO32, 1, ZERO32, config_tuple()), intruder)
    arena_cfg = _zero_args(fresh, "createArenaTask")
    with expect_revert("TaskFactoryArenaImplementationUnset"):
        stack.tx(fresh.functions.createArenaTask(*arena_cfg), intruder)
    with expect_revert("TaskFactoryZeroArenaImplementation"):
        stack.tx(fresh.functions.setArenaImplementation(ADDR_ZERO), owner)
    stack.tx(fresh.functions.setArenaImplementation(stack.implementation.address), owner)
    with expect_revert("TaskFactoryArenaImplementationAlreadySet", stack.implementation.address):
        stack.tx(fresh.functions.setArenaImplementation(stack.token.address), owner)
    stack.tx(fresh.functions.setArenaCreatorStake(5), owner)
    with expect_revert("TaskFactoryCreatorNotQualified", intruder.address, 0, 5):
        stack.tx(fresh.functions.createArenaTask(*arena_cfg), intruder)


def _zero_value(param: dict[str, Any]) -> Any:
    t = param["type"]
    if t.startswith("tuple"):
        inner = tuple(_zero_value(c) for c in param["components"])
        return [] if t.endswith("[]") else inner
    if t.endswith("]"):
        return []
    if t == "address":
        return ADDR_ZERO
    if t == "bool":
        return False
    if t.startswith("bytes") and t != "bytes":
        return b"\x00" * int(t[5:])
    if t in ("bytes", "string"):
        return b"" if t == "bytes" else ""
    return 0


def _zero_args(contract: Contract, fn_name: str) -> list[Any]:
    """All-zero arguments for `fn_name`, built from the ABI (the revert comes before validation)."""
    (item,) = [i for i in contract.abi if i.get("type") == "function" and i["name"] == fn_name]
    return [_zero_value(p) for p in item["inputs"]]


def test_token_mint_is_owner_only(stack: Stack) -> None:
    other = stack.people(1)[0]
    with expect_revert("OwnableUnauthorizedAccount", other.address):
        stack.tx(stack.token.functions.mint(other.address, 1), other)


@pytest.mark.integration
def test_token_faucet_refuses_non_dev_chain() -> None:
    """On a chain whose id is not a dev id the faucet reverts (anvil started with --chain-id 5)."""
    with AnvilNode(binary=find_anvil(), chain_id=5) as node:
        client = ChainClient.connect(node.url)
        owner = client.dev_accounts()[0]
        token = client.deploy("FMLToken", owner.address, sender=owner)
        assert client.call(token.functions.isDevChain()) is False
        with expect_revert("FMLTokenMintOnlyOnDevChain", 5):
            client.transact(token.functions.mint(owner.address, 1), owner)


def _task_with(stack: Stack, n: int, **overrides: Any) -> tuple[Contract, list[Any]]:
    people = stack.people(8)
    task = stack.create_task(people[0], **overrides)
    members = people[1 : 1 + n]
    stack.join_all(task, members, [10**18] * n)
    return task, members


def test_join_errors(stack: Stack) -> None:
    task, members = _task_with(stack, 3, maxParticipants=3)
    outsider = stack.people(8)[5]
    with expect_revert("AllianceTaskAlreadyJoined", members[0].address):
        stack.tx(task.functions.join(10**18), members[0])
    with expect_revert("AllianceTaskFull", 3):
        stack.tx(task.functions.join(10**18), outsider)
    task2, _ = _task_with(stack, 0)
    with expect_revert("AllianceTaskStakeTooLow", 10**18 - 1, 10**18):
        stack.tx(task2.functions.join(10**18 - 1), outsider)
    with expect_revert("AllianceTaskAmountTooLarge", U96 + 1, U96):
        stack.tx(task2.functions.join(U96 + 1), outsider)
    with expect_revert("ERC20InsufficientAllowance", task2.address, 0, 10**18):
        stack.tx(task2.functions.join(10**18), outsider)
    with expect_revert("AllianceTaskNotEnoughParticipants", 0, 3):
        stack.tx(task2.functions.startRound(), outsider)
    with expect_revert("AllianceTaskWrongRound", 0, 2**256 - 1):
        stack.client.call(task2.functions.roundInfo(0))
    stack.tx(task.functions.startRound(), outsider)
    with expect_revert("AllianceTaskWrongPhase", JOINING, TRAINING):
        stack.tx(task.functions.join(10**18), outsider)


def test_round_errors(stack: Stack) -> None:
    # 4 participants, ratio 50 % from an initial model: 2 proposers; all 4 vote (proposers too).
    task, members = _task_with(stack, 4, proposerRatioBps=5000, initialModelHash=b"\x42" * 32, rounds=1)
    by = {m.address: m for m in members}
    tx = stack.tx
    starter = members[0]
    tx(task.functions.startRound(), starter)
    info = stack.client.call(task.functions.roundInfo(0))
    proposers = list(info[4])
    pd, cd, rd = info[1], info[2], info[3]
    assert info[11] == 4  # voterCount: every participant
    voters = [m.address for m in members if m.address not in proposers]
    p0, p1, v0, v1 = by[proposers[0]], by[proposers[1]], by[voters[0]], by[voters[1]]
    outsider = stack.people(8)[6]
    h = b"\x11" * 32

    with expect_revert("AllianceTaskRoundNotFinalized", 0):
        tx(task.functions.startRound(), starter)
    with expect_revert("AllianceTaskWrongRound", 1, 0):
        tx(task.functions.submitUpdate(1, 0, h, 1), p0)
    with expect_revert("AllianceTaskProposerIndexOutOfRange", 2, 2):
        tx(task.functions.submitUpdate(0, 2, h, 1), p0)
    with expect_revert("AllianceTaskNotProposer", p1.address, 0):
        tx(task.functions.submitUpdate(0, 0, h, 1), p1)
    with expect_revert("AllianceTaskZeroUpdateHash"):
        tx(task.functions.submitUpdate(0, 0, ZERO32, 1), p0)
    with expect_revert("AllianceTaskZeroSamples"):
        tx(task.functions.submitUpdate(0, 0, h, 0), p0)
    tx(task.functions.submitUpdate(0, 0, h, 10), p0)
    with expect_revert("AllianceTaskAlreadySubmitted", 0, 0):
        tx(task.functions.submitUpdate(0, 0, h, 10), p0)
    c0 = vote_commitment(0, v0.address, 0b01, h, b"\x01" * 32)
    with expect_revert("AllianceTaskPhaseNotOver", pd, 1, 2):
        tx(task.functions.commitVote(0, c0), v0)
    # Only a non-participant is not a voter (checked before the phase).
    with expect_revert("AllianceTaskNotVoter", outsider.address):
        tx(task.functions.commitVote(0, c0), outsider)
    advance_past(stack.client, pd)
    now_fail = stack.client.now() + 1
    with pytest.raises(Exception) as late:
        tx(task.functions.submitUpdate(0, 1, h, 10), p1)
    assert late.value.error_name == "AllianceTaskDeadlinePassed"  # type: ignore[attr-defined]
    assert late.value.error_args[0] == pd and late.value.error_args[1] >= now_fail  # type: ignore[attr-defined]
    with expect_revert("AllianceTaskZeroCommitment"):
        tx(task.functions.commitVote(0, ZERO32), v0)
    small = b"\x00" * 31 + b"\x07"  # could be confused with a stored revealed vote
    with expect_revert("AllianceTaskMalformedCommitment", small):
        tx(task.functions.commitVote(0, small), v0)
    with expect_revert("AllianceTaskNotCommitted", v0.address):
        tx(task.functions.revealVote(0, 0b01, h, b"\x01" * 32), v0)
    tx(task.functions.commitVote(0, c0), v0)
    with expect_revert("AllianceTaskAlreadyCommitted", v0.address):
        tx(task.functions.commitVote(0, c0), v0)
    with expect_revert("AllianceTaskPhaseNotOver", cd, 1, 4):
        tx(task.functions.revealVote(0, 0b01, h, b"\x01" * 32), v0)
    tx(task.functions.commitVote(0, vote_commitment(0, v1.address, 0b01, h, b"\x02" * 32)), v1)
    # A proposer votes too; its bit on its own update does not count.
    cp = vote_commitment(0, p0.address, 0b01, h, b"\x03" * 32)
    tx(task.functions.commitVote(0, cp), p0)
    with expect_revert("AllianceTaskAlreadyCommitted", p0.address):
        tx(task.functions.commitVote(0, cp), p0)
    with expect_revert("AllianceTaskPhaseNotOver", cd, 3, 4):
        tx(task.functions.revealVote(0, 0b01, h, b"\x03" * 32), p0)
    with expect_revert("AllianceTaskNotCommitted", p1.address):
        tx(task.functions.revealVote(0, 0b01, h, b"\x03" * 32), p1)
    with expect_revert("AllianceTaskNotCommitted", outsider.address):
        tx(task.functions.revealVote(0, 0b01, h, b"\x03" * 32), outsider)
    advance_past(stack.client, cd)
    with expect_revert("AllianceTaskPhaseNotOver", rd, 0, 4):
        tx(task.functions.finalizeRound(0), starter)
    with pytest.raises(Exception) as late_commit:
        tx(task.functions.commitVote(0, vote_commitment(0, p1.address, 0b01, h, b"\x04" * 32)), p1)
    assert late_commit.value.error_name == "AllianceTaskDeadlinePassed"  # type: ignore[attr-defined]
    assert late_commit.value.error_args[0] == cd  # type: ignore[attr-defined]
    with expect_revert("AllianceTaskCommitmentMismatch", v0.address):
        tx(task.functions.revealVote(0, 0b11, h, b"\x01" * 32), v0)  # not the committed bitmap
    with expect_revert("AllianceTaskCommitmentMismatch", v1.address):
        tx(task.functions.revealVote(0, 0b01, h, b"\x01" * 32), v1)  # wrong salt
    tx(task.functions.revealVote(0, 0b01, h, b"\x01" * 32), v0)
    with expect_revert("AllianceTaskAlreadyRevealed", v0.address):
        tx(task.functions.revealVote(0, 0b01, h, b"\x01" * 32), v0)
    tx(task.functions.revealVote(0, 0b01, h, b"\x03" * 32), p0)
    assert stack.client.call(task.functions.roundInfo(0))[9] == 2  # revealedCount: v0 and proposer p0
    advance_past(stack.client, rd)
    with pytest.raises(Exception) as late_reveal:
        tx(task.functions.revealVote(0, 0b01, h, b"\x02" * 32), v1)
    assert late_reveal.value.error_name == "AllianceTaskDeadlinePassed"  # type: ignore[attr-defined]
    assert late_reveal.value.error_args[0] == rd  # type: ignore[attr-defined]
    tx(task.functions.finalizeRound(0), starter)
    # rounds=1: the task finished with this round.
    with expect_revert("AllianceTaskWrongPhase", TRAINING, FINISHED):
        tx(task.functions.finalizeRound(0), starter)
    with expect_revert("AllianceTaskWrongPhase", TRAINING, FINISHED):
        tx(task.functions.startRound(), starter)
    with expect_revert("AllianceTaskWrongPhase", TRAINING, FINISHED):
        tx(task.functions.close(), starter)
    with expect_revert("AllianceTaskNothingToWithdraw", outsider.address):
        tx(task.functions.withdraw(), outsider)
    tx(task.functions.withdraw(), v0)
    with expect_revert("AllianceTaskAlreadyWithdrawn", v0.address):
        tx(task.functions.withdraw(), v0)


def test_already_finalized_and_close_errors(stack: Stack) -> None:
    task, members = _task_with(stack, 3, rounds=2, maxLifecycle=5_000)
    tx = stack.tx
    tx(task.functions.startRound(), members[0])
    info = stack.client.call(task.functions.roundInfo(0))
    with expect_revert("AllianceTaskWrongPhase", FINISHED, TRAINING):
        tx(task.functions.withdraw(), members[0])
    advance_past(stack.client, info[3])
    tx(task.functions.finalizeRound(0), members[0])
    with expect_revert("AllianceTaskAlreadyFinalized", 0):
        tx(task.functions.finalizeRound(0), members[0])
    created = stack.client.call(task.functions.createdAt())
    with pytest.raises(Exception) as early:
        tx(task.functions.close(), members[0])
    assert early.value.error_name == "AllianceTaskLifecycleNotOver"  # type: ignore[attr-defined]
    assert early.value.error_args[0] == created + 5_000  # type: ignore[attr-defined]
    advance_past(stack.client, created + 5_000)
    tx(task.functions.close(), members[0])
    assert stack.client.call(task.functions.status()) == CLOSED
    with expect_revert("AllianceTaskWrongPhase", TRAINING, CLOSED):
        tx(task.functions.close(), members[0])
