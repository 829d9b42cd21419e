// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/// @title FMLToken
/// @notice The fedledger staking and reward token (ERC20 with permit and governance votes).
/// @dev Supply is minted only by the owner's faucet, and only on development chains; a
/// production deployment mints its supply elsewhere (e.g. a distribution contract).
contract FMLToken is ERC20, ERC20Permit, ERC20Votes, Ownable {
    /// @notice Minting is only possible on a development chain (31337, 1337 or eth-tester).
    /// @param chainId The chain id this call ran on.
    error FMLTokenMintOnlyOnDevChain(uint256 chainId);

    /// @notice Creates the token and makes `initialOwner` the faucet owner.
    /// @param initialOwner Address allowed to call {mint} on development chains.
    constructor(address initialOwner) ERC20("fedledger ML Token", "FML") ERC20Permit("fedledger ML Token") Ownable(initialOwner) {}

    /// @notice Development faucet: mints `amount` tokens to `to`. Owner only, dev chains only.
    /// @param to Receiver of the new tokens.
    /// @param amount Amount in the token's smallest unit.
    /// @dev Emits a {Transfer} event from the zero address.
    function mint(address to, uint256 amount) external onlyOwner {
        if (!isDevChain()) revert FMLTokenMintOnlyOnDevChain(block.chainid);
        _mint(to, amount);
    }

    /// @notice Whether this chain is a development chain where the faucet works.
    /// @return True on chain ids 31337 (anvil/hardhat), 1337 (geth dev) and 131277322940537 (eth-tester).
    function isDevChain() public view returns (bool) {
        uint256 id = block.chainid;
        return id == 31337 || id == 1337 || id == 131277322940537;
    }

    /// @inheritdoc ERC20Permit
    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }
}
