"""The node's crash-safe vote record: written atomically, read back identically."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedledger.core.errors import ConfigError
from fedledger.node.state import NodeState, VoteRecord, atomic_write_bytes, exclusive

TASK = "0x00000000000000000000000000000000000000Aa"


def test_vote_record_round_trips_through_a_new_state_object(tmp_path: Path) -> None:
    record = VoteRecord(round=3, bitmap=0b101, aggregate_hash=bytes(range(32)), salt=b"\x07" * 32)
    NodeState(tmp_path, TASK).save_vote(record)
    # a fresh object on the same dir = a restarted process
    again = NodeState(tmp_path, TASK).load_vote(3)
    assert again == record
    assert NodeState(tmp_path, TASK).load_vote(4) is None


def test_atomic_write_leaves_no_temp_files_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "f.json"
    atomic_write_bytes(target, b"one")
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["f.json"]


def test_corrupt_vote_record_is_a_clear_error(tmp_path: Path) -> None:
    state = NodeState(tmp_path, TASK)
    (state.dir / "vote-1.json").write_text("{not json")
    with pytest.raises(ConfigError, match="vote record .* unreadable"):
        state.load_vote(1)


def test_state_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ConfigError, match="not a directory"):
        NodeState(f, TASK)


def test_a_state_dir_keeps_one_accounts_votes(tmp_path: Path) -> None:
    alice, bob = "0x" + "a1" * 20, "0x" + "b2" * 20
    NodeState(tmp_path, TASK, owner=alice).save_vote(VoteRecord(0, 1, b"\x01" * 32, b"\x02" * 32))
    assert NodeState(tmp_path, TASK, owner=alice.upper().replace("0X", "0x")).load_vote(0) is not None  # same account
    with pytest.raises(ConfigError, match="keeps the votes of .* give each node its own --state-dir"):
        NodeState(tmp_path, TASK, owner=bob)
    NodeState(tmp_path / "other", TASK, owner=bob)  # its own dir is fine


def test_a_state_dir_is_held_by_one_running_node(tmp_path: Path) -> None:
    with exclusive(tmp_path):
        with pytest.raises(ConfigError, match="in use by another running node"):
            with exclusive(tmp_path):
                pass
    with exclusive(tmp_path):  # released when the first node stopped
        pass
