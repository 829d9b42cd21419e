"""The two providers behind `ChainClient` and the dev accounts each one pre-funds.

* embedded: web3's `EthereumTesterProvider` over py-evm, in-process, auto-mining every tx.
  web3 flattens eth-tester's revert bytes into a string; we wrap the `eth_call` and
  `eth_estimateGas` endpoints so the raw revert data reaches our decoder intact.
* HTTP: any JSON-RPC node. Dev keys are known only for anvil/hardhat's default mnemonic;
  we keep those of its accounts that the node itself lists in `eth_accounts`.
"""

from __future__ import annotations

import ast
import os
import random
from functools import lru_cache, partial
from typing import Any, Callable

from eth_account import Account
from eth_account.signers.local import LocalAccount

ZERO_ADDRESS = b"\x00" * 20
ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
ANVIL_ACCOUNT_COUNT = 10


class RawRevert(Exception):
    """Raised by the embedded provider with the untouched revert data of a call/estimate."""

    def __init__(self, data: bytes, message: str = "") -> None:
        super().__init__(message or f"execution reverted (0x{data.hex()})")
        self.data = data


class EmbeddedFailure(Exception):
    """eth-tester failed a call/estimate for a reason that carries no revert data."""


def _raw_revert_data(exc: BaseException) -> bytes | None:
    """Revert bytes inside an eth-tester `TransactionFailed` (possibly wrapped once)."""
    first = exc.args[0] if exc.args else None
    if isinstance(first, BaseException):
        first = first.args[0] if first.args else None
    if isinstance(first, (bytes, bytearray)):
        return bytes(first)
    return None


def _parse_bytes_repr(message: str) -> bytes | None:
    """eth-tester's `call` reports a revert as ``str(bytes)``; recover the bytes."""
    if message.startswith(("b'", 'b"')):
        try:
            value = ast.literal_eval(message)
        except (ValueError, SyntaxError):
            return None
        return value if isinstance(value, bytes) else None
    return None


def _wrap_endpoint(delegator: Callable[..., Any], fallback: Callable[..., Any] | None) -> Callable[..., Any]:
    """Re-raise eth-tester failures of `delegator` as `RawRevert` carrying the revert bytes.

    eth-tester's `call` stringifies the revert (and decodes `Error(string)` to bare text), so
    for calls we re-run the same request through `estimateGas` (`fallback`), which keeps
    the raw bytes, and only then fall back to parsing the message.
    """
    from eth_tester.exceptions import TransactionFailed

    def wrapped(tester: Any, params: Any) -> Any:
        try:
            return delegator(tester, params)
        except TransactionFailed as exc:
            data = _raw_revert_data(exc)
            if data is not None:
                raise RawRevert(data) from None
            message = str(exc.args[0] if exc.args else exc)
            if fallback is not None:
                try:
                    fallback(tester, params)
                except TransactionFailed as again:
                    data = _raw_revert_data(again)
                    if data is not None:
                        raise RawRevert(data) from None
                except Exception:  # noqa: BLE001 - the fallback is best effort only
                    pass
            data = _parse_bytes_repr(message)
            if data is not None:
                raise RawRevert(data) from None
            raise EmbeddedFailure(message) from None

    return wrapped


def embedded_rejections() -> tuple[type[Exception], ...]:
    """Exceptions py-evm / eth-tester raise when they refuse a transaction outright
    (unaffordable gas, bad nonce, over the block gas limit)."""
    from eth_tester.exceptions import ValidationError as TesterValidationError
    from eth_utils.exceptions import ValidationError as EvmValidationError

    return (TesterValidationError, EvmValidationError)


def _randao_backend(beacon_seed: int | None = None) -> Any:
    """A py-evm backend whose `block.prevrandao` is random AND equal to the block's mixHash.

    Stock eth-tester executes transactions against a pending header whose mix hash is zero
    and only draws a random mix hash when it mines the block, so contracts see
    `block.prevrandao == 0` while the mined header shows another value. Our contracts draw
    roles from `block.prevrandao`, so we give every pending header a fresh random mix hash
    and mine the block with that same value. With `beacon_seed` the values come from a
    seeded generator, so a simulation (roles and all) replays exactly.
    """
    from eth_tester.backends.pyevm.main import PyEVMBackend

    draw: Callable[[], bytes] = (
        partial(os.urandom, 32) if beacon_seed is None else partial(random.Random(beacon_seed).randbytes, 32)
    )

    class RandaoPyEVMBackend(PyEVMBackend):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._fresh_mix_hash()

        def _fresh_mix_hash(self) -> None:
            self.chain.header = self.chain.header.copy(mix_hash=draw())

        def mine_blocks(self, num_blocks: int = 1, coinbase: Any = ZERO_ADDRESS) -> tuple[bytes, ...]:
            hashes: list[bytes] = []
            for _ in range(num_blocks):
                chain = self.chain
                pending_mix = chain.header.mix_hash
                original = chain.mine_block

                def mine_block(*args: Any, **kwargs: Any) -> Any:
                    kwargs["mix_hash"] = pending_mix
                    return original(*args, **kwargs)

                chain.mine_block = mine_block  # instance attribute shadows the method
                try:
                    hashes.extend(super().mine_blocks(1, coinbase))
                finally:
                    del chain.mine_block
                self._fresh_mix_hash()
            return tuple(hashes)

        def revert_to_snapshot(self, snapshot: Any) -> None:
            super().revert_to_snapshot(snapshot)
            self._fresh_mix_hash()

        def reset_to_genesis(self, *args: Any, **kwargs: Any) -> None:
            super().reset_to_genesis(*args, **kwargs)
            self._fresh_mix_hash()

    return RandaoPyEVMBackend()


