"""A full Arena task on the embedded EVM: honest and lying validators, payouts, derived Alliance."""

from __future__ import annotations

import random

from web3.logs import DISCARD

from fedledger.chain import ChainClient
from fedledger.core.records import ArenaRole, ArenaStatus
from fedledger.protocol.arena import SLASH_OUTSIDE_TOLERANCE, budgets, weighted_median

from .harness import TOKEN, alliance_config, base_config, make_env, task_liabilities

TRUE_SCORES = [900_000, 700_000, 500_000]


def test_full_competition_with_a_liar_and_derived_alliance() -> None:
    env = make_env(ChainClient.embedded())
    cfg = base_config(validators_per_submission=4, alliance_share_bps=2000)
    task = env.create(cfg)
    assert task.creator() == env.creator.address and task.status() is ArenaStatus.ACTIVE
    assert env.token_balance(task.address) == cfg.reward_pool + cfg.creator_stake
    trainers = env.people(3)
    validators = env.people(4)
    liar = validators[3]
    env.register_trainers(task, trainers)
    env.register_validators(task, validators, [TOKEN, 2 * TOKEN, 3 * TOKEN, 4 * TOKEN])
    env.submit(task, trainers)
    assert env.token_balance(task.address) == task_liabilities(task, env)
    env.advance_past(task.progress().submission_deadline)
    task.draw_validators(env.owner)
    for sub in task.submissions():
        assert sorted(sub.validators) == sorted(v.address for v in validators)  # k = 4 of 4
    rng = random.Random(7)
    honest_noise = {v.address: (i - 1) * 2_000 for i, v in enumerate(validators[:3])}

    def score_of(i: int, addr: str) -> int:
        if addr == liar.address:
            truth = TRUE_SCORES[i]
            while True:  # random, but never accidentally within tolerance of the truth
                s = rng.randrange(0, 1_000_001)
                if abs(s - truth) > 200_000:
                    return s
        return TRUE_SCORES[i] + honest_noise[addr]

    scores = env.score_all(task, validators, score_of)
    receipt = task.finalize(env.owner)
    assert task.status() is ArenaStatus.FINISHED
    deposits = {v.address: task.account(v.address).deposit for v in validators}
    for sub in task.submissions():
        honest = [scores[(sub.index, v.address)] for v in validators[:3]]
        assert sub.scored and min(honest) <= sub.score <= max(honest)
        everyone = [scores[(sub.index, v.address)] for v in validators]
        assert sub.score == weighted_median(everyone, [deposits[v.address] for v in validators])
    slashed = [e["args"] for e in task.contract.events.Slashed().process_receipt(receipt, errors=DISCARD)]
    assert {s["account"] for s in slashed} == {liar.address}
    assert all(s["reason"] == SLASH_OUTSIDE_TOLERANCE for s in slashed)
    liar_acc = task.account(liar.address)
    assert liar_acc.stake < liar_acc.deposit and liar_acc.closeness == 0 and liar_acc.role is ArenaRole.VALIDATOR
    out = task.outcome()
    assert out.has_winner and out.winner == 0 and out.winner_model_hash == task.submission(0).model_hash
    expected = budgets(cfg.reward_pool, cfg.trainer_share_bps, cfg.alliance_share_bps,
                       liar_acc.deposit - liar_acc.stake, out.sum_trainer_weight, out.sum_closeness, True)
    assert (out.trainer_budget, out.validator_budget, out.alliance_reserve) == (
        expected.trainer_budget, expected.validator_budget, expected.alliance_reserve)
    assert env.token_balance(task.address) == task_liabilities(task, env)

    paid: dict[str, int] = {}
    for person in [*trainers, *validators]:
        before = env.token_balance(person.address)
        task.withdraw(person)
        paid[person.address] = env.token_balance(person.address) - before
        assert env.token_balance(task.address) == task_liabilities(task, env)
    trainer_pay = [paid[t.address] for t in trainers]
    assert trainer_pay[0] > trainer_pay[1] > trainer_pay[2] > TOKEN  # best trainer paid most
    assert paid[liar.address] < TOKEN * 4  # lost stake, earned nothing
    assert sum(trainer_pay) - 3 * TOKEN == out.trainer_budget  # budgets paid out exactly
    assert task.outcome().trainer_budget_left == 0 and task.outcome().validator_budget_left == 0

    alliance = task.derive_alliance(alliance_config(), env.creator)
    assert alliance.global_model_hash() == task.submission(0).model_hash
    acfg = alliance.config()
    assert acfg.initial_model_hash == task.submission(0).model_hash and acfg.reward_pool == out.alliance_reserve
    assert alliance.creator() == env.creator.address
    assert env.token_balance(alliance.address) == out.alliance_reserve
    assert env.stack.factory.is_task(alliance.address) and not env.stack.factory.is_arena_task(alliance.address)
    assert task.outcome().alliance == alliance.address
    creator_before = env.token_balance(env.creator.address)
    task.withdraw(env.creator)
    assert env.token_balance(env.creator.address) - creator_before == cfg.creator_stake
    assert env.token_balance(task.address) == 0 == task_liabilities(task, env)
    rec = env.stack.factory.record_of(trainers[0].address)
    assert rec.tasks_completed == 1 and rec.accepted_proposals == 1
    assert env.stack.factory.record_of(validators[0].address).majority_votes == 3
    # A finished validation qualifies its holder as an arena creator without stake.
    assert env.stack.factory.qualifies_as_creator(validators[0].address, 0)
    assert not env.stack.factory.qualifies_as_creator(liar.address, 0)
