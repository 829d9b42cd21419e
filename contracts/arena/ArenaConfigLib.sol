// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IArenaTask} from "./IArenaTask.sol";
import {StakeWeight} from "../utils/StakeWeight.sol";

/// @title ArenaConfigLib
/// @notice Protocol caps of an ArenaTask and the validation of its configuration. The factory runs
/// {validate} before it clones, so the task's own bytecode stays under the 24 KB limit; every
/// failure reverts with the IArenaTask error naming the field.
library ArenaConfigLib {
    /// @notice Most trainers (and so submissions) a task can have.
    uint256 internal constant MAX_TRAINERS = 256;
    /// @notice Most validators a task can have.
    uint256 internal constant MAX_VALIDATORS = 1024;
    /// @notice Most validators drawn per submission.
    uint256 internal constant MAX_VALIDATORS_PER_SUBMISSION = 16;
    /// @notice A score of 1.0 in fixed point.
    uint256 internal constant SCORE_SCALE = 1_000_000;
    uint256 private constant BPS = 10_000;

    /// @notice Reverts with the matching IArenaTask error if any field of `c` is invalid (docs/arena-protocol.md).
    /// @param c The configuration.
    function validate(IArenaTask.ArenaConfig calldata c) internal pure {
        if (c.specHash == bytes32(0)) revert IArenaTask.ArenaTaskZeroSpecHash();
        if (c.evalSetHash == bytes32(0)) revert IArenaTask.ArenaTaskZeroEvalSetHash();
        if (c.rewardPool == 0) revert IArenaTask.ArenaTaskZeroRewardPool();
        _maxAmount(c.rewardPool);
        _maxAmount(c.creatorStake);
        if (c.trainerStake == 0) revert IArenaTask.ArenaTaskZeroStake(0);
        if (c.validatorStake == 0) revert IArenaTask.ArenaTaskZeroStake(1);
        _maxAmount(c.trainerStake);
        _maxAmount(c.validatorStake);
        _limit(0, c.maxTrainers, MAX_TRAINERS);
        _limit(1, c.maxValidators, MAX_VALIDATORS);
        _limit(2, c.validatorsPerSubmission, MAX_VALIDATORS_PER_SUBMISSION);
        _limit(3, c.maxValidationsPerValidator, type(uint16).max);
        if (c.trainerShareBps > BPS) revert IArenaTask.ArenaTaskBpsTooHigh(0, c.trainerShareBps);
        if (c.validatorSlashBps > BPS) revert IArenaTask.ArenaTaskBpsTooHigh(1, c.validatorSlashBps);
        if (c.absentSlashBps > BPS) revert IArenaTask.ArenaTaskBpsTooHigh(2, c.absentSlashBps);
        if (c.allianceShareBps > BPS) revert IArenaTask.ArenaTaskBpsTooHigh(3, c.allianceShareBps);
        if (c.validatorTolerance > SCORE_SCALE) revert IArenaTask.ArenaTaskToleranceTooHigh(c.validatorTolerance, SCORE_SCALE);
        if (c.scoreExponent == 0 || c.scoreExponent > 4) revert IArenaTask.ArenaTaskScoreExponentOutOfRange(c.scoreExponent);
        if (c.weightMode > StakeWeight.MAX_MODE) revert IArenaTask.ArenaTaskUnknownWeightMode(c.weightMode);
        if (c.submissionWindow == 0) revert IArenaTask.ArenaTaskZeroWindow(0);
        if (c.commitWindow == 0) revert IArenaTask.ArenaTaskZeroWindow(1);
        if (c.revealWindow == 0) revert IArenaTask.ArenaTaskZeroWindow(2);
        uint256 needed = uint256(c.submissionWindow) + c.commitWindow + c.revealWindow;
        if (c.maxDuration < needed) revert IArenaTask.ArenaTaskDurationTooShort(c.maxDuration, needed);
        if (c.openDerive && c.allianceConfigHash == bytes32(0)) revert IArenaTask.ArenaTaskOpenDeriveNeedsConfigHash();
    }

    function _maxAmount(uint256 amount) private pure {
        if (amount > type(uint96).max) revert IArenaTask.ArenaTaskAmountTooLarge(amount, type(uint96).max);
    }

    function _limit(uint8 which, uint256 value, uint256 max) private pure {
        if (value == 0 || value > max) revert IArenaTask.ArenaTaskLimitOutOfRange(which, value, max);
    }
}
