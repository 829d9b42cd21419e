"""An IPFS backend speaking the Kubo HTTP RPC API (`/api/v0/...`) with `requests`.

Why `block/put` and not `add`: `ipfs add` wraps content in a UnixFS DAG whose root CID depends
on the chunker once a blob spans more than one chunk, so it would not equal our CID. A blob
put as a single raw block (`cid-codec=raw&mhtype=sha2-256`) has exactly the CID that
`fedledger.storage.cid.cid_for` computes, for every size, and `block/get` returns it byte
for byte. The price: Kubo refuses blocks over 1 MiB unless `allow-big-block=true`, and such
big blocks are stored and served by this node but are NOT transferable to other peers over
standard bitswap. Blobs over 1 MiB therefore have to be read through the node they were put
to (or one that fetched them by other means); keep models small or point all participants
at a shared node / pinning service.

Every read is verified against the CID (`BlobStore.get`), so a misbehaving node or peer
cannot hand us wrong bytes. The request-building and response-checking helpers are pure
functions so they are testable without a node.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from multiformats import CID

from fedledger.core.errors import ConfigError, IntegrityError, StorageError
from fedledger.storage.base import BlobNotFoundError, BlobStore, check_size, not_found
from fedledger.storage.cid import InvalidCidError, parse_cid

API_PREFIX = "/api/v0"
SOFT_BLOCK_LIMIT = 1 << 20
"""Kubo refuses blocks larger than this (1 MiB) unless `allow-big-block=true` is passed."""
DEFAULT_TIMEOUT_S = 60.0
_CHUNK = 1 << 16


def normalise_base_url(url: str) -> str:
    """Check an RPC address like `http://127.0.0.1:5001` and return it without a trailing `/` or `/api/v0`."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"not a Kubo RPC address: {url!r}; expected e.g. 'http://127.0.0.1:5001'"
        )
    path = parts.path.rstrip("/")
    if path.endswith(API_PREFIX):
        path = path[: -len(API_PREFIX)]
    return f"{parts.scheme}://{parts.netloc}{path}"


def rpc_url(base_url: str, command: str) -> str:
    """Full URL of an RPC command, e.g. `rpc_url(base, "block/put")`."""
    return f"{base_url}{API_PREFIX}/{command}"


def block_put_params(size: int, *, pin: bool) -> dict[str, str]:
    """Query for `block/put` so Kubo derives the same CIDv1/raw/sha2-256 id as we do."""
    params = {"cid-codec": "raw", "mhtype": "sha2-256", "mhlen": "32", "pin": str(pin).lower()}
    if size > SOFT_BLOCK_LIMIT:
        params["allow-big-block"] = "true"
    return params


def arg_params(cid: CID, **extra: str) -> dict[str, str]:
    """Query for commands that take one CID argument (`block/get`, `block/stat`, `pin/add`)."""
    return {"arg": str(cid), **extra}


def check_put_response(payload: Mapping[str, Any], expected: CID) -> None:
    """Raise `IntegrityError` unless the node reports storing exactly `expected`."""
    key = payload.get("Key")
    if not isinstance(key, str):
        raise StorageError(f"IPFS node answered block/put without a 'Key': {dict(payload)!r}")
    try:
        got = parse_cid(key)
    except InvalidCidError as exc:
        raise IntegrityError(f"IPFS node stored blob {expected} under an unexpected id: {exc}") from exc
    if got != expected:
        raise IntegrityError(
            f"IPFS node stored blob {expected} under {got}; the node's hashing differs from ours, "
            "so it cannot serve this blob by its id"
        )


def read_limited(chunks: Iterable[bytes], cid: CID, max_blob_bytes: int | None) -> bytes:
    """Join response chunks, stopping with `StorageError` as soon as they pass the limit."""
    buf = bytearray()
    for chunk in chunks:
        buf += chunk
        check_size(len(buf), max_blob_bytes, f"blob {cid} (read so far)")
    return bytes(buf)


