// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IAllianceTask} from "../alliance/IAllianceTask.sol";
import {IArenaTask} from "../arena/IArenaTask.sol";

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

    /// @notice A new ArenaTask clone `task` was created by `creator`; `rewardPool` and `creatorStake` are escrowed.
    event ArenaTaskCreated(
        address indexed task, address indexed creator, bytes32 indexed specHash, uint256 rewardPool, uint256 creatorStake
    );
    /// @notice Arena task `arena` derived the AllianceTask `alliance`.
    event AllianceTaskDerived(address indexed arena, address indexed alliance);
    /// @notice The ArenaTask implementation that arena tasks clone was set to `implementation`.
    event ArenaImplementationSet(address indexed implementation);
    /// @notice `account` was added to (`allowed`) or removed from the community allow-list of arena creators.
    event CommunityMemberSet(address indexed account, bool allowed);
    /// @notice The stake an arena creator must lock when not qualified otherwise is now `amount`.
    event ArenaCreatorStakeSet(uint256 amount);

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

    /// @notice The caller qualifies as an arena creator by none of: stake, on-chain record, allow-list.
    /// @param creator The caller.
    /// @param stake The creatorStake offered.
    /// @param required The creator stake that qualifies on its own.
    error TaskFactoryCreatorNotQualified(address creator, uint256 stake, uint256 required);
    /// @notice Only an ArenaTask created by this factory may derive an AllianceTask.
    /// @param caller The caller that is not an arena task of this factory.
    error TaskFactoryNotArenaTask(address caller);
    /// @notice The ArenaTask implementation is not set yet (see {setArenaImplementation}).
    error TaskFactoryArenaImplementationUnset();
    /// @notice The ArenaTask implementation is set once and never changed.
    /// @param current The implementation already set.
    error TaskFactoryArenaImplementationAlreadySet(address current);
    /// @notice An address argument must not be zero.
    error TaskFactoryZeroArenaImplementation();
    /// @notice The Alliance configuration does not match the hash the arena task committed to at creation.
    /// @param expected The committed hash.
    /// @param actual The hash of the configuration given (rewardPool and initialModelHash zeroed).
    error TaskFactoryAllianceConfigMismatch(bytes32 expected, bytes32 actual);

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

    /// @notice Creates an ArenaTask clone, initializes it with `config` and escrows `rewardPool + creatorStake`
    /// from the caller, who must qualify by creatorStake >= {arenaCreatorStake}, a record of a finished
    /// training or validation, or the community allow-list.
    /// @param config The task configuration (validated by the task; see docs/arena-protocol.md).
    /// @return task The new task's address.
    /// @dev Emits {ArenaTaskCreated}. The caller must have approved rewardPool + creatorStake to this factory.
    function createArenaTask(IArenaTask.ArenaConfig calldata config) external returns (address task);

    /// @notice Creates the AllianceTask derived from the calling arena task, with `creator` as its creator,
    /// funded with `rewardPool` moved from the arena task and starting from `initialModelHash`.
    /// @param creator The arena task's creator (receives the Alliance's unspent pool).
    /// @param configHash Zero, or keccak256(abi.encode(config)) with rewardPool and initialModelHash zeroed.
    /// @param rewardPool The Alliance's reward pool (the arena's alliance reserve, approved to this factory).
    /// @param initialModelHash The arena winner's model hash.
    /// @param config The other Alliance parameters (its rewardPool and initialModelHash are replaced).
    /// @return task The new AllianceTask.
    /// @dev Only arena tasks of this factory. Emits {AllianceTaskCreated} and {AllianceTaskDerived}.
    function createDerivedAllianceTask(
        address creator,
        bytes32 configHash,
        uint256 rewardPool,
        bytes32 initialModelHash,
        IAllianceTask.AllianceConfig calldata config
    ) external returns (address task);

    /// @notice Whether `task` is an ArenaTask created by this factory.
    /// @param task The address to check.
    /// @return True for arena tasks of this factory.
    function isArenaTask(address task) external view returns (bool);

    /// @notice Whether `account` is on the community allow-list of arena creators.
    /// @param account The address.
    /// @return True when allowed.
    function isCommunityMember(address account) external view returns (bool);

    /// @notice Whether `account` may create an arena task locking `stake` (see {createArenaTask}).
    /// @param account The would-be creator.
    /// @param stake The creatorStake it would lock.
    /// @return True when it qualifies.
    function qualifiesAsCreator(address account, uint256 stake) external view returns (bool);
}
