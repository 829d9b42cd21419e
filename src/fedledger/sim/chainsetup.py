"""The chain side of a simulation: deploy the stack, create the task, fund the participants."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_utils import keccak

from fedledger.chain import ChainClient
from fedledger.chain.client import GAS_MONEY_WEI
from fedledger.chain.alliance import AllianceTaskClient
from fedledger.chain.factory import Stack, deploy_stack
from fedledger.core.records import AllianceConfig
from fedledger.sim.config import SimConfig


@dataclass
class SimChain:
    """Handles the engine needs: the client, the deployed stack, the task and the accounts."""

    client: ChainClient
    stack: Stack
    task: AllianceTaskClient
    creator: Any
    accounts: list[Any]
    deposits: int

    def token_balance(self, address: str) -> int:
        return self.stack.token.balance_of(address)

    def stake_of(self, address: str) -> int:
        return self.task.participant_info(address).stake

    def claimable_of(self, address: str) -> int:
        return self.task.participant_info(address).claimable

    def conservation_ok(self) -> bool:
        """The task's token balance equals sum(stakes) + pool + sum(claimable) (spec invariant)."""
        infos = [self.task.participant_info(a.address) for a in self.accounts]
        creator = self.task.participant_info(self.creator.address)
        held = sum(i.stake + i.claimable for i in infos if not i.withdrawn) + self.task.pool()
        if not creator.withdrawn:
            held += creator.claimable
        return self.token_balance(self.task.address) == held


def alliance_config(config: SimConfig, spec_hash: bytes) -> AllianceConfig:
    return AllianceConfig(
        spec_hash=spec_hash,
        reward_pool=config.reward_pool,
        stake_required=config.stake,
        min_participants=min(3, config.participants),
        max_participants=config.participants,
        rounds=config.rounds,
        proposer_ratio_bps=config.proposer_ratio_bps,
        proposer_share_bps=config.proposer_share_bps,
        proposer_slash_bps=config.proposer_slash_bps,
        voter_slash_bps=config.voter_slash_bps,
        absent_slash_bps=config.absent_slash_bps,
        finalizer_bonus_bps=config.finalizer_bonus_bps,
        propose_window=config.propose_window,
        commit_window=config.commit_window,
        reveal_window=config.reveal_window,
    )




def _seed_bytes(seed: int) -> bytes:
    return seed.to_bytes(32, "big", signed=True)


def beacon_seed(seed: int) -> int:
    """The embedded chain's `prevrandao` seed for a simulation seed (so role draws replay)."""
    return int.from_bytes(keccak(b"fedledger-sim-beacon" + _seed_bytes(seed))[:8], "big")


def participant_account(seed: int, index: int, domain: bytes = b"fedledger-sim") -> Any:
    """Participant `index`'s key, derived from the simulation seed (and a `domain` label, so
    simulations of different kinds draw different keys from one seed).

    Why: the proposer tickets hash the address, the training seeds too, so a replayable run
    needs the same addresses every time; and a clean and an attacked run with the same seed
    then draw the same roles, which is what the attack bench compares. A keccak output is a
    valid secp256k1 key except with negligible probability.
    """
    return Account.from_key(keccak(domain + _seed_bytes(seed) + index.to_bytes(4, "big")))


def setup(config: SimConfig, spec_hash: bytes, participants: int) -> SimChain:
    """Deploy token + factory, create the task, and give each participant ETH and its stake.

    On the embedded chain everything replays from `config.seed` (beacon and participant
    keys). Against an external node (`rpc_url`) the keys are fresh random ones, because a
    long-lived node keeps the balances and nonces of earlier runs with the same seed.
    """
    if config.rpc_url:
        client = ChainClient.connect(config.rpc_url)
    else:
        client = ChainClient.embedded(beacon_seed=beacon_seed(config.seed))
    owner = client.dev_accounts()[0]
    stack = deploy_stack(client, owner)
    stack.token.mint(owner.address, config.reward_pool, owner)
    task = stack.factory.create_alliance_task(alliance_config(config, spec_hash), owner)
    if config.rpc_url:
        accounts = [client.new_account() for _ in range(participants)]
    else:
        accounts = [participant_account(config.seed, i) for i in range(participants)]
        client.wait_all([client.send_eth(a.address, GAS_MONEY_WEI, owner) for a in accounts])
    for account in accounts:
        stack.token.mint(account.address, config.stake, owner)
    return SimChain(
        client=client,
        stack=stack,
        task=task,
        creator=owner,
        accounts=accounts,
        deposits=config.reward_pool + participants * config.stake,
    )