def kubo_error_message(body: bytes) -> str:
    """Kubo reports errors as JSON `{"Message": ..., "Code": ..., "Type": "error"}`; extract the text."""
    try:
        payload = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        return body.decode("utf-8", "replace").strip()[:500]
    if isinstance(payload, dict) and isinstance(payload.get("Message"), str):
        return str(payload["Message"])
    return str(payload)[:500]


def is_not_found(message: str) -> bool:
    """Whether a Kubo error message means the block is absent (wording differs across versions)."""
    lowered = message.lower()
    return "not found" in lowered or "no such" in lowered or "could not find" in lowered


class KuboStore(BlobStore):
    """Blobs as raw blocks on a Kubo node, pinned so its garbage collector keeps them."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        pin: bool = True,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = normalise_base_url(base_url)
        self.timeout_s = timeout_s
        self.pin_blobs = pin
        self._session = session or requests.Session()

    def __repr__(self) -> str:
        return f"KuboStore({self.base_url!r})"

    def _post(self, command: str, params: Mapping[str, str], cid: CID, **kwargs: Any) -> requests.Response:
        """POST an RPC command (Kubo refuses GET); map transport and RPC failures to `StorageError`."""
        url = rpc_url(self.base_url, command)
        try:
            resp = self._session.post(url, params=dict(params), timeout=self.timeout_s, **kwargs)
        except requests.Timeout as exc:
            raise StorageError(
                f"IPFS node at {self.base_url} did not answer {command} for blob {cid} within "
                f"{self.timeout_s:g}s (the blob may not be reachable on the network)"
            ) from exc
        except requests.RequestException as exc:
            raise StorageError(
                f"cannot reach the IPFS node at {self.base_url} ({exc}); is `ipfs daemon` "
                "running and is --storage its RPC address (default port 5001)?"
            ) from exc
        if resp.status_code != 200:
            message = kubo_error_message(resp.content)
            resp.close()
            if is_not_found(message):
                raise not_found(cid, f"IPFS node {self.base_url}")
            raise StorageError(
                f"IPFS node at {self.base_url} refused {command} for blob {cid}: "
                f"HTTP {resp.status_code}: {message}"
            )
        return resp

    def _store(self, cid: CID, data: bytes) -> None:
        resp = self._post(
            "block/put",
            block_put_params(len(data), pin=self.pin_blobs),
            cid,
            files={"file": ("blob", data, "application/octet-stream")},
        )
        try:
            payload = resp.json()
        except ValueError as exc:
            raise StorageError(f"IPFS node answered block/put for {cid} with non-JSON: {resp.text[:200]!r}") from exc
        check_put_response(payload, cid)
        if self.pin_blobs:
            self.pin(cid)

    def pin(self, cid: CID | str) -> None:
        """Pin a blob on the node so garbage collection keeps it (`/api/v0/pin/add`)."""
        parsed = parse_cid(cid)
        self._post("pin/add", arg_params(parsed), parsed).close()

    def _load(self, cid: CID, max_blob_bytes: int | None) -> bytes:
        resp = self._post("block/get", arg_params(cid), cid, stream=True)
        with resp:
            declared = resp.headers.get("X-Content-Length") or resp.headers.get("Content-Length")
            if declared is not None and declared.isdigit():
                check_size(int(declared), max_blob_bytes, f"blob {cid}")
            try:
                return read_limited(resp.iter_content(_CHUNK), cid, max_blob_bytes)
            except requests.RequestException as exc:
                raise StorageError(f"reading blob {cid} from {self.base_url} failed: {exc}") from exc

    def _contains(self, cid: CID) -> bool:
        # offline=true: ask only the node's own blockstore; otherwise Kubo searches the network.
        try:
            self._post("block/stat", arg_params(cid, offline="true"), cid).close()
        except BlobNotFoundError:
            return False
        return True
