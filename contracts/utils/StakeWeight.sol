// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title StakeWeight
/// @notice Concave stake-to-lottery-weight functions: a validator's chance of being drawn grows
/// with its stake, but with diminishing returns, so splitting stake buys no advantage and a
/// whale does not capture every draw.
library StakeWeight {
    /// @notice w(s) = floor(sqrt(s)) (the default: 4x stake gives 2x weight).
    uint8 internal constant SQRT = 0;
    /// @notice w(s) = floor(sqrt(floor(sqrt(s)))), about s^(1/4) (16x stake gives 2x weight).
    uint8 internal constant FOURTH_ROOT = 1;
    /// @notice w(s) = s (no diminishing returns; for comparison).
    uint8 internal constant LINEAR = 2;
    /// @notice The largest weight mode.
    uint8 internal constant MAX_MODE = 2;

    /// @notice The lottery weight of `stake` under `mode` (modes above MAX_MODE are rejected by callers).
    /// @param stake The validator's stake in token units.
    /// @param mode One of SQRT, FOURTH_ROOT, LINEAR.
    /// @return The weight (>= 1 whenever stake >= 1).
    function weight(uint256 stake, uint8 mode) internal pure returns (uint256) {
        if (mode == SQRT) return Math.sqrt(stake);
        if (mode == FOURTH_ROOT) return Math.sqrt(Math.sqrt(stake));
        return stake;
    }
}
