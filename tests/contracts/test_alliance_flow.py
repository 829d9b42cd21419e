"""The core Alliance flow through the typed wrappers, on the embedded EVM AND a real anvil node.

Create a task, join, a pioneering round, a round with a rejected proposer, a minority voter
and an absent voter (slashing), finish, withdraw everyone, and check the factory records —
every step compared with the pure `AllianceLedger`. The anvil parameter carries the
`integration` marker and never skips (see tests/conftest.py). Also: a small coalition outside
the proposers cannot reject honest updates, because every participant votes, proposers too.
"""

from __future__ import annotations

from typing import Any

import pytest

from fedledger.chain import ChainClient
from fedledger.chain.alliance import AllianceTaskClient
from fedledger.chain.factory import deploy_stack
from fedledger.core.errors import RevertError
from fedledger.core.records import AllianceConfig, Role, SlashReason, TaskStatus
from fedledger.protocol import (
    AllianceLedger,
    ProposerEntry,
    RoundSettlement,
    SettlementRules,
    VoterEntry,
    draw_roles,
    round_seed,
    vote_commitment,
)

GOOD, BAD = b"\x01" * 32, b"\x02" * 32
E18 = 10**18


def test_core_flow_matches_the_mirror(chain_client: ChainClient) -> None:
    client = chain_client
    dev = client.dev_accounts()
    owner = dev[0]
    stack = deploy_stack(client, owner)
    creator, finalizer = client.new_account(10**20), client.new_account(10**20)
    members = [client.new_account(10**20) for _ in range(6)]
    cfg = AllianceConfig(
        spec_hash=b"\x5e" * 32, reward_pool=1_000 * E18 + 7, stake_required=E18, max_participants=6, rounds=2,
        proposer_ratio_bps=3400, finalizer_bonus_bps=25, propose_window=600, commit_window=600, reveal_window=600,
    )
    stack.token.mint(creator.address, cfg.reward_pool, owner)
    task = stack.factory.create_alliance_task(cfg, creator)
    assert stack.factory.is_task(task.address) and task.address in stack.factory.tasks()
    ledger = AllianceLedger(
        SettlementRules.from_config(cfg), creator=creator.address, reward_pool=cfg.reward_pool,
        min_participants=cfg.min_participants,
        max_participants=cfg.max_participants,
    )
    for i, m in enumerate(members):
        stake = E18 * (i + 2)
        stack.token.mint(m.address, stake, owner)
        task.join(stake, m)
        ledger.join(m.address, stake)
    by = {m.address: m for m in members}

    def play(r: int, verdict: int, hashes: dict[int, bytes], absent_voters: set[int]) -> RoundSettlement:
        """One round: every proposer submits, then votes `verdict` with GOOD and reveals; the
        other voters (indexed by rank among non-proposers, in participant order) vote `verdict`
        with `hashes.get(j, GOOD)`, and those in `absent_voters` never reveal."""
        receipt = task.start_round(members[0])
        ledger.start_round()
        info = task.round_info(r)
        if not client.is_embedded:  # eth-tester's sealed mixHash can differ from the executed prevrandao
            block = client.w3.eth.get_block(receipt["blockNumber"])
            assert info.seed == round_seed(int.from_bytes(bytes(block["mixHash"]), "big"), task.address, r)
        props, voters = draw_roles(
            info.seed, ledger.participants, cfg.proposer_ratio_bps, pioneer=r == 0,
            missed_last_round=ledger.missed_last_round, ejected=ledger.ejected,
        )
        assert info.proposers == props
        assert list(voters) == [a for a in ledger.participants if a not in ledger.ejected]  # proposers vote too
        assert info.voter_count == len(voters)
        others = [v for v in voters if v not in props]
        vote_hash = {v: GOOD for v in props} | {v: hashes.get(j, GOOD) for j, v in enumerate(others)}
        absent = {others[j] for j in absent_voters}
        for i, p in enumerate(props):
            task.submit_update(r, i, bytes([0x30 + i]) * 32, 100 * (i + 1), by[p])
            # updatesOf: the proposers in order, what each submitted so far, zeros for the rest
            seen = task.round_updates(r)
            assert seen.proposers == props
            assert [(u.update_hash, u.num_samples) for u in seen.updates] == [
                (bytes([0x30 + j]) * 32, 100 * (j + 1)) if j <= i else (bytes(32), 0) for j in range(len(props))
            ]
            assert seen.updates == tuple(task.update_of(r, j) for j in range(len(props)))
        with pytest.raises(RevertError) as not_started:
            task.round_updates(r + 1)
        assert not_started.value.error_name == "AllianceTaskWrongRound"
        for j, v in enumerate(voters):
            salt = bytes([j + 1]) * 32
            task.commit_vote(r, vote_commitment(r, v, verdict, vote_hash[v], salt), by[v])
        for j, v in enumerate(voters):
            if v not in absent:
                task.reveal_vote(r, verdict, vote_hash[v], bytes([j + 1]) * 32, by[v])
        if absent:
            client.advance_time(info.reveal_deadline - client.now() + 1)
        fin = task.finalize_round(r, finalizer)
        expected = ledger.finalize(
            [ProposerEntry(p, True, 100 * (i + 1)) for i, p in enumerate(props)],
            [VoterEntry(v, v not in absent, verdict, vote_hash[v]) for v in voters],
            caller=finalizer.address,
        )
        _assert_settlement_matches(task, ledger, stack, fin, expected)
        return expected

    r0 = play(0, verdict=0b1, hashes={}, absent_voters=set())
    assert r0.accepted == (0,) and task.global_model_hash() == GOOD
    assert len(r0.majority_voters) == 6 and r0.accepted_addresses[0] in r0.majority_voters  # the pioneer too
    # Round 1 (ceil(6 * 34 %) = 3 proposers): accept proposer 1 only -> proposers 0 and 2
    # rejected; of the three other voters, voter 1 reports BAD (minority), voter 2 never
    # reveals (absent).
    r1 = play(1, verdict=0b010, hashes={1: BAD}, absent_voters={2})
    assert r1.rejected == (0, 2) and r1.accepted == (1,)
    # Rejected proposers voted with the majority but are slashed once, for their update.
    assert all(r1.slash_reasons[a] == int(SlashReason.REJECTED_PROPOSER) for a in r1.rejected_addresses)
    assert set(r1.rejected_addresses) | set(r1.accepted_addresses) <= set(r1.majority_voters)
    assert sorted(r1.slash_reasons.values()) == [
        int(SlashReason.REJECTED_PROPOSER), int(SlashReason.REJECTED_PROPOSER),
        int(SlashReason.MINORITY_VOTER), int(SlashReason.ABSENT),
    ]
    assert task.status() == TaskStatus.FINISHED and task.pool() == 0
    # The voter that never revealed is the one absentee (drawn last if a round followed).
    assert {m.address for m in members if task.missed_last_round(m.address)} == set(ledger.missed_last_round)
    assert len(ledger.missed_last_round) == 1

    for acct in [*members, creator, finalizer]:
        before = stack.token.balance_of(acct.address)
        amount = ledger.withdraw(acct.address)
        task.withdraw(acct)
        assert stack.token.balance_of(acct.address) - before == amount
    ledger.check_conservation()
    assert stack.token.balance_of(task.address) == 0
    for m in members:
        rec = stack.factory.record_of(m.address)
        assert (rec.tasks_joined, rec.tasks_completed) == (1, 1)
        assert rec.accepted_proposals == ledger.accepted_proposals.get(m.address, 0)
        assert rec.majority_votes == ledger.majority_votes.get(m.address, 0)
    assert stack.factory.record_of(finalizer.address).tasks_joined == 0


