"""KuboStore's pure parts: request building, response checking, error mapping.

NOT a test of IPFS behaviour: no Kubo node can be installed here (see test_storage_backends.py
for the behaviour suite that runs against a real node when one is given). These tests pin
down what we send and how we judge what comes back, without pretending to be a node.
"""

from __future__ import annotations

import json
import socket

import pytest

from fedledger.core.errors import ConfigError, IntegrityError, StorageError
from fedledger.storage import KuboStore, cid_for
from fedledger.storage.kubo import (
    SOFT_BLOCK_LIMIT,
    arg_params,
    block_put_params,
    check_put_response,
    is_not_found,
    kubo_error_message,
    normalise_base_url,
    read_limited,
    rpc_url,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://127.0.0.1:5001", "http://127.0.0.1:5001"),
        ("http://127.0.0.1:5001/", "http://127.0.0.1:5001"),
        ("http://127.0.0.1:5001/api/v0", "http://127.0.0.1:5001"),
        ("https://ipfs.example.org/prefix/api/v0/", "https://ipfs.example.org/prefix"),
    ],
)
def test_normalise_base_url(given: str, expected: str) -> None:
    assert normalise_base_url(given) == expected


@pytest.mark.parametrize("bad", ["127.0.0.1:5001", "ftp://host", "http://", "/ip4/127.0.0.1/tcp/5001"])
def test_bad_rpc_address_is_a_config_error(bad: str) -> None:
    with pytest.raises(ConfigError, match="Kubo RPC address"):
        KuboStore(bad)


def test_rpc_url() -> None:
    assert rpc_url("http://h:5001", "block/put") == "http://h:5001/api/v0/block/put"


def test_block_put_params_ask_for_our_cid_kind() -> None:
    params = block_put_params(10, pin=True)
    assert params == {"cid-codec": "raw", "mhtype": "sha2-256", "mhlen": "32", "pin": "true"}
    assert block_put_params(SOFT_BLOCK_LIMIT, pin=False)["pin"] == "false"
    assert "allow-big-block" not in block_put_params(SOFT_BLOCK_LIMIT, pin=True)
    assert block_put_params(SOFT_BLOCK_LIMIT + 1, pin=True)["allow-big-block"] == "true"


def test_arg_params() -> None:
    cid = cid_for(b"a")
    assert arg_params(cid) == {"arg": str(cid)}
    assert arg_params(cid, offline="true") == {"arg": str(cid), "offline": "true"}


def test_put_response_must_name_our_cid() -> None:
    cid = cid_for(b"blob")
    check_put_response({"Key": str(cid), "Size": 4}, cid)
    check_put_response({"Key": cid.encode("base58btc"), "Size": 4}, cid)  # same CID, other base
    other = cid_for(b"other")
    with pytest.raises(IntegrityError, match=str(other)):
        check_put_response({"Key": str(other), "Size": 5}, cid)
    with pytest.raises(IntegrityError, match="unexpected id"):
        check_put_response({"Key": "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"}, cid)
    with pytest.raises(StorageError, match="without a 'Key'"):
        check_put_response({"Message": "?"}, cid)


def test_read_limited_stops_past_limit() -> None:
    cid = cid_for(b"x")
    assert read_limited([b"ab", b"cd"], cid, 4) == b"abcd"
    assert read_limited([b"ab", b"cd"], cid, None) == b"abcd"

    def endless() -> object:
        while True:
            yield b"0" * 1024

    with pytest.raises(StorageError, match="over the limit of 4096"):
        read_limited(endless(), cid, 4096)  # type: ignore[arg-type]


def test_kubo_error_message() -> None:
    body = json.dumps({"Message": "block was not found locally (offline): ipld: could not find bafk", "Code": 0, "Type": "error"})
    message = kubo_error_message(body.encode())
    assert message.startswith("block was not found")
    assert is_not_found(message)
    assert kubo_error_message(b"404 page not found\n") == "404 page not found"
    assert not is_not_found("context deadline exceeded")


def test_unreachable_node_is_a_clear_storage_error() -> None:
    with socket.socket() as sock:  # find a port with nothing listening on it
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = KuboStore(f"http://127.0.0.1:{port}", timeout_s=5)
    with pytest.raises(StorageError, match="cannot reach the IPFS node"):
        store.get(cid_for(b"anything"))
    with pytest.raises(StorageError, match="is `ipfs daemon` running"):
        store.put(b"anything")
