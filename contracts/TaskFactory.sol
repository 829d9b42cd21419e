// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {ITaskFactory} from "./interfaces/ITaskFactory.sol";
import {IAllianceTask} from "./alliance/IAllianceTask.sol";
import {AllianceTask} from "./alliance/AllianceTask.sol";

/// @title TaskFactory
/// @notice Creates each task as its own minimal-proxy clone of an implementation, escrows its
/// reward pool, and keeps the registry of tasks and of each address's participation record.
contract TaskFactory is ITaskFactory {
    using SafeERC20 for IERC20;

    /// @notice The staking and reward token of every task.
    IERC20 public immutable token;
    /// @notice The AllianceTask implementation that tasks clone.
    address public immutable allianceImplementation;

    address[] private _tasks;
    mapping(address task => bool) private _isTask;
    mapping(address account => Record) private _records;

    /// @notice Sets the token and the AllianceTask implementation.
    /// @param token_ The ERC20 used for stakes and rewards.
    /// @param allianceImplementation_ A deployed AllianceTask (its initializers are disabled).
    constructor(IERC20 token_, address allianceImplementation_) {
        if (address(token_) == address(0)) revert TaskFactoryZeroAddress(0);
        if (allianceImplementation_ == address(0)) revert TaskFactoryZeroAddress(1);
        token = token_;
        allianceImplementation = allianceImplementation_;
    }

    /// @inheritdoc ITaskFactory
    function createAllianceTask(IAllianceTask.AllianceConfig calldata config) external returns (address task) {
        task = Clones.clone(allianceImplementation);
        _isTask[task] = true;
        _tasks.push(task);
        AllianceTask(task).initialize(msg.sender, address(token), config);
        emit AllianceTaskCreated(task, msg.sender, config.specHash, config.rewardPool);
        token.safeTransferFrom(msg.sender, task, config.rewardPool);
    }

    /// @inheritdoc ITaskFactory
    function recordParticipation(address account, uint256 acceptedProposals, uint256 majorityVotes, bool completed)
        external
    {
        if (!_isTask[msg.sender]) revert TaskFactoryNotTask(msg.sender);
        Record storage rec = _records[account];
        rec.tasksJoined += 1;
        if (completed) rec.tasksCompleted += 1;
        rec.acceptedProposals += uint64(acceptedProposals);
        rec.majorityVotes += uint64(majorityVotes);
        emit ParticipationRecorded(msg.sender, account, acceptedProposals, majorityVotes, completed);
    }

    /// @inheritdoc ITaskFactory
    function isTask(address task) external view returns (bool) {
        return _isTask[task];
    }

    /// @inheritdoc ITaskFactory
    function taskCount() external view returns (uint256) {
        return _tasks.length;
    }

    /// @inheritdoc ITaskFactory
    function taskAt(uint256 index) external view returns (address) {
        if (index >= _tasks.length) revert TaskFactoryIndexOutOfRange(index, _tasks.length);
        return _tasks[index];
    }

    /// @inheritdoc ITaskFactory
    function tasks() external view returns (address[] memory) {
        return _tasks;
    }

    /// @inheritdoc ITaskFactory
    function recordOf(address account) external view returns (Record memory) {
        return _records[account];
    }
}
