"""The validator lottery: exact agreement with a Python mirror, frequencies that follow the weight
function (chi-square), 4x stake -> 2x selection, and the ArenaTask draw with its rate limit."""

from __future__ import annotations

import os
from math import isqrt

import pytest

from fedledger.chain import ChainClient
from fedledger.chain.arena import draw_seed

from .harness import TOKEN, base_config, make_env
from .lottery_mirror import draw_distinct, many_seed

#: chi-square critical value at p = 0.001 for 5 degrees of freedom (6 categories).
CHI2_CRIT_DF5_P001 = 20.515


@pytest.fixture(scope="module")
def client() -> ChainClient:
    return ChainClient.embedded()


def _mock(client: ChainClient, stakes: list[int], mode: int = 0):  # type: ignore[no-untyped-def]
    owner = client.dev_accounts()[0]
    mock = client.deploy("SumTreeMock", len(stakes), sender=owner)
    client.transact(mock.functions.setStakes(0, stakes, mode), owner)
    return mock


def test_draw_matches_mirror(client: ChainClient) -> None:
    stakes = [TOKEN * s for s in (1, 4, 9, 2, 7, 3, 5, 11, 6, 8, 13)]
    mock = _mock(client, stakes)
    weights = [isqrt(s) for s in stakes]
    assert int(client.call(mock.functions.total())) == sum(weights)
    for trial in range(12):
        seed = os.urandom(32)
        m = 1 + trial % len(stakes)
        picks = [int(p) for p in client.call(mock.functions.draw(seed, m))]
        assert picks == draw_distinct(weights, seed, m)
        assert len(set(picks)) == m  # without replacement
    # a zero-weight leaf is never drawn, and the overlay left no trace between calls
    client.transact(mock.functions.setWeight(2, 0), client.dev_accounts()[0])
    counts = [int(c) for c in client.call(mock.functions.drawMany(b"\x09" * 32, 3, 60))]
    assert counts[2] == 0 and sum(counts) == 180


def test_weight_functions(client: ChainClient) -> None:
    mock = _mock(client, [1])
    w = mock.functions.weightOf
    assert int(client.call(w(4 * TOKEN, 0))) == 2 * int(client.call(w(TOKEN, 0)))  # sqrt
    assert abs(int(client.call(w(16 * TOKEN, 1))) - 2 * int(client.call(w(TOKEN, 1)))) <= 2  # fourth root, floored
    assert int(client.call(w(3 * TOKEN, 2))) == 3 * TOKEN  # linear


def test_frequencies_follow_sqrt_stake_chi_square(client: ChainClient) -> None:
    """6 validators with stakes 1, 4, 9, 16, 25, 36 -> weights 1..6; 2,000 single draws in one
    eth_call; the chi-square statistic stays below the p = 0.001 critical value."""
    stakes = [TOKEN * s * s for s in range(1, 7)]
    mock = _mock(client, stakes)
    rounds = 2000
    counts = [int(c) for c in client.call(mock.functions.drawMany(b"\x42" * 32, 1, rounds))]
    assert counts == _mirror_counts([isqrt(s) for s in stakes], b"\x42" * 32, 1, rounds)
    total_w = sum(range(1, 7))
    expected = [rounds * w / total_w for w in range(1, 7)]
    chi2 = sum((c - e) ** 2 / e for c, e in zip(counts, expected, strict=True))
    assert chi2 < CHI2_CRIT_DF5_P001, (counts, chi2)
    # 4x stake (stakes 4 vs 1; 16 vs 4) -> about 2x selections, within sampling error
    # (~100 expected draws of the lightest validator, so the ratio's standard error is about 0.25).
    assert 1.4 < counts[1] / counts[0] < 2.8 and 1.6 < counts[3] / counts[1] < 2.5


def _mirror_counts(weights: list[int], seed: bytes, m: int, rounds: int) -> list[int]:
    counts = [0] * len(weights)
    for i in range(rounds):
        for p in draw_distinct(weights, many_seed(seed, i), m):
            counts[p] += 1
    return counts


def test_arena_draw_matches_mirror_with_rate_limit() -> None:
    env = make_env(ChainClient.embedded())
    task = env.create(base_config(validators_per_submission=3, max_validations_per_validator=2))
    trainers = env.people(4)
    validators = env.people(5)
    stakes = [TOKEN, 4 * TOKEN, 9 * TOKEN, 16 * TOKEN, 25 * TOKEN]
    env.register_trainers(task, trainers)
    env.register_validators(task, validators, stakes)
    env.submit(task, trainers)
    env.advance_past(task.progress().submission_deadline)
    task.draw_validators(env.owner, 2)
    task.draw_validators(env.owner, 2)
    weights = [isqrt(s) for s in stakes]
    index = {v.address: i for i, v in enumerate(validators)}
    used = [0] * len(validators)
    for s in range(4):
        sub = task.submission(s)
        block = env.client.w3.eth.get_block(task.draw_block(s))
        prevrandao = int.from_bytes(bytes(block.get("mixHash") or block.get("prevRandao")), "big")
        eligible = [w if used[i] < 2 else 0 for i, w in enumerate(weights)]
        m = min(3, sum(1 for w in eligible if w))
        picks = draw_distinct(eligible, draw_seed(prevrandao, task.address, s), m)
        assert [index[a] for a in sub.validators] == picks
        for p in picks:
            used[p] += 1
    assert max(used) <= 2  # nobody exceeds maxValidationsPerValidator
    assert [task.account(v.address).assigned for v in validators] == used
    for v in validators:
        assert task.assignments_of(v.address) == [s for s in range(4) if v.address in task.submission(s).validators]
