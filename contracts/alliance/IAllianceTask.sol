// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IAllianceTask
/// @notice Types, events and errors of a collaborative federated-learning task
/// (see docs/alliance-protocol.md, the normative rules).
interface IAllianceTask {
    /// @notice Lifecycle of a task.
    enum Status {
        Joining,
        Training,
        Finished,
        Closed
    }

    /// @notice Role of a participant in one round. A Proposer also votes (its vote on its own
    /// update does not count); a Voter only votes.
    enum Role {
        None,
        Proposer,
        Voter,
        Ejected
    }

    /// @notice Creation parameters; every field is validated by {initialize}.
    struct AllianceConfig {
        bytes32 specHash;
        bytes32 initialModelHash;
        uint256 rewardPool;
        uint256 stakeRequired;
        uint16 minParticipants;
        uint16 maxParticipants;
        uint16 rounds;
        uint16 proposerRatioBps;
        uint16 proposerShareBps;
        uint16 proposerSlashBps;
        uint16 voterSlashBps;
        uint16 absentSlashBps;
        uint16 finalizerBonusBps;
        uint64 sampleCap;
        uint32 proposeWindow;
        uint32 commitWindow;
        uint32 revealWindow;
        uint32 maxLifecycle;
    }

    /// @notice Public view of one round.
    struct RoundView {
        bytes32 seed;
        uint64 proposeDeadline;
        uint64 commitDeadline;
        uint64 revealDeadline;
        address[] proposers;
        uint256 submittedBitmap;
        uint256 outcomeBitmap;
        uint16 submittedCount;
        uint16 committedCount;
        uint16 revealedCount;
        bool finalized;
        uint16 voterCount;
    }

    /// @notice Public view of one address's account in the task.
    struct ParticipantView {
        bool joined;
        bool withdrawn;
        uint16 index;
        uint256 stake;
        uint256 claimable;
        uint16 acceptedProposals;
        uint16 majorityVotes;
    }

    /// @notice Public view of one voter's vote in one round.
    struct VoteView {
        bool committed;
        bool revealed;
        bytes32 commitment;
        uint256 acceptBitmap;
        bytes32 aggregateHash;
    }

    // ---------------------------------------------------------------- events

    /// @notice The task was configured and its reward pool escrowed.
    event TaskInitialized(address indexed creator, bytes32 indexed specHash, uint256 rewardPool, uint256 createdAt);
    /// @notice `participant` joined with `stake` tokens and got participant `index`.
    event Joined(address indexed participant, uint256 stake, uint256 index);
    /// @notice Round `round` started; `proposers` are in proposer-index order.
    event RoundStarted(
        uint256 indexed round,
        bytes32 seed,
        address[] proposers,
        uint256 proposeDeadline,
        uint256 commitDeadline,
        uint256 revealDeadline
    );
    /// @notice Proposer `proposer` (index `proposerIndex`) submitted its update.
    event UpdateSubmitted(
        uint256 indexed round, uint256 indexed proposerIndex, address indexed proposer, bytes32 updateHash, uint256 numSamples
    );
    /// @notice `voter` committed to a vote.
    event VoteCommitted(uint256 indexed round, address indexed voter, bytes32 commitment);
    /// @notice `voter` revealed its vote.
    event VoteRevealed(uint256 indexed round, address indexed voter, uint256 acceptBitmap, bytes32 aggregateHash);
    /// @notice Round `round` was finalized by `finalizer`.
    event RoundFinalized(
        uint256 indexed round,
        address indexed finalizer,
        uint256 outcomeBitmap,
        bytes32 globalModelHash,
        uint256 roundReward,
        uint256 finalizerBonus,
        uint256 returnedToPool
    );
    /// @notice `account` was credited `amount` for round `round`.
    event Rewarded(uint256 indexed round, address indexed account, uint256 amount);
    /// @notice `account` lost `amount` of stake in round `round` (`reason`: 1 rejected proposer, 2 minority voter, 3 absent).
    event Slashed(uint256 indexed round, address indexed account, uint256 amount, uint8 reason);
    /// @notice `account`'s stake (now `stake`) fell below half of stakeRequired in round `round`:
    /// it sits out every later round and withdraws what is left when the task ends.
    event Ejected(uint256 indexed round, address indexed account, uint256 stake);
    /// @notice The last round was finalized; `refund` of the pool was credited to the creator.
    event TaskFinished(uint256 refund);
    /// @notice The task was closed after its lifecycle; `refund` was credited to the creator.
    event TaskClosed(address indexed closer, uint256 refund);
    /// @notice `account` withdrew `amount` tokens (stake plus claimable).
    event Withdrawn(address indexed account, uint256 amount);

