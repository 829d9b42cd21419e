// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ITaskFactory} from "./interfaces/ITaskFactory.sol";
import {IAllianceTask} from "./alliance/IAllianceTask.sol";
import {AllianceTask} from "./alliance/AllianceTask.sol";
import {IArenaTask} from "./arena/IArenaTask.sol";
import {ArenaTask} from "./arena/ArenaTask.sol";
import {ArenaConfigLib} from "./arena/ArenaConfigLib.sol";

/// @title TaskFactory
/// @notice Creates each task as its own minimal-proxy clone of an implementation, escrows its
/// reward pool, and keeps the registry of tasks and of each address's participation record.
/// @dev The owner role (the deployer; governance later) sets the ArenaTask implementation once,
/// keeps the community allow-list of arena creators and the creator stake that qualifies alone.
contract TaskFactory is ITaskFactory, Ownable {
    using SafeERC20 for IERC20;

    /// @notice Creator stake that qualifies an arena creator on its own until the owner changes it.
    uint256 public constant DEFAULT_ARENA_CREATOR_STAKE = 100 ether;

    /// @notice The staking and reward token of every task.
    IERC20 public immutable token;
    /// @notice The AllianceTask implementation that tasks clone.
    address public immutable allianceImplementation;
    /// @notice The ArenaTask implementation that arena tasks clone (zero until set).
    address public arenaImplementation;
    /// @notice A creatorStake at least this large qualifies an arena creator on its own.
    uint256 public arenaCreatorStake = DEFAULT_ARENA_CREATOR_STAKE;

    address[] private _tasks;
    mapping(address task => bool) private _isTask;
    mapping(address task => bool) private _isArena;
    mapping(address account => bool) private _community;
    mapping(address account => Record) private _records;

    /// @notice Sets the token and the AllianceTask implementation; the deployer becomes the owner.
    /// @param token_ The ERC20 used for stakes and rewards.
    /// @param allianceImplementation_ A deployed AllianceTask (its initializers are disabled).
    constructor(IERC20 token_, address allianceImplementation_) Ownable(msg.sender) {
        if (address(token_) == address(0)) revert TaskFactoryZeroAddress(0);
        if (allianceImplementation_ == address(0)) revert TaskFactoryZeroAddress(1);
        token = token_;
        allianceImplementation = allianceImplementation_;
    }

    // ------------------------------------------------------------- owner

    /// @notice Sets the ArenaTask implementation (once).
    /// @param implementation A deployed ArenaTask (its initializers are disabled).
    /// @dev Emits {ArenaImplementationSet}.
    function setArenaImplementation(address implementation) external onlyOwner {
        if (implementation == address(0)) revert TaskFactoryZeroArenaImplementation();
        if (arenaImplementation != address(0)) revert TaskFactoryArenaImplementationAlreadySet(arenaImplementation);
        arenaImplementation = implementation;
        emit ArenaImplementationSet(implementation);
    }

    /// @notice Adds `account` to, or removes it from, the community allow-list of arena creators.
    /// @param account The address.
    /// @param allowed Whether it may create arena tasks without stake or record.
    /// @dev Emits {CommunityMemberSet}.
    function setCommunityMember(address account, bool allowed) external onlyOwner {
        _community[account] = allowed;
        emit CommunityMemberSet(account, allowed);
    }

    /// @notice Sets the creator stake that qualifies an arena creator on its own.
    /// @param amount The new amount.
    /// @dev Emits {ArenaCreatorStakeSet}.
    function setArenaCreatorStake(uint256 amount) external onlyOwner {
        arenaCreatorStake = amount;
        emit ArenaCreatorStakeSet(amount);
    }

    // ------------------------------------------------------------- creation

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
    function createArenaTask(IArenaTask.ArenaConfig calldata config) external returns (address task) {
        address implementation = arenaImplementation;
        if (implementation == address(0)) revert TaskFactoryArenaImplementationUnset();
        if (!_qualifies(msg.sender, config.creatorStake)) {
            revert TaskFactoryCreatorNotQualified(msg.sender, config.creatorStake, arenaCreatorStake);
        }
        ArenaConfigLib.validate(config);
        task = Clones.clone(implementation);
        _isTask[task] = true;
        _isArena[task] = true;
        _tasks.push(task);
        ArenaTask(task).initialize(msg.sender, address(token), config);
        emit ArenaTaskCreated(task, msg.sender, config.specHash, config.rewardPool, config.creatorStake);
        token.safeTransferFrom(msg.sender, task, config.rewardPool + config.creatorStake);
    }

    /// @inheritdoc ITaskFactory
    function createDerivedAllianceTask(
        address creator,
        bytes32 configHash,
        uint256 rewardPool,
        bytes32 initialModelHash,
        IAllianceTask.AllianceConfig calldata config
    ) external returns (address task) {
        if (!_isArena[msg.sender]) revert TaskFactoryNotArenaTask(msg.sender);
        IAllianceTask.AllianceConfig memory c = config;
        c.rewardPool = 0;
        c.initialModelHash = bytes32(0);
        if (configHash != bytes32(0)) {
            bytes32 actual = keccak256(abi.encode(c));
            if (actual != configHash) revert TaskFactoryAllianceConfigMismatch(configHash, actual);
        }
        c.rewardPool = rewardPool;
        c.initialModelHash = initialModelHash;
        task = Clones.clone(allianceImplementation);
        _isTask[task] = true;
        _tasks.push(task);
        AllianceTask(task).initialize(creator, address(token), c);
        emit AllianceTaskCreated(task, creator, c.specHash, rewardPool);
        emit AllianceTaskDerived(msg.sender, task);
        token.safeTransferFrom(msg.sender, task, rewardPool);
    }

    // ------------------------------------------------------------- records

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

    // ------------------------------------------------------------- views

    /// @inheritdoc ITaskFactory
    function isTask(address task) external view returns (bool) {
        return _isTask[task];
    }

    /// @inheritdoc ITaskFactory
    function isArenaTask(address task) external view returns (bool) {
        return _isArena[task];
    }

    /// @inheritdoc ITaskFactory
    function isCommunityMember(address account) external view returns (bool) {
        return _community[account];
    }

    /// @inheritdoc ITaskFactory
    function qualifiesAsCreator(address account, uint256 stake) external view returns (bool) {
        return _qualifies(account, stake);
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

    /// @dev Qualified by stake, by a record of a finished training or validation, or by the allow-list.
    function _qualifies(address account, uint256 stake) private view returns (bool) {
        if (stake >= arenaCreatorStake) return true;
        Record memory rec = _records[account];
        if (rec.tasksCompleted > 0 && (rec.acceptedProposals > 0 || rec.majorityVotes > 0)) return true;
        return _community[account];
    }
}
