"""`ChainClient`: one interface over the in-process EVM and any JSON-RPC node.

Why not plain `contract.functions.f().transact()`? That asks the node to sign (so the key
lives in the node), estimates gas, fetches fees and a nonce and then polls for a receipt,
all per transaction. Here transactions are signed locally with eth-account, nonces are
tracked per sender so many can be in flight, fees are cached briefly, gas is estimated only
when not given, and receipts are collected in bulk. Every revert - from a gas estimate, an
`eth_call` or a mined failed transaction - becomes a `RevertError` naming the contract's
custom error, its arguments and its NatSpec notice.
"""

from __future__ import annotations

import copy
import functools
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, TypeVar, cast
from urllib.parse import urlparse

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import (
    ContractLogicError,
    TimeExhausted,
    TransactionNotFound,
    Web3Exception,
    Web3RPCError,
    Web3ValidationError,
)
from eth_abi.exceptions import DecodingError
from eth_utils import to_canonical_address
from eth_utils.abi import event_abi_to_log_topic, get_abi_output_types
from web3._utils.abi import map_abi_data
from web3._utils.method_formatters import receipt_formatter
from web3._utils.normalizers import BASE_RETURN_NORMALIZERS
from web3.datastructures import AttributeDict
from web3.types import EventData, TxParams, TxReceipt

from fedledger.chain.artifacts import load_artifact
from fedledger.chain.backends import (
    EmbeddedFailure,
    EmbeddedViews,
    RawRevert,
    anvil_dev_accounts,
    embedded_dev_accounts,
    embedded_rejections,
    make_embedded_provider,
)
from fedledger.chain.errors import ErrorRegistry, artifact_error_registry
from fedledger.core.addresses import checksum as _checksum
from fedledger.core.errors import ChainError, ConfigError, RevertError, ValidationError

log = logging.getLogger(__name__)

GAS_MONEY_WEI = 10**18
"""What a fresh account gets for gas: 1 ETH pays for thousands of this project's transactions
at a dev chain's ~1 gwei, and a dev node's 10,000-ETH accounts then fund thousands of
simulated participants, run after run (1,000 ETH each drained one after ten)."""
LOG_WINDOW = 10_000
"""Most blocks one `eth_getLogs` request covers on a JSON-RPC node; hosted providers cap a
request's range or result count (often at 10,000 of either), and `events` halves the window
while a node refuses it."""
BUMP_AFTER_S = 30.0
"""A transaction not mined this long after it was sent to a JSON-RPC node is sent again with
the same nonce and higher fees (a base-fee spike can leave it under the block's base fee)."""
PENDING_KEPT = 4096
"""Sent-but-unconfirmed transactions remembered for replacement (the oldest go first)."""
_UNFUNDED = re.compile(r"insufficient funds|cannot afford txn gas", re.IGNORECASE)
"""How nodes (geth/anvil; eth-tester) refuse a sender that cannot pay for gas."""
#: Fees are re-read from the latest block at most this often (seconds).
FEE_CACHE_S = 1.0
#: Priority fee used on dev chains (the node's suggestion is used elsewhere).
DEV_PRIORITY_FEE_WEI = 10**9
#: Estimated gas is padded, because state can change between estimate and execution.
GAS_PAD_NUM, GAS_PAD_DEN, GAS_PAD_ADD = 6, 5, 10_000
DEV_CHAIN_IDS = frozenset({31337, 1337})
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
#: Raw transactions per JSON-RPC batch in `send_many`.
SEND_BATCH = 256
#: Embedded receipts fetched eagerly at send time and kept until `wait_all` (bounded).
EMBEDDED_RECEIPT_CACHE = 100_000
#: Caller of view calls that name none (views never read msg.sender's funds).
VIEW_CALLER = "0x0000000000000000000000000000000000000000"
#: Entries of the embedded chain's view cache before it is dropped wholesale.
VIEW_CACHE_SIZE = 4096


_MISS = object()
"""`_fast_view`'s "no answer" (None is a legitimate decoded value)."""


@dataclass
class _Unconfirmed:
    """A transaction sent to a JSON-RPC node whose receipt was not seen yet."""

    tx: dict[str, Any]
    """the fields it was last signed with (nonce included)"""
    sender: LocalAccount
    sent_at: float
    hashes: list[bytes]
    """the first hash, then each replacement's"""


def _raised(fee: int) -> int:
    """`fee` + 12.5 % (nodes accept a replacement only at +10 % on both fee fields)."""
    return fee + fee // 8 + 1


@dataclass
class ChainStats:
    """What this client's callers spent on the chain, cumulative: views (count and seconds,
    cache hits included) and transactions (count; seconds to estimate, sign, send and wait
    for the receipt). The overhead benchmark splits the protocol's chain time with it. Not
    locked: diagnostic counts, exact when one thread at a time uses the client (as the
    simulation does)."""

    views: int = 0
    view_s: float = 0.0
    transactions: int = 0
    transaction_s: float = 0.0

    def snapshot(self) -> ChainStats:
        return replace(self)

    def since(self, earlier: ChainStats) -> ChainStats:
        return ChainStats(
            self.views - earlier.views, self.view_s - earlier.view_s,
            self.transactions - earlier.transactions, self.transaction_s - earlier.transaction_s,
        )

    def add(self, other: ChainStats) -> None:
        self.views += other.views
        self.view_s += other.view_s
        self.transactions += other.transactions
        self.transaction_s += other.transaction_s