    // ------------------------------------------------------- config errors

    /// @notice The task spec hash must not be zero.
    error AllianceTaskZeroSpecHash();
    /// @notice The reward pool must be positive.
    error AllianceTaskZeroRewardPool();
    /// @notice The required stake must be positive.
    error AllianceTaskZeroStakeRequired();
    /// @notice An amount is larger than the task can account for.
    /// @param amount The amount given.
    /// @param max The largest amount accepted.
    error AllianceTaskAmountTooLarge(uint256 amount, uint256 max);
    /// @notice minParticipants is below the protocol floor of 3.
    /// @param minParticipants The value given.
    /// @param floor The smallest accepted value.
    error AllianceTaskMinParticipantsTooLow(uint256 minParticipants, uint256 floor);
    /// @notice maxParticipants must be at least minParticipants.
    /// @param maxParticipants The maximum given.
    /// @param minParticipants The minimum given.
    error AllianceTaskMaxBelowMin(uint256 maxParticipants, uint256 minParticipants);
    /// @notice maxParticipants exceeds MAX_PARTICIPANTS (255).
    /// @param maxParticipants The value given.
    /// @param limit The protocol limit.
    error AllianceTaskTooManyParticipants(uint256 maxParticipants, uint256 limit);
    /// @notice The task needs at least one round.
    error AllianceTaskZeroRounds();
    /// @notice proposerRatioBps must be in 1..9999.
    /// @param proposerRatioBps The value given.
    error AllianceTaskProposerRatioOutOfRange(uint256 proposerRatioBps);
    /// @notice With maxParticipants and proposerRatioBps a round could have more than MAX_PROPOSERS (128) proposers.
    /// @param proposers The largest proposer count the config allows.
    /// @param limit The protocol limit.
    error AllianceTaskTooManyProposers(uint256 proposers, uint256 limit);
    /// @notice proposerShareBps must be at most 10000 (100 %).
    /// @param bps The value given.
    error AllianceTaskProposerShareTooHigh(uint256 bps);
    /// @notice proposerSlashBps must be at most 10000 (100 %).
    /// @param bps The value given.
    error AllianceTaskProposerSlashTooHigh(uint256 bps);
    /// @notice voterSlashBps must be at most 10000 (100 %).
    /// @param bps The value given.
    error AllianceTaskVoterSlashTooHigh(uint256 bps);
    /// @notice absentSlashBps must be at most 10000 (100 %).
    /// @param bps The value given.
    error AllianceTaskAbsentSlashTooHigh(uint256 bps);
    /// @notice finalizerBonusBps must be at most 100 (1 %).
    /// @param bps The value given.
    /// @param max The largest accepted value.
    error AllianceTaskFinalizerBonusTooHigh(uint256 bps, uint256 max);
    /// @notice Every phase window (propose, commit, reveal) must be positive.
    /// @param phase 0 propose, 1 commit, 2 reveal.
    error AllianceTaskZeroWindow(uint8 phase);
    /// @notice maxLifecycle must be positive.
    error AllianceTaskZeroLifecycle();

    // ----------------------------------------------------- runtime errors

