"""Encrypted key files (Ethereum keystore JSON v3, scrypt + AES-128-CTR) for node identities.

A private key is never printed or logged: errors name the file, never its content, and
`SafeAccount` is a wrapper whose repr shows only the address.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes

from fedledger.core.errors import ConfigError, ValidationError

#: scrypt work factor; eth-account's default (2**18) takes ~1 s, fine for a node's one key.
DEFAULT_KDF_ITERATIONS: int | None = None


class SafeAccount:
    """A `LocalAccount` holder that never shows its key in repr/str/logs."""

    __slots__ = ("_account",)

    def __init__(self, account: LocalAccount) -> None:
        self._account = account

    @property
    def address(self) -> str:
        return str(self._account.address)

    @property
    def account(self) -> LocalAccount:
        """The signer itself, to pass to `ChainClient.transact` and friends."""
        return self._account

    def __repr__(self) -> str:
        return f"SafeAccount({self.address})"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("SafeAccount holds a private key and refuses to be pickled")


def create_keystore(
    path: Path | str,
    password: str,
    private_key: bytes | str | None = None,
    *,
    overwrite: bool = False,
    iterations: int | None = DEFAULT_KDF_ITERATIONS,
) -> str:
    """Encrypt `private_key` (a new random one if None) into `path` (mode 0600); return its address."""
    target = Path(path)
    if not password:
        raise ValidationError("a keystore needs a non-empty password")
    if target.exists() and not overwrite:
        raise ConfigError(f"keystore {target} already exists; choose another path (replacing it would lose the key it holds)")
    if private_key is None:
        account: LocalAccount = Account.create()
    else:
        try:
            account = Account.from_key(HexBytes(private_key) if isinstance(private_key, str) else private_key)
        except (ValueError, TypeError) as exc:
            raise ValidationError("the private key is not a valid 32-byte secp256k1 key") from exc
    encrypted = Account.encrypt(account.key, password, iterations=iterations)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(encrypted, handle)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return str(account.address)


def load_keystore(path: Path | str, password: str) -> LocalAccount:
    """Decrypt the keystore at `path`; a wrong password or broken file is a `ConfigError`."""
    source = Path(path)
    try:
        keyfile = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"keystore {source} does not exist; create one with `fedledger keys new {source}`") from exc
    except (OSError, ValueError) as exc:
        raise ConfigError(f"keystore {source} is unreadable or not JSON ({type(exc).__name__})") from exc
    mode = source.stat().st_mode & 0o077
    if mode:
        raise ConfigError(f"keystore {source} is readable by other users (mode {oct(source.stat().st_mode & 0o777)}); run chmod 600 on it")
    try:
        key = Account.decrypt(keyfile, password)
    except ValueError as exc:
        # eth-account raises ValueError("MAC mismatch") for a wrong password.
        raise ConfigError(f"cannot decrypt keystore {source}: wrong password or corrupted file") from exc
    except (KeyError, TypeError, NotImplementedError) as exc:
        raise ConfigError(f"keystore {source} is not a valid Ethereum keystore (v3 JSON)") from exc
    return Account.from_key(key)
