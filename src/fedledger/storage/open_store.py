"""Choose a backend from one string, as the CLI's `--storage` flag gives it."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from fedledger.core.errors import ConfigError
from fedledger.storage.base import BlobStore
from fedledger.storage.kubo import KuboStore
from fedledger.storage.local import LocalStore

HOME_ENV = "FEDLEDGER_HOME"


def default_store_path() -> Path:
    """`$FEDLEDGER_HOME/blobs`, or `~/.fedledger/blobs` when the variable is unset."""
    home = os.environ.get(HOME_ENV)
    base = Path(home).expanduser() if home else Path.home() / ".fedledger"
    return base / "blobs"


def open_store(url_or_path: str | os.PathLike[str] | None) -> BlobStore:
    """Open a blob store.

    - `None` or `""`: the local store at `default_store_path()`;
    - a filesystem path or `file:///path`: a local store there;
    - `http://host:port` or `https://...`: a Kubo node's RPC API.
    """
    if url_or_path is None:
        return LocalStore(default_store_path())
    if isinstance(url_or_path, os.PathLike):
        return LocalStore(Path(url_or_path))
    text = url_or_path.strip()
    if not text:
        return LocalStore(default_store_path())
    scheme = urlsplit(text).scheme.lower()
    if scheme in ("http", "https"):
        return KuboStore(text)
    if scheme == "file":
        parts = urlsplit(text)
        if parts.netloc not in ("", "localhost"):
            raise ConfigError(f"file URL {text!r} names a remote host; use file:///absolute/path")
        return LocalStore(Path(unquote(parts.path)))
    if "://" in text:
        raise ConfigError(
            f"unsupported storage URL {text!r}: use a directory path, file:///path, or a Kubo "
            "RPC address like http://127.0.0.1:5001"
        )
    return LocalStore(Path(text))
