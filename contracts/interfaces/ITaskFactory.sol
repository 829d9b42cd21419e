// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IAllianceTask} from "../alliance/IAllianceTask.sol";

/// @title ITaskFactory
/// @notice Creates fedledger tasks as minimal-proxy clones and keeps the task registry and the
/// per-address on-chain record that creator qualification reads.
interface ITaskFactory {
    /// @notice An address's on-chain participation record, written by tasks on withdrawal.
    struct Record {
        uint64 tasksJoined;
        uint64 tasksCompleted;
        uint64 acceptedProposals;
        uint64 majorityVotes;
    }

    /// @notice A new AllianceTask clone `task` was created by `creator` with `rewardPool` escrowed.
    event AllianceTaskCreated(address indexed task, address indexed creator, bytes32 indexed specHash, uint256 rewardPool);
    /// @notice Task `task` added to `account`'s record.
    event ParticipationRecorded(
        address indexed task, address indexed account, uint256 acceptedProposals, uint256 majorityVotes, bool completed
    );

    /// @notice Only a task created by this factory may write records.
    /// @param caller The caller that is not a task of this factory.
    error TaskFactoryNotTask(address caller);
    /// @notice A constructor address argument must not be zero.
    /// @param which 0 token, 1 implementation.
    error TaskFactoryZeroAddress(uint8 which);
    /// @notice The task index is out of range.
    /// @param index The index given.
    /// @param count The number of tasks.
    error TaskFactoryIndexOutOfRange(uint256 index, uint256 count);

    /// @notice Creates an AllianceTask clone, initializes it with `config` and escrows the reward pool from the caller.
    /// @param config The task configuration (validated by the task; see docs/alliance-protocol.md).
    /// @return task The new task's address.
    /// @dev The caller must have approved `config.rewardPool` tokens to this factory.
    function createAllianceTask(IAllianceTask.AllianceConfig calldata config) external returns (address task);

    /// @notice Adds a finished participation to `account`'s record. Only callable by tasks of this factory.
    /// @param account The participant.
    /// @param acceptedProposals Proposals of `account` accepted in the task.
    /// @param majorityVotes Votes of `account` on the majority side in the task.
    /// @param completed Whether the task finished all its rounds.
    function recordParticipation(address account, uint256 acceptedProposals, uint256 majorityVotes, bool completed) external;

    /// @notice Whether `task` was created by this factory.
    /// @param task The address to check.
    /// @return True for tasks of this factory.
    function isTask(address task) external view returns (bool);

    /// @notice Number of tasks created.
    /// @return The count.
    function taskCount() external view returns (uint256);

    /// @notice The task at `index` in creation order.
    /// @param index Index below {taskCount}.
    /// @return The task address.
    function taskAt(uint256 index) external view returns (address);

    /// @notice All tasks in creation order.
    /// @return The task addresses.
    function tasks() external view returns (address[] memory);

    /// @notice The on-chain record of `account`.
    /// @param account The address.
    /// @return The record.
    function recordOf(address account) external view returns (Record memory);
}