    /// @notice The task is not in the status this action needs.
    /// @param expected The status needed (0 Joining, 1 Training, 2 Finished, 3 Closed).
    /// @param actual The current status.
    error AllianceTaskWrongPhase(uint8 expected, uint8 actual);
    /// @notice This address already joined the task.
    /// @param account The caller.
    error AllianceTaskAlreadyJoined(address account);
    /// @notice The task already has maxParticipants participants.
    /// @param maxParticipants The limit.
    error AllianceTaskFull(uint256 maxParticipants);
    /// @notice The stake offered is below stakeRequired.
    /// @param amount The stake offered.
    /// @param required The stake required.
    error AllianceTaskStakeTooLow(uint256 amount, uint256 required);
    /// @notice Round 0 cannot start before minParticipants have joined.
    /// @param joined Participants so far.
    /// @param required minParticipants.
    error AllianceTaskNotEnoughParticipants(uint256 joined, uint256 required);
    /// @notice The next round cannot start before the current one is finalized.
    /// @param round The round still open.
    error AllianceTaskRoundNotFinalized(uint256 round);
    /// @notice The round given is not the task's current, open round.
    /// @param round The round given.
    /// @param current The current round (roundCount - 1, or type(uint256).max before round 0).
    error AllianceTaskWrongRound(uint256 round, uint256 current);
    /// @notice The proposer index is not below the round's proposer count.
    /// @param index The index given.
    /// @param count The round's proposer count.
    error AllianceTaskProposerIndexOutOfRange(uint256 index, uint256 count);
    /// @notice The caller is not the proposer at this index.
    /// @param account The caller.
    /// @param index The proposer index given.
    error AllianceTaskNotProposer(address account, uint256 index);
    /// @notice The proposer already submitted its update this round.
    /// @param round The round.
    /// @param index The proposer index.
    error AllianceTaskAlreadySubmitted(uint256 round, uint256 index);
    /// @notice The update hash must not be zero.
    error AllianceTaskZeroUpdateHash();
    /// @notice numSamples must be positive.
    error AllianceTaskZeroSamples();
    /// @notice The deadline of this phase has passed.
    /// @param deadline The phase's deadline (unix seconds).
    /// @param timestamp The block's timestamp.
    error AllianceTaskDeadlinePassed(uint256 deadline, uint256 timestamp);
    /// @notice The previous phase is still open: not everyone acted and its deadline has not passed.
    /// @param deadline The previous phase's deadline (unix seconds).
    /// @param acted How many of the previous phase's actors acted.
    /// @param expected How many actors that phase has.
    error AllianceTaskPhaseNotOver(uint256 deadline, uint256 acted, uint256 expected);
    /// @notice The caller is not a voter in this round (not a participant).
    /// @param account The caller.
    error AllianceTaskNotVoter(address account);
    /// @notice The caller was ejected (its stake fell below half of stakeRequired) and takes no
    /// part in later rounds; it can withdraw what is left once the task ends.
    /// @param account The caller.
    error AllianceTaskEjected(address account);
    /// @notice The caller already committed a vote this round.
    /// @param account The caller.
    error AllianceTaskAlreadyCommitted(address account);
    /// @notice The commitment must not be zero.
    error AllianceTaskZeroCommitment();
    /// @notice The commitment is malformed: its top 120 bits are all zero, so it is not a keccak256 hash.
    /// @param commitment The commitment given.
    error AllianceTaskMalformedCommitment(bytes32 commitment);
    /// @notice The caller did not commit a vote this round.
    /// @param account The caller.
    error AllianceTaskNotCommitted(address account);
    /// @notice The caller already revealed its vote this round.
    /// @param account The caller.
    error AllianceTaskAlreadyRevealed(address account);
    /// @notice The revealed vote does not hash to the commitment.
    /// @param account The caller.
    error AllianceTaskCommitmentMismatch(address account);
    /// @notice The round was already finalized.
    /// @param round The round.
    error AllianceTaskAlreadyFinalized(uint256 round);
    /// @notice The task's lifecycle has not yet run out, so it cannot be closed.
    /// @param closesAt The first moment after which close() works is closesAt + 1.
    /// @param timestamp The block's timestamp.
    error AllianceTaskLifecycleNotOver(uint256 closesAt, uint256 timestamp);
    /// @notice This address already withdrew.
    /// @param account The caller.
    error AllianceTaskAlreadyWithdrawn(address account);
    /// @notice This address has nothing to withdraw.
    /// @param account The caller.
    error AllianceTaskNothingToWithdraw(address account);
}
