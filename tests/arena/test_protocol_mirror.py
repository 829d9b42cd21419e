"""The pure-Python Arena maths (`fedledger.protocol.arena`) and its agreement with the contract."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from web3.logs import DISCARD

from fedledger.chain import ChainClient
from fedledger.core.errors import ValidationError
from fedledger.protocol.arena import (
    budgets,
    closeness,
    settle_submission,
    shares,
    trainer_weight,
    weighted_median,
)

from .harness import TOKEN, base_config, make_env


def test_weighted_median_basics() -> None:
    assert weighted_median([5, 1, 9], [1, 1, 1]) == 5
    assert weighted_median([5, 1, 9], [1, 1, 10]) == 9  # a majority of weight decides
    assert weighted_median([1, 2], [1, 1]) == 1  # lower median on an even split
    with pytest.raises(ValidationError):
        weighted_median([], [])


@given(
    honest=st.lists(st.integers(0, 1_000_000), min_size=2, max_size=8),
    liars=st.lists(st.integers(0, 1_000_000), min_size=0, max_size=7),
)
@settings(max_examples=200, deadline=None)
def test_a_weight_minority_cannot_move_the_median_outside_honest_scores(honest: list[int], liars: list[int]) -> None:
    liars = liars[: len(honest) - 1]  # strictly less weight than the honest validators (equal stakes)
    median = weighted_median(honest + liars, [1] * (len(honest) + len(liars)))
    assert min(honest) <= median <= max(honest)


def test_trainer_weight_is_convex_and_checked() -> None:
    assert trainer_weight(900_000, 2) - trainer_weight(800_000, 2) > trainer_weight(200_000, 2) - trainer_weight(100_000, 2)
    with pytest.raises(ValidationError):
        trainer_weight(1, 5)
    with pytest.raises(ValidationError):
        trainer_weight(1_000_001, 2)


def test_closeness_and_settlement() -> None:
    assert closeness(100, 100, 10) == 11 and closeness(110, 100, 10) == 1 and closeness(111, 100, 10) == 0
    res = settle_submission({"a": 500, "b": 510, "c": 900}, {"a": 1, "b": 1, "c": 1}, ["a", "b", "c", "d"], 20)
    assert res.scored and res.score == 510 and res.outside == ("c",) and res.absent == ("d",)
    assert dict(res.closeness) == {"a": 11, "b": 21}
    assert not settle_submission({}, {}, ["a"], 5).scored


@given(
    pool=st.integers(1, 10**24), tshare=st.integers(0, 10_000), ashare=st.integers(0, 10_000),
    slashed=st.integers(0, 10**20), stw=st.integers(0, 5), sc=st.integers(0, 5), win=st.booleans(),
)
@settings(max_examples=200, deadline=None)
def test_budgets_conserve_tokens(pool: int, tshare: int, ashare: int, slashed: int, stw: int, sc: int, win: bool) -> None:
    b = budgets(pool, tshare, ashare, slashed, stw, sc, win)
    assert b.trainer_budget + b.validator_budget + b.creator_refund + b.alliance_reserve == pool + slashed


@given(budget=st.integers(0, 10**24), points=st.lists(st.integers(1, 10**6), min_size=1, max_size=10))
@settings(max_examples=200, deadline=None)
def test_shares_pay_exactly(budget: int, points: list[int]) -> None:
    names = [f"a{i}" for i in range(len(points))]
    paid = shares(budget, dict(zip(names, points, strict=True)), names)
    assert sum(paid.values()) == budget and all(v >= 0 for v in paid.values())


def test_mirror_matches_contract_on_random_scores() -> None:
    """Random scores, stakes and silences: the contract's medians, slashes, budgets and payouts equal the mirror's."""
    rng = random.Random(1234)
    env = make_env(ChainClient.embedded())
    cfg = base_config(validators_per_submission=4, validator_tolerance=30_000, score_exponent=3,
                      validator_slash_bps=2500, absent_slash_bps=1500, alliance_share_bps=500)
    task = env.create(cfg)
    trainers = env.people(4)
    validators = env.people(6)
    env.register_trainers(task, trainers)
    env.register_validators(task, validators, [TOKEN * rng.randint(1, 9) for _ in validators])
    env.submit(task, trainers[:3])  # the fourth trainer never submits
    env.advance_past(task.progress().submission_deadline)
    task.draw_validators(env.owner)
    truth = [rng.randint(300_000, 950_000) for _ in range(3)]
    silent = validators[5].address
    scores = env.score_all(task, validators, lambda i, a: max(0, min(1_000_000, truth[i] + rng.choice(
        [rng.randint(-20_000, 20_000), rng.randint(-400_000, 400_000)]))), reveal={silent: False})
    env.advance_past(task.progress().reveal_deadline)
    receipt = task.finalize(env.owner)
    deposits = {v.address: task.account(v.address).deposit for v in validators}
    stakes = dict(deposits)
    mirrored_slash = 0
    points: dict[str, int] = {}
    tw: dict[str, int] = {}
    for sub in task.submissions():
        revealed = {a: scores[(sub.index, a)] for a in sub.validators if a != silent}
        res = settle_submission(revealed, deposits, sub.validators, cfg.validator_tolerance)
        assert (sub.scored, sub.score) == (res.scored, res.score)
        for a in sub.validators:  # slashes in slot order, absent first as the contract does
            if a in res.absent:
                cut = stakes[a] * cfg.absent_slash_bps // 10_000
                stakes[a] -= cut
                mirrored_slash += cut
        for a in sub.validators:
            if a in res.outside:
                cut = stakes[a] * cfg.validator_slash_bps // 10_000
                stakes[a] -= cut
                mirrored_slash += cut
        for a, c in res.closeness.items():
            points[a] = points.get(a, 0) + c
        if res.scored:
            tw[sub.trainer] = trainer_weight(res.score, cfg.score_exponent)
    absent_trainer_cut = TOKEN * cfg.absent_slash_bps // 10_000
    mirrored_slash += absent_trainer_cut
    for v in validators:
        assert task.account(v.address).stake == stakes[v.address]
    slashed_events = task.contract.events.Slashed().process_receipt(receipt, errors=DISCARD)
    assert sum(e["args"]["amount"] for e in slashed_events) == mirrored_slash
    out = task.outcome()
    b = budgets(cfg.reward_pool, cfg.trainer_share_bps, cfg.alliance_share_bps, mirrored_slash,
                sum(tw.values()), sum(points.values()), out.has_winner)
    assert (out.trainer_budget, out.validator_budget, out.alliance_reserve) == (
        b.trainer_budget, b.validator_budget, b.alliance_reserve)
    order = [p.address for p in [*trainers, *validators]]
    expected = {**shares(b.trainer_budget, {t: w for t, w in tw.items() if w > 0}, order),
                **shares(b.validator_budget, points, order)}
    for person in [*trainers, *validators]:
        before = env.token_balance(person.address)
        task.withdraw(person)
        stake = TOKEN - absent_trainer_cut if person is trainers[3] else (
            stakes.get(person.address, TOKEN))
        assert env.token_balance(person.address) - before == stake + expected.get(person.address, 0)
