// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title SumTree
/// @notice A Fenwick (binary indexed) tree of non-negative weights with an O(log n) weighted
/// draw, and a draw of `m` distinct leaves without replacement.
/// @dev Leaves are 0-based externally and 1-based inside the tree. Without-replacement draws
/// remove each picked leaf's weight through an overlay in transient storage (EIP-1153), so a
/// pick costs O(log n) warm reads plus cheap transient writes instead of storage writes; the
/// overlay is cleared before {drawDistinct} returns, so the tree is unchanged afterwards.
library SumTree {
    /// @notice The tree: `size` leaves, their `total` weight, Fenwick nodes and leaf weights.
    struct Tree {
        uint256 size;
        uint256 total;
        mapping(uint256 node => uint256) nodes;
        mapping(uint256 leaf => uint256) weights;
    }

    /// @notice A leaf index is not below the tree's size.
    /// @param index The leaf given.
    /// @param size The tree's size.
    error SumTreeIndexOutOfRange(uint256 index, uint256 size);
    /// @notice More distinct leaves were requested than have positive weight, or the tree is empty.
    /// @param requested Leaves requested.
    /// @param total The tree's total weight.
    error SumTreeNotEnoughWeight(uint256 requested, uint256 total);

    /// @notice Fixes the number of leaves; call once on an empty tree.
    /// @param tree The tree.
    /// @param size The number of leaves.
    function init(Tree storage tree, uint256 size) internal {
        tree.size = size;
    }

    /// @notice Sets leaf `index` to `weight`.
    /// @param tree The tree.
    /// @param index The 0-based leaf.
    /// @param weight The new weight.
    function set(Tree storage tree, uint256 index, uint256 weight) internal {
        uint256 size = tree.size;
        if (index >= size) revert SumTreeIndexOutOfRange(index, size);
        uint256 old = tree.weights[index];
        if (old == weight) return;
        tree.weights[index] = weight;
        if (weight > old) {
            uint256 delta = weight - old;
            tree.total += delta;
            for (uint256 i = index + 1; i <= size; i += i & (~i + 1)) {
                tree.nodes[i] += delta;
            }
        } else {
            uint256 delta = old - weight;
            tree.total -= delta;
            for (uint256 i = index + 1; i <= size; i += i & (~i + 1)) {
                tree.nodes[i] -= delta;
            }
        }
    }

    /// @notice The weight of leaf `index`.
    /// @param tree The tree.
    /// @param index The 0-based leaf.
    /// @return The weight.
    function weightOf(Tree storage tree, uint256 index) internal view returns (uint256) {
        return tree.weights[index];
    }

    /// @notice The first leaf whose inclusive prefix sum exceeds `target` (`target` < total).
    /// @param tree The tree.
    /// @param target A value in [0, total).
    /// @return The 0-based leaf.
    function find(Tree storage tree, uint256 target) internal view returns (uint256) {
        return _find(tree, target, false);
    }

    /// @notice Draws `m` distinct leaves, each with probability proportional to its weight among
    /// the leaves not yet drawn: draw j takes `uint256(keccak256(abi.encode(seed, j))) % remaining`
    /// and picks the leaf whose prefix interval contains it.
    /// @param tree The tree.
    /// @param seed The randomness.
    /// @param m Leaves to draw; at most the number of leaves with positive weight.
    /// @return picks The 0-based leaves in draw order.
    function drawDistinct(Tree storage tree, bytes32 seed, uint256 m) internal returns (uint256[] memory picks) {
        picks = new uint256[](m);
        uint256 remaining = tree.total;
        uint256 size = tree.size;
        for (uint256 j = 0; j < m; ++j) {
            if (remaining == 0) revert SumTreeNotEnoughWeight(m, tree.total);
            uint256 r = uint256(keccak256(abi.encode(seed, j))) % remaining;
            uint256 pick = _find(tree, r, true);
            uint256 w = tree.weights[pick];
            picks[j] = pick;
            remaining -= w;
            for (uint256 i = pick + 1; i <= size; i += i & (~i + 1)) {
                _tstoreAdd(tree, i, w);
            }
        }
        for (uint256 j = 0; j < m; ++j) {
            for (uint256 i = picks[j] + 1; i <= size; i += i & (~i + 1)) {
                _tclear(tree, i);
            }
        }
    }

    function _find(Tree storage tree, uint256 target, bool overlay) private view returns (uint256) {
        uint256 size = tree.size;
        uint256 step = 1;
        while (step <= size >> 1) step <<= 1;
        uint256 pos = 0;
        for (; step != 0; step >>= 1) {
            uint256 next = pos + step;
            if (next <= size) {
                uint256 v = tree.nodes[next];
                if (overlay) v -= _tload(tree, next);
                if (v <= target) {
                    pos = next;
                    target -= v;
                }
            }
        }
        return pos; // 1-based leaf pos + 1, i.e. 0-based leaf pos
    }

    function _key(Tree storage tree, uint256 node) private pure returns (uint256 key) {
        assembly ("memory-safe") {
            mstore(0x00, tree.slot)
            mstore(0x20, node)
            key := keccak256(0x00, 0x40)
        }
    }

    function _tload(Tree storage tree, uint256 node) private view returns (uint256 v) {
        uint256 key = _key(tree, node);
        assembly ("memory-safe") {
            v := tload(key)
        }
    }

    function _tstoreAdd(Tree storage tree, uint256 node, uint256 delta) private {
        uint256 key = _key(tree, node);
        assembly ("memory-safe") {
            tstore(key, add(tload(key), delta))
        }
    }

    function _tclear(Tree storage tree, uint256 node) private {
        uint256 key = _key(tree, node);
        assembly ("memory-safe") {
            tstore(key, 0)
        }
    }
}
