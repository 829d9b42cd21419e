"""open_store: the --storage string picks the backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedledger.core.errors import ConfigError
from fedledger.storage import KuboStore, LocalStore, default_store_path, open_store


def test_none_and_empty_give_default_local_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEDLEDGER_HOME", str(tmp_path / "home"))
    assert default_store_path() == tmp_path / "home" / "blobs"
    for arg in (None, "", "  "):
        store = open_store(arg)
        assert isinstance(store, LocalStore)
        assert store.root == tmp_path / "home" / "blobs"
        assert store.root.is_dir()


def test_path_and_file_url(tmp_path: Path) -> None:
    a = open_store(str(tmp_path / "a"))
    b = open_store(tmp_path / "b")
    c = open_store(f"file://{tmp_path}/c")
    assert [type(s) for s in (a, b, c)] == [LocalStore] * 3
    assert [s.root for s in (a, b, c)] == [tmp_path / "a", tmp_path / "b", tmp_path / "c"]  # type: ignore[attr-defined]
    cid = a.put(b"shared")
    assert open_store(str(tmp_path / "a")).get(cid) == b"shared"


def test_http_gives_kubo() -> None:
    store = open_store("http://127.0.0.1:5001/")
    assert isinstance(store, KuboStore)
    assert store.base_url == "http://127.0.0.1:5001"


@pytest.mark.parametrize("bad", ["s3://bucket/key", "file://otherhost/path", "ipfs://bafk"])
def test_unsupported_urls(bad: str) -> None:
    with pytest.raises(ConfigError):
        open_store(bad)