def _assert_settlement_matches(
    task: AllianceTaskClient, ledger: AllianceLedger, stack: Any, fin: Any, expected: RoundSettlement
) -> None:
    """The finalization receipt and the task's accounts equal the mirror's settlement."""
    got = task.settlement(fin)
    assert got.outcome_bitmap == expected.outcome_bitmap
    assert got.global_model_hash == expected.new_global_hash
    assert got.rewards == dict(expected.rewards)
    assert {a: (amt, int(reason)) for a, (amt, reason) in got.slashes.items()} == {
        a: (expected.slashes[a], expected.slash_reasons[a]) for a in expected.slashes
    }
    assert got.ejected == expected.ejected_addresses
    for a in ledger.participants:
        assert task.is_ejected(a) == (a in ledger.ejected)
        info_a = task.participant_info(a)
        assert (info_a.stake, info_a.claimable) == (ledger.stakes[a], ledger.claimable.get(a, 0))
        assert (info_a.accepted_proposals, info_a.majority_votes) == (
            ledger.accepted_proposals.get(a, 0), ledger.majority_votes.get(a, 0)
        )
    assert task.pool() == ledger.pool
    assert stack.token.balance_of(task.address) == ledger.held


def test_three_colluding_voters_cannot_reject_honest_updates() -> None:
    """10 equal stakes, 5 proposers. Three colluders who do not propose reveal votes rejecting every
    update; everyone else, proposers included (own bit set), accepts every update.

    Under the old rule only the 5 non-proposers voted, so the colluders' 3 stakes beat the 2
    honest voters' and every honest proposer was rejected and slashed. Now each update is judged
    by the 9 other participants (6 accept, 3 reject): every update is accepted, no honest
    participant is slashed, and the colluders are slashed as minority voters.
    """
    client = ChainClient.embedded()
    owner = client.dev_accounts()[0]
    stack = deploy_stack(client, owner)
    creator, finalizer = client.new_account(10**20), client.new_account(10**20)
    members = [client.new_account(10**20) for _ in range(10)]
    cfg = AllianceConfig(
        spec_hash=b"\x5e" * 32, initial_model_hash=b"\x42" * 32, reward_pool=1_000 * E18, stake_required=E18,
        max_participants=10, rounds=2, proposer_ratio_bps=5000, finalizer_bonus_bps=25,
    )
    stack.token.mint(creator.address, cfg.reward_pool, owner)
    task = stack.factory.create_alliance_task(cfg, creator)
    ledger = AllianceLedger(
        SettlementRules.from_config(cfg), creator=creator.address, reward_pool=cfg.reward_pool,
        min_participants=cfg.min_participants, max_participants=cfg.max_participants,
        initial_global_hash=cfg.initial_model_hash,
    )
    for m in members:
        stack.token.mint(m.address, E18, owner)
        task.join(E18, m)
        ledger.join(m.address, E18)
    by = {m.address: m for m in members}

    task.start_round(members[0])
    ledger.start_round()
    info = task.round_info(0)
    props, voters = draw_roles(info.seed, ledger.participants, cfg.proposer_ratio_bps, pioneer=False)
    assert info.proposers == props and len(props) == 5
    assert list(voters) == list(ledger.participants) and info.voter_count == 10
    # The colluders are picked after the draw among those who do not propose.
    colluders = [v for v in voters if v not in props][:3]
    honest = [v for v in voters if v not in colluders]
    assert all(task.role_of(0, c) is Role.VOTER for c in colluders)
    assert all(task.role_of(0, p) is Role.PROPOSER for p in props)
    every = (1 << len(props)) - 1
    ballot = {v: (0, BAD) if v in colluders else (every, GOOD) for v in voters}
    # Under the old rule (only non-proposers vote) the colluders would win every proposer's tally.
    old_voters = [v for v in voters if v not in props]
    assert sum(ledger.stakes[v] for v in old_voters if ballot[v][0]) < sum(
        ledger.stakes[v] for v in old_voters if not ballot[v][0]
    )

    for i, p in enumerate(props):
        task.submit_update(0, i, bytes([0x30 + i]) * 32, 100 * (i + 1), by[p])
    for j, v in enumerate(voters):
        bitmap, agg = ballot[v]
        task.commit_vote(0, vote_commitment(0, v, bitmap, agg, bytes([j + 1]) * 32), by[v])
    for j, v in enumerate(voters):
        bitmap, agg = ballot[v]
        task.reveal_vote(0, bitmap, agg, bytes([j + 1]) * 32, by[v])
    fin = task.finalize_round(0, finalizer)
    expected = ledger.finalize(
        [ProposerEntry(p, True, 100 * (i + 1)) for i, p in enumerate(props)],
        [VoterEntry(v, True, *ballot[v]) for v in voters],
        caller=finalizer.address,
    )
    _assert_settlement_matches(task, ledger, stack, fin, expected)

    got = task.settlement(fin)
    assert got.outcome_bitmap == every and task.round_info(0).outcome_bitmap == every  # every update accepted
    assert task.global_model_hash() == GOOD
    assert set(got.slashes) == set(colluders)  # no honest participant is slashed
    assert {a: int(reason) for a, (_, reason) in got.slashes.items()} == {
        c: int(SlashReason.MINORITY_VOTER) for c in colluders
    }
    assert all(task.participant_info(c).stake == E18 - E18 * cfg.voter_slash_bps // 10_000 for c in colluders)
    for a in honest:
        info_a = task.participant_info(a)
        assert info_a.stake == E18 and info_a.majority_votes == 1 and got.rewards.get(a, 0) > 0
        assert info_a.accepted_proposals == (1 if a in props else 0)
    assert all(c not in got.rewards and task.participant_info(c).majority_votes == 0 for c in colluders)
    assert expected.majority_voters == tuple(honest)