def make_embedded_provider(beacon_seed: int | None = None) -> Any:
    """An `EthereumTesterProvider` (fresh py-evm chain) whose reverts keep their raw data
    and whose `block.prevrandao` is random (seeded if `beacon_seed` is given) and matches
    the mined header."""
    from eth_tester import EthereumTester
    from web3 import EthereumTesterProvider  # eth-tester is imported lazily by the provider
    from web3.providers.eth_tester.defaults import API_ENDPOINTS

    endpoints = {ns: dict(methods) for ns, methods in API_ENDPOINTS.items()}
    estimate = endpoints["eth"]["estimateGas"]
    endpoints["eth"]["estimateGas"] = _wrap_endpoint(estimate, None)
    endpoints["eth"]["call"] = _wrap_endpoint(endpoints["eth"]["call"], estimate)
    return EthereumTesterProvider(ethereum_tester=EthereumTester(backend=_randao_backend(beacon_seed)), api_endpoints=endpoints)


class EmbeddedViews:
    """Read-only calls straight into py-evm, one warm state object per head block.

    eth-tester builds a fresh VM and state (cold account and storage caches, so every read
    walks the state trie) for each `eth_call`, and web3 wraps it in a dozen middlewares and
    formatters: a 1-slot view costs about 4.5 ms, of which the EVM needs under 1 ms. Here a
    call runs against the state of the latest mined block exactly as eth-tester's "latest"
    does (same header, so the same number, timestamp and prevrandao), inside a snapshot that
    is reverted at once, and the state object is kept until a new block is mined, so
    repeated views hit warm caches.

    A view is run as a bare message call, not as a spoofed transaction: the transaction
    machinery around it (intrinsic gas, buying and refunding gas, nonce and balance checks,
    access-list warm-up) changes nothing a view returns and cost about 0.8 ms of a 1.8 ms
    call on a fresh block. The caller need not be able to pay for gas, as with `eth_call`
    on a node.

    `call` returns None whenever it cannot answer plainly (a revert, an exceptional halt,
    anything unexpected): the caller then takes the ordinary web3 path, which reproduces and
    decodes the failure, so errors look the same either way.
    """

    def __init__(self, provider: Any) -> None:
        self._backend = provider.ethereum_tester.backend
        self._key: tuple[int, bytes] | None = None
        self._state: Any = None
        self._header: Any = None

    def _warm_state(self) -> tuple[Any, Any]:
        chain = self._backend.chain
        # The pending header's parent is the latest mined block: it changes with every
        # mined block, time travel, snapshot revert or reset, and only then.
        key = (id(chain), bytes(chain.header.parent_hash))
        if key != self._key:
            header = chain.get_canonical_head()
            self._state, self._header, self._key = chain.get_vm(at_header=header).state, header, key
        return self._state, self._header

    def latest_timestamp(self) -> int:
        """Timestamp of the latest mined block (eth-tester's "latest"), without web3."""
        return int(self._backend.chain.get_canonical_head().timestamp)

    def call(self, to: bytes, data: bytes, sender: bytes) -> bytes | None:
        """Return data of a call from `sender` to `to` (canonical addresses), or None."""
        from eth.vm.message import Message

        try:
            state, header = self._warm_state()
            message = Message(gas=header.gas_limit, to=to, sender=sender, value=0, data=data, code=state.get_code(to))
            context = state.get_transaction_context_class()(gas_price=header.base_fee_per_gas, origin=sender)
            snapshot = state.snapshot()
            try:
                computation = state.computation_class.apply_message(state, message, context)
            finally:
                state.revert(snapshot)
        except Exception:  # noqa: BLE001 - any surprise: let the reference path answer
            self._key = None
            return None
        if computation.is_error:
            return None
        return bytes(computation.output)


def embedded_dev_accounts(provider: Any) -> list[LocalAccount]:
    """eth-tester's pre-funded accounts, rebuilt from the backend's own keys."""
    keys = provider.ethereum_tester.backend.account_keys
    return [Account.from_key(k.to_bytes()) for k in keys]


@lru_cache(maxsize=1)
def anvil_dev_accounts() -> tuple[LocalAccount, ...]:
    """The 10 accounts of anvil's default mnemonic (m/44'/60'/0'/0/i), cached per process.

    The BIP-39 seed is computed once and each key derived from it (BIP-32), rather than
    `Account.from_mnemonic` per account, which would redo the PBKDF2 stretch every time.
    """
    Account.enable_unaudited_hdwallet_features()
    from eth_account.hdaccount import key_from_seed, seed_from_mnemonic

    seed = seed_from_mnemonic(ANVIL_MNEMONIC, "")
    return tuple(
        Account.from_key(key_from_seed(seed, f"m/44'/60'/0'/0/{i}")) for i in range(ANVIL_ACCOUNT_COUNT)
    )
