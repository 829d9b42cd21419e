"""Moving a simulated chain's clock when nobody can act until a phase deadline passes."""

from __future__ import annotations

from collections.abc import Iterable

from fedledger.chain.alliance import AllianceTaskClient
from fedledger.chain.client import ChainClient
from fedledger.core.records import TaskStatus


def advance_past_next_deadline(client: ChainClient, deadlines: Iterable[int]) -> bool:
    """Move chain time just past the first deadline not yet passed; False if all have passed."""
    now = client.now()
    for deadline in deadlines:
        if deadline >= now:
            client.advance_time(deadline - now + 1)
            return True
    return False


def advance_alliance_round(task: AllianceTaskClient) -> bool:
    """Past the current Alliance round's next pending deadline; False if no round is open."""
    if task.status() != TaskStatus.TRAINING:
        return False
    info = task.round_info(task.current_round())
    if info.finalized:
        return False
    return advance_past_next_deadline(task.client, (info.propose_deadline, info.commit_deadline, info.reveal_deadline))
