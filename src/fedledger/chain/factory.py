"""`FactoryClient` and `deploy_stack`: creating AllianceTasks and reading participation records.

Why: creating a task is two transactions (approve the pool, create the clone) and its address
comes from an event; this module hides both and hands back an `AllianceTaskClient`.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.logs import DISCARD

from fedledger.chain.alliance import AllianceTaskClient, config_to_abi
from fedledger.chain.client import ChainClient
from fedledger.chain.token import TokenClient
from fedledger.core.errors import ChainError, ValidationError
from fedledger.core.records import AllianceConfig, ParticipationRecord

ARTIFACT = "TaskFactory"
IMPLEMENTATION_ARTIFACT = "AllianceTask"


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
    def deploy(cls, client: ChainClient, token: TokenClient, sender: LocalAccount) -> FactoryClient:
        """Deploy an AllianceTask implementation and a factory that clones it."""
        implementation = client.deploy(IMPLEMENTATION_ARTIFACT, sender=sender)
        contract = client.deploy(ARTIFACT, token.address, implementation.address, sender=sender)
        return cls(client, contract, token)

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
        return bool(self.client.call(self.contract.functions.isTask(address)))

    def record_of(self, address: str) -> ParticipationRecord:
        joined, completed, accepted, majority = self.client.call(self.contract.functions.recordOf(address))
        return ParticipationRecord(
            tasks_joined=int(joined), tasks_completed=int(completed), accepted_proposals=int(accepted), majority_votes=int(majority)
        )


@dataclass(frozen=True)
class Stack:
    """A deployed token + AllianceTask implementation + factory."""

    client: ChainClient
    owner: LocalAccount
    token: TokenClient
    factory: FactoryClient


def deploy_stack(client: ChainClient, owner: LocalAccount) -> Stack:
    """Deploy FMLToken, the AllianceTask implementation and the TaskFactory, owned by `owner`."""
    token = TokenClient.deploy(client, owner)
    factory = FactoryClient.deploy(client, token, owner)
    return Stack(client=client, owner=owner, token=token, factory=factory)
