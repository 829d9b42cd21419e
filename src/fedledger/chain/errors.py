"""Turn raw revert data into a `RevertError` a person can act on.

Solidity reverts carry ABI-encoded data: a 4-byte selector then the arguments. The selector
is `Error(string)` for `require(cond, "msg")`, `Panic(uint256)` for assert/overflow/bounds
failures, or one of the contracts' custom errors. We index every custom error of every
checked-in artifact (with its NatSpec `@notice`), so a revert from any contract we ship is
reported as e.g. ``AllianceTaskWrongPhase(expected=1, actual=0): <notice>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils import keccak, to_checksum_address

from fedledger.chain.artifacts import ARTIFACTS_DIR, artifact_names, load_artifact
from fedledger.core.errors import RevertError

ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)
PANIC_SELECTOR = bytes.fromhex("4e487b71")  # Panic(uint256)

#: Meaning of Solidity's panic codes (docs.soliditylang.org, "Panic via assert and error").
PANIC_CODES: dict[int, str] = {
    0x00: "generic compiler-inserted panic",
    0x01: "assert(false) / failed assertion",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "conversion to an invalid enum value",
    0x22: "incorrectly encoded storage byte array",
    0x31: "pop() on an empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory (allocation too large)",
    0x51: "call to a zero-initialised internal function pointer",
}


@dataclass(frozen=True)
class CustomErrorSpec:
    """One custom error as declared in a contract ABI."""

    contract: str
    name: str
    input_names: tuple[str, ...]
    input_types: tuple[str, ...]
    notice: str

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(self.input_types)})"


def _canonical_type(param: dict[str, Any]) -> str:
    """ABI type string of a parameter, expanding tuples (structs) to ``(t1,t2)``."""
    typ: str = param["type"]
    if typ.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in param.get("components", []))
        return f"({inner}){typ[len('tuple'):]}"
    return typ


def _spec_from_abi(contract: str, item: dict[str, Any], userdoc: dict[str, Any]) -> CustomErrorSpec:
    inputs = item.get("inputs", [])
    types = tuple(_canonical_type(p) for p in inputs)
    names = tuple(p.get("name") or f"arg{i}" for i, p in enumerate(inputs))
    signature = f"{item['name']}({','.join(types)})"
    docs = (userdoc.get("errors") or {}).get(signature) or []
    notice = " ".join(d.get("notice", "").strip() for d in docs if d.get("notice")).strip()
    return CustomErrorSpec(contract, item["name"], names, types, notice)


class ErrorRegistry:
    """Selector -> custom error, built from ABIs; decodes revert data into `RevertError`."""

    def __init__(self) -> None:
        self._by_selector: dict[bytes, list[CustomErrorSpec]] = {}

    def add_abi(self, contract: str, abi: list[dict[str, Any]], userdoc: dict[str, Any] | None = None) -> None:
        """Index every `error` item of `abi`; the same error seen in many contracts is kept once."""
        for item in abi:
            if item.get("type") != "error":
                continue
            spec = _spec_from_abi(contract, item, userdoc or {})
            selector = keccak(text=spec.signature)[:4]
            entries = self._by_selector.setdefault(selector, [])
            same = [e for e in entries if e.signature == spec.signature]
            if not same:
                entries.append(spec)
            elif spec.notice and not same[0].notice:
                entries[entries.index(same[0])] = spec

    def lookup(self, selector: bytes) -> list[CustomErrorSpec]:
        return list(self._by_selector.get(selector, []))

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_selector.values())

    def decode(self, data: bytes, context: str = "") -> RevertError:
        """Build the `RevertError` for revert `data` (never raises it; callers do)."""
        where = f" ({context})" if context else ""
        if not data:
            return RevertError(
                "execution reverted without data: a bare revert(), a require without a message, "
                f"a call to a non-contract address or an out-of-gas inner call{where}",
                None,
                (),
            )
        selector, payload = data[:4], data[4:]
        if selector == ERROR_STRING_SELECTOR:
            try:
                (reason,) = abi_decode(["string"], payload)
            except (DecodingError, ValueError):
                reason = "<undecodable reason string>"
            return RevertError(f"Error({reason!r}){where}", "Error", (reason,))
        if selector == PANIC_SELECTOR:
            try:
                (code,) = abi_decode(["uint256"], payload)
            except (DecodingError, ValueError):
                code = -1
            meaning = PANIC_CODES.get(code, "unknown panic code")
            return RevertError(f"Panic(0x{code:02x}): {meaning}{where}", "Panic", (code,))
        for spec in self.lookup(selector):
            try:
                values = abi_decode(list(spec.input_types), payload)
            except (DecodingError, ValueError, OverflowError):
                continue
            args = tuple(_pretty(v) for v in values)
            shown = ", ".join(f"{n}={_show(v)}" for n, v in zip(spec.input_names, args))
            message = f"{spec.name}({shown})"
            if spec.notice:
                message += f": {spec.notice}"
            message += f" [{spec.contract}]{where}"
            return RevertError(message, spec.name, args)
        return RevertError(
            f"reverted with unknown error selector 0x{selector.hex()} (data 0x{data.hex()}){where}; "
            "its contract's artifact is not among the compiled artifacts - re-run "
            "`python scripts/compile_contracts.py`",
            None,
            (),
        )


def _pretty(value: Any) -> Any:
    """Normalise decoded values: checksum addresses; tuples/lists recursively."""
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        return to_checksum_address(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_pretty(v) for v in value)
    return value


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str) and value.startswith("0x"):
        return value
    return repr(value) if isinstance(value, str) else str(value)


def _dir_signature(directory: Path) -> tuple[tuple[str, float], ...]:
    if not directory.is_dir():
        return ()
    return tuple(sorted((p.name, p.stat().st_mtime) for p in directory.glob("*.json")))


@lru_cache(maxsize=8)
def _registry_for(directory: str, _signature: tuple[tuple[str, float], ...]) -> ErrorRegistry:
    registry = ErrorRegistry()
    for name in artifact_names(Path(directory)):
        art = load_artifact(name, Path(directory))
        registry.add_abi(art.name, art.abi, art.userdoc)
    return registry


def artifact_error_registry(directory: Path | None = None) -> ErrorRegistry:
    """Registry over every artifact in `directory`; rebuilt when an artifact file changes."""
    base = directory or ARTIFACTS_DIR
    return _registry_for(str(base), _dir_signature(base))
