// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {SumTree} from "../utils/SumTree.sol";
import {StakeWeight} from "../utils/StakeWeight.sol";

/// @title SumTreeMock
/// @notice Test-only: exposes the {SumTree} lottery that ArenaTask uses, so tests can run thousands
/// of draws in one `eth_call` instead of thousands of transactions. Never deployed by the factory.
contract SumTreeMock {
    using SumTree for SumTree.Tree;

    SumTree.Tree private _tree;

    /// @notice Creates a tree of `size` leaves.
    /// @param size The number of leaves.
    constructor(uint256 size) {
        _tree.init(size);
    }

    /// @notice Sets leaves `first, first + 1, ...` to w(stakes[i]) under `mode`.
    /// @param first The first leaf.
    /// @param stakes The stakes.
    /// @param mode The StakeWeight mode.
    function setStakes(uint256 first, uint256[] calldata stakes, uint8 mode) external {
        for (uint256 i = 0; i < stakes.length; ++i) {
            _tree.set(first + i, StakeWeight.weight(stakes[i], mode));
        }
    }

    /// @notice Sets leaf `index` to `weight`.
    /// @param index The leaf.
    /// @param weight The weight.
    function setWeight(uint256 index, uint256 weight) external {
        _tree.set(index, weight);
    }

    /// @notice The tree's total weight.
    /// @return The total.
    function total() external view returns (uint256) {
        return _tree.total;
    }

    /// @notice The first leaf whose prefix sum exceeds `target`.
    /// @param target A value below the total.
    /// @return The leaf.
    function find(uint256 target) external view returns (uint256) {
        return _tree.find(target);
    }

    /// @notice One draw of `m` distinct leaves with `seed` (call it with eth_call: it only touches transient storage).
    /// @param seed The randomness.
    /// @param m Leaves to draw.
    /// @return The leaves in draw order.
    function draw(bytes32 seed, uint256 m) external returns (uint256[] memory) {
        return _tree.drawDistinct(seed, m);
    }

    /// @notice `rounds` draws of `m` leaves with seeds keccak256(abi.encode(seed, i)); returns how
    /// often each leaf was drawn (call with eth_call).
    /// @param seed The base randomness.
    /// @param m Leaves per draw.
    /// @param rounds Number of draws.
    /// @return counts Per leaf, the number of draws that picked it.
    function drawMany(bytes32 seed, uint256 m, uint256 rounds) external returns (uint256[] memory counts) {
        counts = new uint256[](_tree.size);
        for (uint256 i = 0; i < rounds; ++i) {
            uint256[] memory picks = _tree.drawDistinct(keccak256(abi.encode(seed, i)), m);
            for (uint256 j = 0; j < picks.length; ++j) {
                counts[picks[j]] += 1;
            }
        }
    }

    /// @notice The weight function, for tests.
    /// @param stake The stake.
    /// @param mode The StakeWeight mode.
    /// @return The weight.
    function weightOf(uint256 stake, uint8 mode) external pure returns (uint256) {
        return StakeWeight.weight(stake, mode);
    }
}