_Method = TypeVar("_Method", bound=Callable[..., Any])


def _charged_to_transactions(method: _Method) -> _Method:
    """Add the method's seconds to `stats.transaction_s` (estimating, sending and waiting are
    separate helpers; every way of transacting goes through them)."""

    @functools.wraps(method)
    def timed(self: ChainClient, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return method(self, *args, **kwargs)
        finally:
            self.stats.transaction_s += time.perf_counter() - start

    return cast(_Method, timed)


class ChainClient:
    """A connection to one chain plus the local signing, nonce and fee state for it."""

    def __init__(self, w3: Web3, *, is_embedded: bool, endpoint: str) -> None:
        self.w3 = w3
        self.is_embedded = is_embedded
        self.endpoint = endpoint
        self.chain_id: int = int(w3.eth.chain_id)
        self._lock = threading.RLock()
        self._nonces: dict[str, int] = {}
        self._fees: tuple[float, dict[str, int]] | None = None
        self._dev_accounts: list[LocalAccount] | None = None
        self._block_gas_limit: int | None = None
        self._view_cache: dict[tuple[Any, ...], Any] = {}
        self._default_caller: str | None = None
        self._receipt_cache: dict[bytes, TxReceipt] = {}
        self.log_window = LOG_WINDOW
        """blocks per `eth_getLogs` request on a JSON-RPC node; `events` narrows it when refused"""
        self.bump_after_s = BUMP_AFTER_S
        """seconds before an unmined transaction is replaced with higher fees (JSON-RPC nodes)"""
        self._unconfirmed: dict[bytes, _Unconfirmed] = {}
        self._first_blocks: dict[int, int] = {}
        self._rejections: tuple[type[Exception], ...] = embedded_rejections() if is_embedded else ()
        self._views: EmbeddedViews | None = EmbeddedViews(w3.provider) if is_embedded else None
        self.stats = ChainStats()

    # ------------------------------------------------------------------ construction
    @classmethod
    def embedded(cls, beacon_seed: int | None = None) -> ChainClient:
        """A fresh in-process chain (eth-tester over py-evm) that mines every tx at once.

        `beacon_seed` makes the chain's randomness (`prevrandao`) reproducible, so a seeded
        simulation draws the same roles every run; None draws it from the OS.
        """
        try:
            provider = make_embedded_provider(beacon_seed)
        except ImportError as exc:  # pragma: no cover - eth-tester is a declared dependency
            raise ConfigError("the embedded EVM needs eth-tester[py-evm]: pip install 'eth-tester[py-evm]'") from exc
        return cls(Web3(provider), is_embedded=True, endpoint="embedded")

    @classmethod
    def connect(cls, rpc_url: str, timeout_s: float = 30.0) -> ChainClient:
        """Connect to any JSON-RPC node over HTTP (anvil, geth, a testnet gateway)."""
        if not rpc_url.startswith(("http://", "https://")):
            raise ConfigError(f"RPC URL must start with http:// or https://, got {rpc_url!r}")
        session = requests.Session()
        if urlparse(rpc_url).hostname in LOOPBACK_HOSTS:
            # A local node is never behind a proxy; skipping the per-request proxy
            # environment lookup is a measurable share of a loopback round trip.
            session.trust_env = False
        w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": timeout_s}, session=session))
        try:
            return cls(w3, is_embedded=False, endpoint=rpc_url)
        except (requests.RequestException, OSError, Web3Exception) as exc:
            raise ChainError(
                f"cannot reach a JSON-RPC node at {rpc_url} ({type(exc).__name__}: {exc}); "
                "start one (e.g. `fedledger chain` or anvil) or fix --rpc-url"
            ) from exc

    def __repr__(self) -> str:
        return f"ChainClient(endpoint={self.endpoint!r}, chain_id={self.chain_id})"

    @property
    def errors(self) -> ErrorRegistry:
        """Custom errors of every compiled artifact, used to decode reverts."""
        return artifact_error_registry()

    # ------------------------------------------------------------------ accounts
    def dev_accounts(self) -> list[LocalAccount]:
        """Pre-funded accounts whose keys we know (eth-tester's, or anvil's default mnemonic)."""
        if self._dev_accounts is None:
            if self.is_embedded:
                accounts = embedded_dev_accounts(self.w3.provider)
            else:
                try:
                    listed = {a.lower() for a in self._rpc(lambda: self.w3.eth.accounts, "eth_accounts")}
                except ChainError:  # public nodes often refuse eth_accounts
                    listed = set()
                accounts = [a for a in anvil_dev_accounts() if a.address.lower() in listed]
            if not accounts:
                raise ChainError(
                    f"the node at {self.endpoint} has no dev accounts with known keys (only anvil/hardhat "
                    "started with the default mnemonic do); load a funded key with "
                    "fedledger.chain.keystore.load_keystore instead"
                )
            self._dev_accounts = list(accounts)
        return list(self._dev_accounts)

    def new_account(self, eth_wei: int = GAS_MONEY_WEI, funder: LocalAccount | None = None) -> LocalAccount:
        """A fresh random key, funded with `eth_wei` from `funder` (default: dev account 0)."""
        if eth_wei < 0:
            raise ValidationError(f"eth_wei must be >= 0, got {eth_wei}")
        account: LocalAccount = Account.create()
        if eth_wei:
            source = funder or self.dev_accounts()[0]
            self.wait_all([self.send_eth(account.address, eth_wei, source)])
        return account

    def balance(self, address: str) -> int:
        """ETH balance in wei."""
        return int(self._rpc(lambda: self.w3.eth.get_balance(_checksum(address)), "eth_getBalance"))

    # ------------------------------------------------------------------ contracts
    def deploy(self, artifact_name: str, *args: Any, sender: LocalAccount, gas: int | None = None) -> Contract:
        """Deploy the checked-in artifact `artifact_name` with constructor `args`; wait for it."""
        art = load_artifact(artifact_name)
        factory = self.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        try:
            data = factory.constructor(*args).data_in_transaction
        except (Web3ValidationError, TypeError, ValueError) as exc:
            raise ValidationError(f"bad constructor arguments for {artifact_name}: {exc}") from exc
        receipt = self._transact_data(None, HexBytes(data), sender, gas=gas, value=0)
        address = receipt["contractAddress"]
        if not address:
            raise ChainError(f"deploying {artifact_name} produced no contract address (tx {receipt['transactionHash'].hex()})")
        return self.w3.eth.contract(address=address, abi=art.abi)

    def contract_at(self, artifact_name: str, address: str) -> Contract:
        """A handle on an already deployed contract; fails if no code lives at `address`."""
        art = load_artifact(artifact_name)
        checksum = _checksum(address)
        code = self._rpc(lambda: self.w3.eth.get_code(checksum), "eth_getCode")
        if not code:
            raise ValidationError(f"no contract code at {checksum} on chain {self.chain_id}; wrong address or chain?")
        return self.w3.eth.contract(address=checksum, abi=art.abi)

    # ------------------------------------------------------------------ transactions
    def transact(self, fn: ContractFunction, sender: LocalAccount, gas: int | None = None, value: int = 0) -> TxReceipt:
        """Sign, send and wait; gas None -> estimate (a revert surfaces here, decoded)."""
        return self._transact_data(fn.address, _encode(fn), sender, gas=gas, value=value)

    def transact_data(
        self, to: str | None, data: bytes, sender: LocalAccount, gas: int | None = None, value: int = 0
    ) -> TxReceipt:
        """Like `transact` for raw calldata (`to` None -> contract creation with `data` as initcode)."""
        return self._transact_data(_checksum(to) if to else None, bytes(data), sender, gas=gas, value=value)

    def send(self, fn: ContractFunction, sender: LocalAccount, gas: int, value: int = 0) -> HexBytes:
        """Sign and send without waiting (nonce tracked locally); pair with `wait_all`."""
        return self._send_tx(fn.address, _encode(fn), sender, gas=gas, value=value)

    def send_many(self, fns: Sequence[ContractFunction], sender: LocalAccount, gas: int, value: int = 0) -> list[HexBytes]:
        """Sign all `fns` with consecutive nonces and submit them in JSON-RPC batches (no wait).

        One HTTP round trip per `SEND_BATCH` transactions instead of one each; on the
        embedded chain it is the same as calling `send` in a loop.
        """
        payloads = [(fn.address, _encode(fn)) for fn in fns]
        if self.is_embedded:
            return [self._send_tx(to, data, sender, gas=gas, value=value) for to, data in payloads]
        return self._send_batched(payloads, sender, gas, value)

    @_charged_to_transactions
    def _send_batched(self, payloads: list[tuple[str, bytes]], sender: LocalAccount, gas: int, value: int) -> list[HexBytes]:
        if gas <= 0:
            raise ValidationError(f"gas must be positive, got {gas}")
        hashes: list[HexBytes] = []
        fees = self._fee_fields()
        address = sender.address
        with self._lock:
            for start in range(0, len(payloads), SEND_BATCH):
                nonce = self._current_nonce(address)
                raws, txs = [], []
                for i, (to, data) in enumerate(payloads[start : start + SEND_BATCH]):
                    tx = {"chainId": self.chain_id, "gas": int(gas), "value": int(value), "data": data,
                          "to": to, "nonce": nonce + i, **fees}
                    txs.append(tx)
                    raws.append("0x" + bytes(sender.sign_transaction(tx).raw_transaction).hex())
                responses = self._batch_rpc([("eth_sendRawTransaction", [raw]) for raw in raws], "send_many")
                accepted = 0
                for tx, resp in zip(txs, responses):
                    if "error" in resp or not resp.get("result"):
                        self._nonces.pop(address, None)
                        raise ChainError(
                            f"node rejected transaction {len(hashes)} of {len(payloads)} in send_many "
                            f"(the {len(hashes)} before it were accepted and will be mined): {resp.get('error')}"
                        )
                    hashes.append(HexBytes(resp["result"]))
                    self._remember_unconfirmed(bytes(hashes[-1]), tx, sender)
                    accepted += 1
                    self.stats.transactions += 1
                self._nonces[address] = nonce + accepted
        return hashes

    def send_eth(self, to: str, wei: int, sender: LocalAccount) -> HexBytes:
        """Plain ETH transfer (21,000 gas); returns the hash without waiting."""
        if wei < 0:
            raise ValidationError(f"cannot send a negative amount of ETH ({wei} wei)")
        return self._send_tx(_checksum(to), b"", sender, gas=21_000, value=wei)

    def estimate_gas(self, fn: ContractFunction, sender: LocalAccount | str, value: int = 0) -> int:
        """The node's gas estimate for `fn` (unpadded); reverts are decoded."""
        frm = sender if isinstance(sender, str) else sender.address
        return self._estimate(fn.address, _encode(fn), _checksum(frm), value)

    def wait_all(self, tx_hashes: Sequence[HexBytes | bytes | str], timeout_s: float = 120.0) -> list[TxReceipt]:
        """Receipts of all `tx_hashes` in order; raises `RevertError` for the first failed one."""
        hashes = [HexBytes(h) for h in tx_hashes]
        receipts = self._collect_receipts(hashes, timeout_s)
        failed = [r for r in receipts if r["status"] != 1]
        if failed:
            err = self._explain_failure(failed[0])
            if len(failed) > 1:
                err.args = (f"{err.args[0]} (and {len(failed) - 1} more failed transaction(s) in this batch)",)
            raise err
        return receipts

    def call(self, fn: ContractFunction, sender: str | None = None, block: int | str = "latest") -> Any:
        """A read-only call; reverts become decoded `RevertError`s."""
        start = time.perf_counter()
        try:
            return self._call(fn, sender, block)
        finally:
            self.stats.views += 1
            self.stats.view_s += time.perf_counter() - start

    def _call(self, fn: ContractFunction, sender: str | None, block: int | str) -> Any:
        # An explicit `from` spares web3's eth-tester middleware a slow `eth_accounts` lookup.
        frm = _checksum(sender) if sender else self._view_caller()
        params: TxParams = {"from": frm}
        cacheable = self.is_embedded and block == "latest"
        if cacheable:
            # Only this client writes to its in-process chain, so a view's result stays valid
            # until this client sends a transaction or moves time; nodes poll views far more
            # often than they send, and each eth-tester call costs a full EVM execution.
            key = (fn.address, _encode(fn), frm)
            if key in self._view_cache:
                return copy.deepcopy(self._view_cache[key])
        result = self._fast_view(fn, frm) if block == "latest" else _MISS
        if result is _MISS:
            with self._decoding_reverts(f"call {fn.fn_name}"):
                result = fn.call(params, block_identifier=block)
        if cacheable:
            if len(self._view_cache) >= VIEW_CACHE_SIZE:
                self._view_cache.clear()
            self._view_cache[key] = copy.deepcopy(result)
        return result

    def _fast_view(self, fn: ContractFunction, frm: str) -> Any:
        """A view at "latest" without web3's request pipeline, decoded exactly as web3 decodes
        it (same codec, same return normalizers, one value unwrapped); `_MISS` if the fast path
        cannot answer (a revert, an RPC error, tuple decoding), so `fn.call` answers, errors
        included.

        Embedded: run straight on py-evm (`EmbeddedViews`). JSON-RPC: one raw `eth_call`
        through the HTTP provider. web3's manager wraps every request in its middleware onion
        and formatters (about 5 ms of Python per call against anvil's sub-millisecond answer).
        """
        if fn.decode_tuples:
            return _MISS
        data = _encode(fn)
        if self._views is not None:
            raw = self._views.call(to_canonical_address(fn.address), data, to_canonical_address(frm))
        else:
            text = self._raw_result("eth_call", [{"from": frm, "to": fn.address, "data": "0x" + data.hex()}, "latest"])
            raw = bytes.fromhex(text[2:]) if text is not None and len(text) % 2 == 0 else None
        if raw is None:
            return _MISS
        types = list(get_abi_output_types(fn.abi))
        try:
            decoded = self.w3.codec.decode(types, raw)
        except DecodingError:
            return _MISS
        normalized = map_abi_data([*BASE_RETURN_NORMALIZERS, *fn._return_data_normalizers], types, decoded)
        return normalized[0] if len(normalized) == 1 else normalized

    def _raw_result(self, method: str, params: list[Any]) -> str | None:
        """The hex `result` of one JSON-RPC request sent straight through the HTTP provider;
        None if the node answered with an error (the caller then takes web3's path, which
        raises the decoded error). Connection failures are `ChainError`s as usual."""
        provider = cast(HTTPProvider, self.w3.provider)
        response = self._rpc(lambda: provider.make_request(cast(Any, method), params), method)
        result = response.get("result") if isinstance(response, dict) else None
        if "error" in response or not isinstance(result, str) or not result.startswith("0x"):
            return None
        return result

    def _view_caller(self) -> str:
        """A funded address for calls that name no sender (eth-tester checks it can pay gas)."""
        if self._default_caller is None:
            self._default_caller = str(self.w3.eth.accounts[0]) if self.is_embedded else VIEW_CALLER
        return self._default_caller

    # ------------------------------------------------------------------ time and events
    def now(self) -> int:
        """Timestamp of the latest block (the chain's clock, not the wall clock)."""
        if self._views is not None:
            return self._views.latest_timestamp()
        provider = cast(HTTPProvider, self.w3.provider)
        response = self._rpc(lambda: provider.make_request(cast(Any, "eth_getBlockByNumber"), ["latest", False]), "eth_getBlockByNumber")
        block = response.get("result") if isinstance(response, dict) else None
        if isinstance(block, dict) and isinstance(block.get("timestamp"), str):
            return int(block["timestamp"], 16)
        return int(self._rpc(lambda: self.w3.eth.get_block("latest"), "eth_getBlockByNumber")["timestamp"])

    def advance_time(self, seconds: int) -> None:
        """Move the chain clock forward so the next block's timestamp is >= now + seconds."""
        if seconds < 0:
            raise ValidationError(f"cannot advance time by a negative amount ({seconds} s)")
        with self._lock:
            if self.is_embedded:
                tester = self.w3.provider.ethereum_tester  # type: ignore[attr-defined]
                target = self.now() + seconds
                pending = int(tester.get_block_by_number("pending")["timestamp"])
                if target >= pending:
                    # eth-tester mines the travelled-to block one second early.
                    tester.time_travel(target + 1)
                else:
                    tester.mine_blocks(1)
            else:
                try:
                    self.w3.provider.make_request("evm_increaseTime", [int(seconds)])  # type: ignore[arg-type]
                    self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
                except (Web3RPCError, requests.RequestException) as exc:
                    raise ChainError(
                        f"advance_time needs a dev node with evm_increaseTime/evm_mine (anvil, hardhat); "
                        f"{self.endpoint} refused: {exc}"
                    ) from exc
            self._fees = None
            self._view_cache.clear()

    def mine(self, blocks: int = 1) -> None:
        """Mine empty blocks (dev chains only)."""
        self._view_cache.clear()
        for _ in range(blocks):
            if self.is_embedded:
                self.w3.provider.ethereum_tester.mine_blocks(1)  # type: ignore[attr-defined]
            else:
                self._rpc(lambda: self.w3.provider.make_request("evm_mine", []), "evm_mine")  # type: ignore[arg-type]

    def block_number(self) -> int:
        return int(self._rpc(lambda: self.w3.eth.block_number, "eth_blockNumber"))

    def events(
        self,
        contract: Contract,
        event_name: str,
        from_block: int = 0,
        argument_filters: dict[str, Any] | None = None,
        to_block: int | str = "latest",
    ) -> list[EventData]:
        """Decoded logs of `event_name` emitted by `contract`, optionally filtered by indexed args.

        On a JSON-RPC node the range is read in windows of at most `LOG_WINDOW` blocks, and a
        window the node refuses (hosted providers cap a request's block range or result count)
        is halved until it passes; the narrower window is kept for later calls."""
        names = [item["name"] for item in contract.abi if item.get("type") == "event"]
        if event_name not in names:
            raise ValidationError(f"contract has no event {event_name!r}; its events: {', '.join(sorted(names))}")
        event = contract.events[event_name]()
        return self._windowed(
            lambda first, last: event.get_logs(from_block=first, to_block=last, argument_filters=argument_filters),
            from_block,
            to_block,
        )

    def logs(self, contracts: Sequence[Contract], from_block: int = 0, to_block: int | str = "latest") -> list[EventData]:
        """Every event the `contracts` emitted in the range, each decoded by its contract's ABI,
        in chain order: one `eth_getLogs` per window for all of them together (a dashboard
        that asked per contract and per event name sent hundreds of requests per block)."""
        decoders: dict[tuple[str, bytes], Any] = {}
        for contract in contracts:
            for item in contract.abi:
                if item.get("type") == "event" and not item.get("anonymous"):
                    topic = bytes(event_abi_to_log_topic(cast(Any, item)))
                    decoders[(str(contract.address), topic)] = contract.events[item["name"]]()
        addresses = sorted({str(c.address) for c in contracts})
        if not addresses:
            return []
        raw = self._windowed(
            lambda first, last: self.w3.eth.get_logs(
                {"fromBlock": first, "toBlock": last, "address": addresses}  # type: ignore[typeddict-item]
            ),
            from_block,
            to_block,
        )
        found = []
        for log_entry in raw:
            topics = log_entry.get("topics") or []
            decoder = decoders.get((to_checksum_address(log_entry["address"]), bytes(topics[0]))) if topics else None
            if decoder is not None:
                found.append(decoder.process_log(log_entry))
        return sorted(found, key=lambda ev: (int(ev["blockNumber"]), int(ev["logIndex"])))

    def _windowed(self, fetch: Callable[[int, int | str], Any], from_block: int, to_block: int | str) -> list[Any]:
        """`fetch(first, last)` over the range: in one request on the embedded chain, in windows
        of `log_window` blocks on a JSON-RPC node, a refused window halved until it passes."""
        if self.is_embedded:  # in-process: no provider limits
            return list(self._rpc(lambda: fetch(from_block, to_block), "eth_getLogs"))
        end = self._block_number_of(to_block)
        found: list[Any] = []
        start = from_block
        while start <= end:
            stop = min(end, start + self.log_window - 1)
            try:
                found += self._rpc(lambda: fetch(start, stop), "eth_getLogs")
            except ChainError as exc:
                if not isinstance(exc.__cause__, Web3RPCError) or stop == start:
                    raise
                self.log_window = max(1, (stop - start + 1) // 2)  # the node refused the range: narrow it
                continue
            start = stop + 1
        return found

    def _block_number_of(self, block: int | str) -> int:
        if isinstance(block, int):
            return block
        if block == "latest":
            return self.block_number()
        return int(self._rpc(lambda: self.w3.eth.get_block(block), "eth_getBlockByNumber")["number"])  # type: ignore[arg-type]

    def first_block_at(self, timestamp: int) -> int:
        """The lowest block number whose timestamp is >= `timestamp` (the latest block if none).

        Why: a contract records when it was created (`block.timestamp`), and reading its events
        from that block instead of the genesis keeps `eth_getLogs` to the contract's own lifetime
        on a long chain. A binary search, about log2(chain length) block headers, once per
        timestamp (block timestamps never decrease)."""
        if timestamp not in self._first_blocks:
            low, high = 0, self.block_number()
            while low < high:
                mid = (low + high) // 2
                stamp = int(self._rpc(lambda: self.w3.eth.get_block(mid)["timestamp"], "eth_getBlockByNumber"))
                if stamp >= timestamp:
                    high = mid
                else:
                    low = mid + 1
            self._first_blocks[timestamp] = low
        return self._first_blocks[timestamp]

    # ------------------------------------------------------------------ internals
    def _transact_data(
        self, to: str | None, data: bytes, sender: LocalAccount, *, gas: int | None, value: int
    ) -> TxReceipt:
        if gas is None and self.is_embedded:
            # py-evm estimates by bisection (~20 executions, ~0.4 s a call) while eth-tester
            # executes a transaction at submission and rejects a reverting one there, decoded
            # like an estimate's revert; so the block's cap loses nothing and costs no search.
            # Fees are charged on gas used, not on the limit.
            gas = self._gas_cap()
        elif gas is None:
            est = self._estimate(to, data, sender.address, value)
            gas = min(est * GAS_PAD_NUM // GAS_PAD_DEN + GAS_PAD_ADD, self._gas_cap())
        tx_hash = self._send_tx(to, data, sender, gas=gas, value=value)
        return self.wait_all([tx_hash])[0]

    @_charged_to_transactions
    def _estimate(self, to: str | None, data: bytes, frm: str, value: int) -> int:
        params: TxParams = {"from": frm, "data": HexBytes(data), "value": value}  # type: ignore[typeddict-item]
        if to:
            params["to"] = to
        if not self.is_embedded:
            raw = {"from": frm, "data": "0x" + bytes(data).hex(), "value": hex(value)}
            if to:
                raw["to"] = to
            result = self._raw_result("eth_estimateGas", [raw])
            if result is not None:
                return int(result, 16)
        with self._decoding_reverts("gas estimate"):
            return int(self.w3.eth.estimate_gas(params))

    @_charged_to_transactions
    def _send_tx(self, to: str | None, data: bytes, sender: LocalAccount, *, gas: int, value: int) -> HexBytes:
        if gas <= 0:
            raise ValidationError(f"gas must be positive, got {gas}")
        tx: dict[str, Any] = {
            "chainId": self.chain_id,
            "gas": int(gas),
            "value": int(value),
            "data": data,
            **self._fee_fields(),
        }
        if to:
            tx["to"] = to
        address = sender.address
        with self._lock:
            nonce = self._current_nonce(address)
            tx["nonce"] = nonce
            signed = sender.sign_transaction(tx)
            try:
                with self._decoding_reverts("send"):
                    # straight through the provider; a refusal is re-sent through web3 below,
                    # which raises it decoded (a refused tx is not in the pool or the chain)
                    sent = self._raw_result("eth_sendRawTransaction", ["0x" + bytes(signed.raw_transaction).hex()])
                    tx_hash = HexBytes(sent) if sent is not None else self.w3.eth.send_raw_transaction(signed.raw_transaction)
            except RevertError:
                # eth-tester may reject a reverting tx at submission: the nonce is unused.
                self._nonces.pop(address, None)
                raise
            except ChainError as exc:
                self._nonces.pop(address, None)
                if _UNFUNDED.search(str(exc)):
                    raise self._unfunded(address) from exc
                raise
            self._nonces[address] = nonce + 1
            self.stats.transactions += 1
            self._view_cache.clear()
            if self.is_embedded:
                # eth-tester finds a receipt by scanning blocks back from the head, so a
                # receipt is cheap now (its block is the head) and O(chain length) later.
                if len(self._receipt_cache) >= EMBEDDED_RECEIPT_CACHE:
                    self._receipt_cache.pop(next(iter(self._receipt_cache)))
                self._receipt_cache[bytes(tx_hash)] = self.w3.eth.get_transaction_receipt(tx_hash)
            else:
                self._remember_unconfirmed(bytes(tx_hash), tx, sender)
        return HexBytes(tx_hash)

    def _unfunded(self, address: str) -> ChainError:
        """The node's "insufficient funds" refusal, told as what to do about it."""
        try:
            held = f"{self.balance(address) / 10**18:.6g} ETH"
        except ChainError:
            held = "an unknown amount"
        return ChainError(
            f"{address} cannot pay for this transaction's gas: it holds {held}; send it ETH first "
            f"(on a dev chain: `fedledger fund {address}`)"
        )

    def reset_nonce(self, address: str | None = None) -> None:
        """Forget the locally tracked nonce (of one sender or all), e.g. after another
        program sent from the same key; the next send re-reads it from the node."""
        with self._lock:
            if address is None:
                self._nonces.clear()
            else:
                self._nonces.pop(_checksum(address), None)

    def _current_nonce(self, address: str) -> int:
        nonce = self._nonces.get(address)
        if nonce is None:
            nonce = int(self._rpc(lambda: self.w3.eth.get_transaction_count(address, "pending"), "eth_getTransactionCount"))
            self._nonces[address] = nonce
        return nonce

    def _fee_fields(self) -> dict[str, int]:
        cached = self._fees
        now = time.monotonic()
        if cached is not None and now - cached[0] < FEE_CACHE_S:
            return cached[1]
        block = self._rpc(lambda: self.w3.eth.get_block("latest"), "eth_getBlockByNumber")
        self._block_gas_limit = int(block["gasLimit"])
        base = block.get("baseFeePerGas")
        if base is None:
            fees = {"gasPrice": int(self._rpc(lambda: self.w3.eth.gas_price, "eth_gasPrice"))}
        else:
            if self.is_embedded or self.chain_id in DEV_CHAIN_IDS:
                tip = DEV_PRIORITY_FEE_WEI
            else:
                tip = int(self._rpc(lambda: self.w3.eth.max_priority_fee, "eth_maxPriorityFeePerGas"))
            fees = {"maxFeePerGas": 2 * int(base) + tip, "maxPriorityFeePerGas": tip, "type": 2}
        self._fees = (now, fees)
        return fees

    def _gas_cap(self) -> int:
        if self._block_gas_limit is None:
            self._fee_fields()
        return int(self._block_gas_limit or 30_000_000)

    @_charged_to_transactions
    def _collect_receipts(self, hashes: list[HexBytes], timeout_s: float) -> list[TxReceipt]:
        found: dict[bytes, TxReceipt] = {}
        deadline = time.monotonic() + timeout_s
        delay = 0.0
        while True:
            missing = [h for h in dict.fromkeys(hashes) if bytes(h) not in found]
            if not missing:
                return [found[bytes(h)] for h in hashes]
            if self.is_embedded:
                for h in missing:
                    cached = self._receipt_cache.pop(bytes(h), None)
                    if cached is not None:
                        found[bytes(h)] = cached
                        continue
                    try:
                        found[bytes(h)] = self.w3.eth.get_transaction_receipt(h)
                    except TransactionNotFound:
                        pass
            else:
                found.update(self._receipts_or_replace(missing))
            if all(bytes(h) in found for h in hashes):
                continue
            if time.monotonic() > deadline:
                still = [h.hex() for h in hashes if bytes(h) not in found]
                raise ChainError(
                    f"{len(still)} transaction(s) not mined within {timeout_s:.0f} s (first: 0x{still[0]}); "
                    "is the node mining? was the fee too low?"
                )
            delay = min(0.5, delay * 2 or 0.01)
            time.sleep(delay)

    def _remember_unconfirmed(self, tx_hash: bytes, tx: dict[str, Any], sender: LocalAccount) -> None:
        if len(self._unconfirmed) >= PENDING_KEPT:
            self._unconfirmed.pop(next(iter(self._unconfirmed)))
        self._unconfirmed[tx_hash] = _Unconfirmed(dict(tx), sender, time.monotonic(), [tx_hash])

    def _receipts_or_replace(self, missing: list[HexBytes]) -> dict[bytes, TxReceipt]:
        """Receipts of `missing` (keyed by the hash first returned for each), whichever of its
        sends was mined; a transaction still unmined after `bump_after_s` is sent again."""
        first_of = {alias: bytes(h) for h in missing for alias in self._hashes_of(bytes(h))}
        found = {first_of[alias]: receipt for alias, receipt in self._batch_receipts([HexBytes(a) for a in first_of]).items()}
        now = time.monotonic()
        for h in missing:
            entry = self._unconfirmed.get(bytes(h))
            if bytes(h) in found:
                self._unconfirmed.pop(bytes(h), None)
            elif entry is not None and now - entry.sent_at >= self.bump_after_s:
                self._replace(entry)
        return found

    def _hashes_of(self, tx_hash: bytes) -> list[bytes]:
        entry = self._unconfirmed.get(tx_hash)
        return list(entry.hashes) if entry is not None else [tx_hash]

    def _replace(self, entry: _Unconfirmed) -> None:
        """Send `entry` again, same nonce, fees raised by 12.5 % or to the latest block's quote,
        whichever is higher. A refusal (the original was mined meanwhile: "nonce too low")
        leaves the earlier sends to be found by their receipts."""
        old = entry.tx
        self._fees = None
        fresh = self._fee_fields()
        if "gasPrice" in old:
            fees: dict[str, int] = {"gasPrice": max(_raised(old["gasPrice"]), fresh.get("gasPrice", 0))}
        else:
            tip = max(_raised(old["maxPriorityFeePerGas"]), fresh.get("maxPriorityFeePerGas", 0))
            cap = max(_raised(old["maxFeePerGas"]), fresh.get("maxFeePerGas", 0) - fresh.get("maxPriorityFeePerGas", 0) + tip)
            fees = {"maxFeePerGas": cap, "maxPriorityFeePerGas": tip, "type": 2}
        tx = {**old, **fees}
        raw = "0x" + bytes(entry.sender.sign_transaction(tx).raw_transaction).hex()
        entry.sent_at = time.monotonic()
        sent = self._raw_result("eth_sendRawTransaction", [raw])
        if sent is None:
            log.info("replacement of nonce %d from %s refused; waiting for the earlier send", old["nonce"], entry.sender.address)
            return
        log.warning(
            "transaction nonce %d from %s not mined after %.0f s: sent again with fees %s",
            old["nonce"], entry.sender.address, self.bump_after_s, fees,
        )
        entry.tx = tx
        entry.hashes.append(bytes(HexBytes(sent)))

    def _batch_receipts(self, hashes: list[HexBytes]) -> dict[bytes, TxReceipt]:
        """One HTTP round trip for many receipts; unmined ones are simply absent."""
        responses = self._batch_rpc([("eth_getTransactionReceipt", ["0x" + h.hex()]) for h in hashes], "receipts")
        found: dict[bytes, TxReceipt] = {}
        for h, resp in zip(hashes, responses):
            raw = resp.get("result")
            if raw:
                # The same formatting web3 applies to a single eth_getTransactionReceipt.
                found[bytes(h)] = cast(TxReceipt, AttributeDict.recursive(receipt_formatter(raw)))
        return found

    def _batch_rpc(self, requests_: list[tuple[str, list[Any]]], what: str) -> list[dict[str, Any]]:
        provider = cast(HTTPProvider, self.w3.provider)
        try:
            responses = provider.make_batch_request(requests_)  # type: ignore[arg-type]
        except (requests.RequestException, OSError) as exc:
            raise ChainError(f"lost the node at {self.endpoint} during {what}: {exc}") from exc
        if not isinstance(responses, list):
            raise ChainError(f"node at {self.endpoint} refused a batch request ({what}): {responses.get('error')}")
        by_id = responses  # web3 already restores request order by JSON-RPC id
        if len(by_id) != len(requests_):
            raise ChainError(f"node at {self.endpoint} answered {len(by_id)} of {len(requests_)} batched requests ({what})")
        return cast(list[dict[str, Any]], by_id)

    def _explain_failure(self, receipt: TxReceipt) -> RevertError:
        """Replay a mined failed tx with eth_call to recover and decode its revert data."""
        tx_hash = HexBytes(receipt["transactionHash"])
        tx = self._rpc(lambda: self.w3.eth.get_transaction(tx_hash), "eth_getTransaction")
        block = int(receipt["blockNumber"])
        params: TxParams = {"from": tx["from"], "data": tx["input"], "value": tx["value"], "gas": tx["gas"]}
        if tx.get("to"):
            params["to"] = tx["to"]
        context = f"tx 0x{tx_hash.hex()} in block {block}"
        if int(receipt["gasUsed"]) >= int(tx["gas"]):
            # A revert refunds unused gas; using all of it means the limit was too low.
            return RevertError(
                f"{context} ran out of gas (used all {tx['gas']}); pass a larger gas limit or gas=None to estimate",
                "OutOfGas",
                (),
            )
        for at in (block - 1, block):
            if at < 0:
                continue
            try:
                with self._decoding_reverts(context):
                    self.w3.eth.call(params, block_identifier=at)
            except RevertError as err:
                return err
            except ChainError:
                break
        return RevertError(f"{context} failed (status 0) and replaying it did not reproduce the revert", None, ())

    @contextmanager
    def _decoding_reverts(self, context: str) -> Iterator[None]:
        """Translate every backend's revert/RPC failure into fedledger errors."""
        try:
            yield
        except RawRevert as exc:
            raise self.errors.decode(exc.data, context) from None
        except ContractLogicError as exc:
            data = _data_bytes(exc.data)
            if data is None:
                raise RevertError(f"{exc} ({context})", None, ()) from None
            raise self.errors.decode(data, context) from None
        except EmbeddedFailure as exc:
            raise RevertError(f"{exc} ({context})", None, ()) from None
        except self._rejections as exc:
            raise ChainError(f"the embedded EVM rejected {context}: {exc}") from None
        except Web3RPCError as exc:
            message = str(exc)
            if "revert" in message.lower():
                raise RevertError(f"{message} ({context})", None, ()) from None
            raise ChainError(f"node rejected {context}: {message}") from None
        except (requests.RequestException, OSError) as exc:
            raise ChainError(f"lost the node at {self.endpoint} during {context}: {exc}") from exc

    def _rpc(self, thunk: Any, what: str) -> Any:
        try:
            return thunk()
        except (requests.RequestException, OSError) as exc:
            raise ChainError(f"lost the node at {self.endpoint} during {what}: {exc}") from exc
        except TimeExhausted as exc:
            raise ChainError(f"{what} timed out at {self.endpoint}: {exc}") from exc
        except Web3RPCError as exc:
            raise ChainError(f"{what} failed at {self.endpoint}: {exc}") from exc


def _encode(fn: ContractFunction) -> bytes:
    """Calldata of a bound contract function, without any RPC round trip."""
    if not fn.address:
        raise ValidationError(f"{fn.fn_name} is not bound to a deployed contract address")
    try:
        return bytes(HexBytes(fn._encode_transaction_data()))
    except (Web3ValidationError, TypeError, ValueError) as exc:
        raise ValidationError(f"bad arguments for {fn.fn_name}: {exc}") from exc


def _data_bytes(data: Any) -> bytes | None:
    if data is None:
        return None
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    if isinstance(data, str):
        text = data[2:] if data.startswith("0x") else data
        try:
            return bytes.fromhex(text)
        except ValueError:
            return None
    if isinstance(data, dict):  # some nodes nest it: {"data": "0x..."}
        return _data_bytes(data.get("data"))
    return None
