"""Which key signs a command: an encrypted keystore, or (dev chains only) a node's dev account."""

from __future__ import annotations

from pathlib import Path

from eth_account.signers.local import LocalAccount

from fedledger.chain.client import ChainClient
from fedledger.chain.keystore import load_keystore
from fedledger.cli.options import read_password
from fedledger.core.errors import ConfigError


def signer(client: ChainClient, keystore: Path | None, password_file: Path | None, dev_account: int | None) -> LocalAccount:
    """The account to sign with; exactly one of `keystore` and `dev_account` must be given."""
    if (keystore is None) == (dev_account is None):
        raise ConfigError("pass exactly one of --keystore (with --password-file) or --dev-account N (dev chains)")
    if keystore is not None:
        return load_keystore(keystore, read_password(password_file))
    accounts = client.dev_accounts()
    if not 0 <= int(dev_account) < len(accounts):  # type: ignore[arg-type]
        raise ConfigError(f"--dev-account must be in 0..{len(accounts) - 1}")
    return accounts[int(dev_account)]  # type: ignore[arg-type]
