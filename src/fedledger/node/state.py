"""Crash-safe local state of one participant node.

The chain is the source of truth; this directory is only a cache of what the node cannot
recover from the chain: the *secret* part of a vote commitment (bitmap, aggregate hash,
salt). Those must survive a crash between `commitVote` and `revealVote`, otherwise the node
could never reveal and would be slashed as absent. So a vote record is written atomically
(temp file, fsync, rename, fsync of the directory) **before** the commit transaction is sent;
on restart the node reveals from it.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from fedledger.core.errors import ConfigError


@dataclass(frozen=True)
class VoteRecord:
    """What a voter committed to in one round; enough to reveal after a restart."""

    round: int
    bitmap: int
    aggregate_hash: bytes
    salt: bytes

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["aggregate_hash"] = self.aggregate_hash.hex()
        data["salt"] = self.salt.hex()
        return data

    @classmethod
    def from_json(cls, data: dict[str, object]) -> "VoteRecord":
        return cls(
            round=int(data["round"]),  # type: ignore[arg-type]
            bitmap=int(data["bitmap"]),  # type: ignore[arg-type]
            aggregate_hash=bytes.fromhex(str(data["aggregate_hash"])),
            salt=bytes.fromhex(str(data["salt"])),
        )


def atomic_write_bytes(path: Path, data: bytes, durable: bool = True) -> None:
    """Write `data` to `path` so that a crash leaves either the old or the new file, whole.

    Temp file in the same directory, fsync, `os.replace`, then fsync the directory so the
    rename itself is durable. `durable=False` skips both fsyncs (still atomic, but a power
    loss may forget the write): for caches the node can recompute.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    if not durable:
        return
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class NodeState:
    """The state directory of one node on one task.

    Layout: `<root>/<task address>/vote-<round>.json`, plus `owner` (the account it belongs
    to). Keeping one file per round makes each write independent (no read-modify-write of a
    shared file).
    """

    def __init__(self, root: Path | str, task_address: str, owner: str | None = None) -> None:
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise ConfigError(f"state dir {self.root} exists and is not a directory; pass a directory path")
        self.dir = self.root / task_address.lower()
        self.dir.mkdir(parents=True, exist_ok=True)
        if owner is not None:
            self._claim(owner)

    def _claim(self, owner: str) -> None:
        """Bind the directory to the account whose votes it keeps. Two nodes sharing one would
        read each other's commit salts and update CIDs (a reveal that cannot match its
        commitment, another proposer's update submitted as one's own), so a second account
        is refused."""
        path = self.dir / "owner"
        if path.exists():
            recorded = path.read_text().strip()
            if recorded.lower() != owner.lower():
                raise ConfigError(
                    f"state dir {self.dir} keeps the votes of {recorded}, not of {owner}: "
                    "give each node its own --state-dir"
                )
            return
        atomic_write_bytes(path, owner.encode())

    def _vote_path(self, round_index: int) -> Path:
        return self.dir / f"vote-{round_index}.json"

    def save_vote(self, record: VoteRecord) -> None:
        """Durably record a vote; call this before sending the commitment."""
        atomic_write_bytes(self._vote_path(record.round), json.dumps(record.to_json(), sort_keys=True).encode())

    def load_vote(self, round_index: int) -> VoteRecord | None:
        """The vote recorded for `round_index`, or None if this node never prepared one."""
        path = self._vote_path(round_index)
        if not path.exists():
            return None
        try:
            return VoteRecord.from_json(json.loads(path.read_text()))
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                f"vote record {path} is unreadable ({exc}); it was not written by this node version "
                "or was edited by hand; remove it only if the vote was never committed"
            ) from exc

    def discard_vote(self, round_index: int) -> None:
        """Set aside the vote recorded for `round_index` (kept as `vote-<round>.orphan.json`)
        when it turns out not to be the one committed on-chain, so it is never revealed."""
        path = self._vote_path(round_index)
        if path.exists():
            os.replace(path, path.with_suffix(".orphan.json"))

    def save_blob_cid(self, name: str, cid: str) -> None:
        """Remember a CID we published (e.g. our update), to avoid recomputing after a restart.

        Not fsynced: losing it only costs recomputing the update, and local training is
        seeded, so the recomputed update (and its CID) is the same."""
        atomic_write_bytes(self.dir / f"{name}.cid", cid.encode(), durable=False)

    def load_blob_cid(self, name: str) -> str | None:
        path = self.dir / f"{name}.cid"
        return path.read_text().strip() if path.exists() else None


@contextmanager
def exclusive(state_dir: Path | str) -> Iterator[None]:
    """Hold `state_dir` for one running node process (an advisory `flock` on `.lock`, released
    when the process ends, even by a crash); a second node started on it is refused."""
    path = Path(state_dir)
    path.mkdir(parents=True, exist_ok=True)
    with open(path / ".lock", "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(
                f"state dir {path} is in use by another running node; give each node its own --state-dir"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
