"""`FactoryClient` and `deploy_stack`: creating Alliance and Arena tasks and reading participation records.

Why: creating a task is two transactions (approve the pool, create the clone) and its address
comes from an event; this module hides both and hands back an `AllianceTaskClient` or an
`ArenaTaskClient`. The factory's owner role (arena implementation, creator allow-list, creator
stake) is wrapped here too.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.logs import DISCARD

from fedledger.chain.alliance import AllianceTaskClient, config_to_abi
from fedledger.chain.arena import ArenaTaskClient, arena_config_to_abi
from fedledger.chain.client import ChainClient
from fedledger.chain.token import TokenClient
from fedledger.core.addresses import checksum
from fedledger.core.errors import ChainError, ValidationError
from fedledger.core.records import AllianceConfig, ArenaConfig, ParticipationRecord

ARTIFACT = "TaskFactory"
IMPLEMENTATION_ARTIFACT = "AllianceTask"
ARENA_IMPLEMENTATION_ARTIFACT = "ArenaTask"
ZERO_ADDRESS = "0x" + "00" * 20


class FactoryClient:
    """One deployed TaskFactory."""

    def __init__(self, client: ChainClient, contract: Contract, token: TokenClient) -> None:
        self.client = client
        self.contract = contract
        self.token = token

    @property
    def address(self) -> str:
        return str(self.contract.address)

    @classmethod
    def deploy(cls, client: ChainClient, token: TokenClient, sender: LocalAccount, arena: bool = True) -> FactoryClient:
        """Deploy an AllianceTask implementation and a factory that clones it (`sender` owns it);
        with `arena`, also deploy an ArenaTask implementation and register it in the factory."""
        implementation = client.deploy(IMPLEMENTATION_ARTIFACT, sender=sender)
        contract = client.deploy(ARTIFACT, token.address, implementation.address, sender=sender)
        factory = cls(client, contract, token)
        if arena:
            arena_impl = client.deploy(ARENA_IMPLEMENTATION_ARTIFACT, sender=sender)
            factory.set_arena_implementation(str(arena_impl.address), sender)
        return factory

    @classmethod
    def at(cls, client: ChainClient, address: str) -> FactoryClient:
        contract = client.contract_at(ARTIFACT, address)
        token = TokenClient.at(client, client.call(contract.functions.token()))
        return cls(client, contract, token)

    def create_alliance_task(self, config: AllianceConfig, sender: LocalAccount) -> AllianceTaskClient:
        """Approve the reward pool to the factory and create the task; returns its client."""
        args = config_to_abi(config)
        self.token.approve(self.address, config.reward_pool, sender)
        receipt = self.client.transact(self.contract.functions.createAllianceTask(args), sender)
        created = self.contract.events.AllianceTaskCreated().process_receipt(receipt, errors=DISCARD)
        if not created:
            raise ChainError(f"createAllianceTask succeeded but emitted no AllianceTaskCreated event (tx {receipt['transactionHash'].hex()})")
        address = str(created[0]["args"]["task"])
        return AllianceTaskClient(self.client, self.client.contract_at(IMPLEMENTATION_ARTIFACT, address), self.token)

    def create_arena_task(self, config: ArenaConfig, sender: LocalAccount) -> ArenaTaskClient:
        """Approve reward pool + creator stake to the factory and create the Arena task; returns its client.

        The sender must qualify: `creator_stake >= arena_creator_stake()`, a record of a finished
        training or validation, or the community allow-list (`qualifies_as_creator`).
        """
        args = arena_config_to_abi(config)
        self.token.approve(self.address, config.reward_pool + config.creator_stake, sender)
        receipt = self.client.transact(self.contract.functions.createArenaTask(args), sender)
        created = self.contract.events.ArenaTaskCreated().process_receipt(receipt, errors=DISCARD)
        if not created:
            raise ChainError(f"createArenaTask succeeded but emitted no ArenaTaskCreated event (tx {receipt['transactionHash'].hex()})")
        address = str(created[0]["args"]["task"])
        return ArenaTaskClient(self.client, self.client.contract_at(ARENA_IMPLEMENTATION_ARTIFACT, address), self.token)

    def arena_task(self, address: str) -> ArenaTaskClient:
        """Client for an Arena task of this factory; refuses other addresses."""
        if not self.is_arena_task(address):
            raise ValidationError(f"{address} is not an arena task created by factory {self.address}")
        return ArenaTaskClient(self.client, self.client.contract_at(ARENA_IMPLEMENTATION_ARTIFACT, address), self.token)

    def is_arena_task(self, address: str) -> bool:
        return bool(self.client.call(self.contract.functions.isArenaTask(address)))

    def arena_implementation(self) -> str | None:
        """The ArenaTask implementation, or None if the owner has not set it."""
        impl = str(self.client.call(self.contract.functions.arenaImplementation()))
        return None if impl == ZERO_ADDRESS else impl

    def set_arena_implementation(self, implementation: str, sender: LocalAccount) -> None:
        """Owner only, once: the ArenaTask implementation that arena tasks clone."""
        self.client.transact(self.contract.functions.setArenaImplementation(implementation), sender)

    def set_community_member(self, account: str, allowed: bool, sender: LocalAccount) -> None:
        """Owner only: add `account` to (or remove it from) the arena-creator allow-list."""
        self.client.transact(self.contract.functions.setCommunityMember(account, bool(allowed)), sender)

    def set_arena_creator_stake(self, amount: int, sender: LocalAccount) -> None:
        """Owner only: the creator stake that qualifies an arena creator on its own."""
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise ValidationError(f"arena creator stake must be a non-negative integer, got {amount!r}")
        self.client.transact(self.contract.functions.setArenaCreatorStake(amount), sender)

    def arena_creator_stake(self) -> int:
        return int(self.client.call(self.contract.functions.arenaCreatorStake()))

    def is_community_member(self, account: str) -> bool:
        return bool(self.client.call(self.contract.functions.isCommunityMember(account)))

    def qualifies_as_creator(self, account: str, stake: int = 0) -> bool:
        """Whether `account` may create an arena task locking `stake`."""
        return bool(self.client.call(self.contract.functions.qualifiesAsCreator(account, stake)))

    def owner(self) -> str:
        return str(self.client.call(self.contract.functions.owner()))

    def task(self, address: str) -> AllianceTaskClient:
        """Client for a task of this factory; refuses addresses it did not create."""
        if not self.is_task(address):
            raise ValidationError(f"{address} is not a task created by factory {self.address}")
        return AllianceTaskClient(self.client, self.client.contract_at(IMPLEMENTATION_ARTIFACT, address), self.token)

    def tasks(self) -> list[str]:
        return [str(a) for a in self.client.call(self.contract.functions.tasks())]

    def task_count(self) -> int:
        return int(self.client.call(self.contract.functions.taskCount()))

    def is_task(self, address: str) -> bool:
        return bool(self.client.call(self.contract.functions.isTask(checksum(address))))

    def record_of(self, address: str) -> ParticipationRecord:
        joined, completed, accepted, majority = self.client.call(self.contract.functions.recordOf(address))
        return ParticipationRecord(
            tasks_joined=int(joined), tasks_completed=int(completed), accepted_proposals=int(accepted), majority_votes=int(majority)
        )


@dataclass(frozen=True)
class Stack:
    """A deployed token + AllianceTask and ArenaTask implementations + factory."""

    client: ChainClient
    owner: LocalAccount
    token: TokenClient
    factory: FactoryClient


def deploy_stack(client: ChainClient, owner: LocalAccount) -> Stack:
    """Deploy FMLToken, the AllianceTask and ArenaTask implementations and the TaskFactory, owned by `owner`."""
    token = TokenClient.deploy(client, owner)
    factory = FactoryClient.deploy(client, token, owner)
    return Stack(client=client, owner=owner, token=token, factory=factory)
