"""Revert-data decoding: custom errors with args and NatSpec, Error(string), Panic(uint256)."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak

from fedledger.chain.errors import ErrorRegistry, artifact_error_registry

WRONG_PHASE_ABI = [
    {
        "type": "error",
        "name": "AllianceTaskWrongPhase",
        "inputs": [{"name": "expected", "type": "uint8"}, {"name": "actual", "type": "uint8"}],
    },
    {"type": "function", "name": "join", "inputs": [], "outputs": []},
]
USERDOC = {"errors": {"AllianceTaskWrongPhase(uint8,uint8)": [{"notice": "The task is not in the phase this call needs."}]}}


def _selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def test_custom_error_with_args_and_notice() -> None:
    registry = ErrorRegistry()
    registry.add_abi("AllianceTask", WRONG_PHASE_ABI, USERDOC)
    data = _selector("AllianceTaskWrongPhase(uint8,uint8)") + encode(["uint8", "uint8"], [1, 0])
    err = registry.decode(data)
    assert str(err).startswith("AllianceTaskWrongPhase(expected=1, actual=0): The task is not in the phase this call needs.")
    assert err.error_name == "AllianceTaskWrongPhase"
    assert err.error_args == (1, 0)


def test_error_string_and_panic() -> None:
    registry = ErrorRegistry()
    err = registry.decode(bytes.fromhex("08c379a0") + encode(["string"], ["not enough stake"]))
    assert err.error_name == "Error" and err.error_args == ("not enough stake",)
    assert "not enough stake" in str(err)
    panic = registry.decode(bytes.fromhex("4e487b71") + encode(["uint256"], [0x11]))
    assert panic.error_name == "Panic" and panic.error_args == (0x11,)
    assert "overflow" in str(panic)
    assert "division" in str(registry.decode(bytes.fromhex("4e487b71") + encode(["uint256"], [0x12])))


def test_unknown_selector_and_empty_data() -> None:
    registry = ErrorRegistry()
    unknown = registry.decode(bytes.fromhex("deadbeef") + b"\x00" * 32)
    assert unknown.error_name is None and "0xdeadbeef" in str(unknown) and "compile_contracts" in str(unknown)
    empty = registry.decode(b"")
    assert empty.error_name is None and "without data" in str(empty)


def test_artifact_registry_knows_token_errors_and_notices() -> None:
    registry = artifact_error_registry()
    [spec] = registry.lookup(_selector("ERC20InsufficientBalance(address,uint256,uint256)"))
    assert spec.input_names == ("sender", "balance", "needed")
    [mint] = registry.lookup(_selector("FMLTokenMintOnlyOnDevChain(uint256)"))
    assert mint.notice  # from the artifact's userdoc
    err = registry.decode(_selector("FMLTokenMintOnlyOnDevChain(uint256)") + encode(["uint256"], [1]))
    assert err.error_args == (1,)
    assert str(err).startswith(f"FMLTokenMintOnlyOnDevChain({mint.input_names[0]}=1): {mint.notice}")
