"""Encrypted keystores: round trip, wrong password, file permissions, no key in reprs."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from eth_account import Account

from fedledger.chain.keystore import SafeAccount, create_keystore, load_keystore
from fedledger.core.errors import ConfigError, ValidationError

FAST = 2**4  # scrypt work factor for tests only


def test_round_trip_with_given_key(tmp_path: Path) -> None:
    account = Account.create()
    path = tmp_path / "keys" / "node.json"
    address = create_keystore(path, "s3cret", account.key, iterations=FAST)
    assert address == account.address
    loaded = load_keystore(path, "s3cret")
    assert loaded.address == account.address and loaded.key == account.key
    assert account.key.hex() not in path.read_text()
    assert json.loads(path.read_text())["crypto"]["kdf"] == "scrypt"


def test_new_key_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    address = create_keystore(path, "pw", iterations=FAST)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_keystore(path, "pw").address == address
    with pytest.raises(ConfigError, match="already exists"):
        create_keystore(path, "pw", iterations=FAST)


def test_wrong_password_is_config_error(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    create_keystore(path, "right", iterations=FAST)
    with pytest.raises(ConfigError, match="wrong password"):
        load_keystore(path, "wrong")


def test_bad_files_and_inputs(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_keystore(tmp_path / "missing.json", "pw")
    junk = tmp_path / "junk.json"
    junk.write_text("not json")
    junk.chmod(0o600)
    with pytest.raises(ConfigError, match="not JSON"):
        load_keystore(junk, "pw")
    wide = tmp_path / "wide.json"
    create_keystore(wide, "pw", iterations=FAST)
    wide.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_keystore(wide, "pw")
    with pytest.raises(ValidationError):
        create_keystore(tmp_path / "e.json", "", iterations=FAST)
    with pytest.raises(ValidationError):
        create_keystore(tmp_path / "b.json", "pw", b"\x00" * 5, iterations=FAST)


def test_safe_account_never_shows_key() -> None:
    account = Account.create()
    safe = SafeAccount(account)
    key_hex = account.key.hex()
    assert key_hex not in repr(safe) and key_hex not in str(safe)
    assert account.address in repr(safe)
    assert safe.account is account
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(safe)
