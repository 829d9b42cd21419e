"""One behaviour suite every `BlobStore` backend must pass (imported by the backend test modules)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fedledger.core.errors import StorageError
from fedledger.storage import BlobNotFoundError, BlobStore, InvalidCidError, cid_for


class BlobStoreBehaviour:
    """Subclasses provide a `store` fixture yielding a fresh, empty backend."""

    def test_round_trip(self, store: BlobStore) -> None:
        data = b"weights" * 1000
        cid = store.put(data)
        assert store.get(cid) == data
        assert store.get(str(cid)) == data

    def test_empty_blob_round_trip(self, store: BlobStore) -> None:
        cid = store.put(b"")
        assert store.get(cid) == b""

    def test_put_returns_content_cid(self, store: BlobStore) -> None:
        data = b"spec json"
        cid = store.put(data)
        assert cid == cid_for(data)
        assert str(cid).startswith("bafkrei")
        assert bytes(cid.raw_digest) == hashlib.sha256(data).digest()

    def test_put_is_idempotent(self, store: BlobStore) -> None:
        first = store.put(b"same")
        second = store.put(bytearray(b"same"))
        assert first == second
        assert store.get(first) == b"same"

    def test_has_and_contains(self, store: BlobStore) -> None:
        cid = cid_for(b"not yet")
        assert not store.has(cid)
        assert str(cid) not in store
        store.put(b"not yet")
        assert store.has(cid)
        assert cid in store

    def test_missing_blob_names_the_cid(self, store: BlobStore) -> None:
        cid = cid_for(b"never stored")
        with pytest.raises(BlobNotFoundError, match=str(cid)) as info:
            store.get(cid)
        assert isinstance(info.value, StorageError)

    def test_oversize_put_is_refused_and_nothing_stored(self, store: BlobStore) -> None:
        data = b"x" * 101
        with pytest.raises(StorageError, match="over the limit of 100 bytes"):
            store.put(data, max_blob_bytes=100)
        assert not store.has(cid_for(data))
        with pytest.raises(BlobNotFoundError):
            store.get(cid_for(data))

    def test_size_limit_is_inclusive(self, store: BlobStore) -> None:
        data = b"y" * 100
        cid = store.put(data, max_blob_bytes=100)
        assert store.get(cid, max_blob_bytes=100) == data

    def test_get_refuses_blob_over_limit(self, store: BlobStore) -> None:
        cid = store.put(b"z" * 500)
        with pytest.raises(StorageError, match="over the limit"):
            store.get(cid, max_blob_bytes=499)

    def test_negative_limit_is_refused(self, store: BlobStore) -> None:
        with pytest.raises(StorageError, match="max_blob_bytes must be >= 0"):
            store.put(b"a", max_blob_bytes=-1)

    def test_non_bytes_put_is_refused(self, store: BlobStore) -> None:
        with pytest.raises(StorageError, match="blobs are bytes"):
            store.put("text")  # type: ignore[arg-type]

    @pytest.mark.parametrize("bad", ["", "nonsense", "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"])
    def test_invalid_cid_is_refused(self, store: BlobStore, bad: str) -> None:
        with pytest.raises(InvalidCidError):
            store.get(bad)

    def test_round_trip_property(self, store: BlobStore) -> None:
        # The property is defined per call so one store serves all examples and each backend
        # class gets its own hypothesis run.
        @settings(max_examples=40, deadline=None)
        @given(data=st.binary(max_size=4096))
        def round_trip(data: bytes) -> None:
            cid = store.put(data)
            assert cid == cid_for(data)
            assert store.get(cid) == data

        round_trip()
