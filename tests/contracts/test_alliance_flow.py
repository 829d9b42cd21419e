"""The core Alliance flow through the typed wrappers, on the embedded EVM AND a real anvil node.

Create a task, join, a pioneering round, a round with a rejected proposer, a minority voter
and an absent voter (slashing), finish, withdraw everyone, and check the factory records —
every step compared with the pure `AllianceLedger`. The anvil parameter carries the
`integration` marker and never skips (see tests/conftest.py).
"""

from __future__ import annotations

from fedledger.chain import ChainClient
from fedledger.chain.factory import deploy_stack
from fedledger.core.records import AllianceConfig, SlashReason, TaskStatus
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
        for i, p in enumerate(props):
            task.submit_update(r, i, bytes([0x30 + i]) * 32, 100 * (i + 1), by[p])
        for j, v in enumerate(voters):
            salt = bytes([j + 1]) * 32
            task.commit_vote(r, vote_commitment(r, v, verdict, hashes.get(j, GOOD), salt), by[v])
        for j, v in enumerate(voters):
            if j not in absent_voters:
                task.reveal_vote(r, verdict, hashes.get(j, GOOD), bytes([j + 1]) * 32, by[v])
        if absent_voters:
            client.advance_time(info.reveal_deadline - client.now() + 1)
        fin = task.finalize_round(r, finalizer)
        expected = ledger.finalize(
            [ProposerEntry(p, True, 100 * (i + 1)) for i, p in enumerate(props)],
            [VoterEntry(v, j not in absent_voters, verdict, hashes.get(j, GOOD)) for j, v in enumerate(voters)],
            caller=finalizer.address,
        )
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
        assert task.pool() == ledger.pool
        assert stack.token.balance_of(task.address) == ledger.held
        return expected

    r0 = play(0, verdict=0b1, hashes={}, absent_voters=set())
    assert r0.accepted == (0,) and task.global_model_hash() == GOOD
    # Round 1 (ceil(6 * 34 %) = 3 proposers): accept proposer 1 only -> proposers 0 and 2
    # rejected; voter 1 reports BAD (minority), voter 2 never reveals (absent).
    r1 = play(1, verdict=0b010, hashes={1: BAD}, absent_voters={2})
    assert r1.rejected == (0, 2) and r1.accepted == (1,)
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
