"""Run one participant as a long-lived process against a JSON-RPC node (`fedledger node run`).

The loop is `Participant.step()` until the task is Finished/Closed and this node withdrew.
A process killed at any point can be started again with the same arguments: the chain and
the state dir hold everything it needs to resume (see `node.participant`).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from fedledger.chain import ChainClient
from fedledger.chain.alliance import AllianceTaskClient
from fedledger.chain.keystore import load_keystore
from fedledger.core.errors import ConfigError
from fedledger.core.units import in_tokens
from fedledger.learning.data import load_dataset
from fedledger.node.behaviours import make_behaviour
from fedledger.node.participant import RETRY_FOR_S, Participant, fetch_spec
from fedledger.node.state import exclusive
from fedledger.storage.open_store import open_store

log = logging.getLogger(__name__)


def configure_logging(verbose: bool = False, quiet: bool = False) -> None:
    """What a node process prints: each action it takes (joined, submitted, committed, revealed,
    finalized, withdrew) and every warning, with a timestamp; `verbose` adds the libraries'
    info messages, `quiet` keeps warnings only. A node runs for hours: a silent one cannot be
    told from a stuck one."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(message)s")
    logging.getLogger("fedledger.node").setLevel(logging.WARNING if quiet else logging.INFO)


def read_password(password_file: Path | str) -> str:
    """The keystore password from a file (first line, trailing newline stripped)."""
    path = Path(password_file)
    if not path.is_file():
        raise ConfigError(f"password file {path} not found; create it with the keystore's password on one line")
    text = path.read_text()
    return text.splitlines()[0] if text else ""


def run_node(
    rpc_url: str,
    keystore: Path | str,
    password_file: Path | str,
    task: str,
    data: Path | str | None,
    storage: str,
    state_dir: Path | str | None,
    behaviour: str = "honest",
    poll_s: float = 0.5,
    start_at: int | None = None,
    test_fraction: float = 0.2,
    max_seconds: float | None = None,
    retry_for_s: float = RETRY_FOR_S,
    state_home: Path | str | None = None,
) -> dict[str, Any]:
    """Join `task` and follow it to the end; returns a summary (final stake, claimable, withdrawn).

    What can be checked here (behaviour, keystore and password, data file) is checked before
    the node is contacted, so a typo costs no network round trip and is reported first."""
    strategy = make_behaviour(behaviour)
    account = load_keystore(keystore, read_password(password_file))
    if data is not None and not Path(data).is_file():
        raise ConfigError(f"data file {data} not found")
    if state_dir is None:
        if state_home is None:
            raise ConfigError("pass a state dir (or a state home to keep one per task and account under)")
        state_dir = Path(state_home) / task.lower() / account.address.lower()
    client = ChainClient.connect(rpc_url)
    alliance = AllianceTaskClient.at(client, task)
    store = open_store(storage)
    spec = fetch_spec(store, alliance.config().spec_hash)
    dataset = load_dataset(spec.dataset, path=data)
    with exclusive(state_dir):
        node = Participant(
            alliance,
            store,
            account,
            dataset,
            state_dir,
            strategy,
            test_fraction=test_fraction,
            start_at=start_at,
        )
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        node.run(
            poll_s=poll_s,
            should_stop=None if deadline is None else (lambda: time.monotonic() > deadline),
            retry_for_s=retry_for_s,
        )
    info = alliance.participant_info(account.address)
    balance = alliance.token.balance_of(account.address)
    return {
        "address": account.address,
        "task": alliance.address,
        "status": alliance.status().name,
        "stake": info.stake,
        "claimable": info.claimable,
        "withdrawn": info.withdrawn,
        "ejected": alliance.is_ejected(account.address),
        "token_balance": balance,
        "token_balance_fml": in_tokens(balance),
    }
