// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IArenaTask
/// @notice Types, events and errors of a competition task: trainers submit models, validators
/// drawn by a stake-weighted lottery score them with commit-reveal, and the contract pays by score
/// (see docs/arena-protocol.md, the normative rules).
interface IArenaTask {
    /// @notice Lifecycle of a task (phases inside Active follow from the clock and counters).
    enum Status {
        Active,
        Finished,
        Closed
    }

    /// @notice Role of an address in a task; an address has at most one.
    enum Role {
        None,
        Trainer,
        Validator
    }

    /// @notice Creation parameters; every field is validated by {initialize}.
    struct ArenaConfig {
        bytes32 specHash;
        bytes32 evalSetHash;
        bytes32 allianceConfigHash;
        uint256 rewardPool;
        uint256 creatorStake;
        uint256 trainerStake;
        uint256 validatorStake;
        uint16 maxTrainers;
        uint16 maxValidators;
        uint16 validatorsPerSubmission;
        uint16 maxValidationsPerValidator;
        uint16 trainerShareBps;
        uint16 validatorSlashBps;
        uint16 absentSlashBps;
        uint16 allianceShareBps;
        uint64 validatorTolerance;
        uint8 scoreExponent;
        uint8 weightMode;
        bool openDerive;
        uint32 submissionWindow;
        uint32 commitWindow;
        uint32 revealWindow;
        uint32 maxDuration;
    }

    /// @notice Public view of one submission.
    struct SubmissionView {
        address trainer;
        bytes32 modelHash;
        address[] validators;
        uint64 score;
        uint8 committed;
        uint8 revealed;
        bool drawn;
        bool scored;
        bool settled;
    }

    /// @notice Public view of one address's account.
    struct AccountView {
        Role role;
        bool withdrawn;
        uint16 index;
        uint256 deposit;
        uint256 stake;
        uint256 weight; // current lottery weight (0 once rate-limited)
        uint256 assigned;
        uint256 goodVotes;
        uint256 closeness;
    }

    /// @notice Public view of one validator's score for one submission.
    struct VoteView {
        bool committed;
        bool revealed;
        bytes32 commitment;
        uint64 score;
    }

    /// @notice Deadlines and counters of the task.
    struct ProgressView {
        Status status;
        uint64 createdAt;
        uint64 submissionDeadline;
        uint64 commitDeadline;
        uint64 revealDeadline;
        uint64 closesAt;
        uint16 trainers;
        uint16 validators;
        uint16 submissions;
        uint16 drawn;
        uint16 settled;
        uint32 assignedVotes;
        uint32 committedVotes;
        uint32 revealedVotes;
    }

    /// @notice Budgets fixed at finalization, what is left of them, the winner, and what the creator is owed.
    struct OutcomeView {
        bool hasWinner;
        uint16 winner;
        bytes32 winnerModelHash;
        uint256 pool;
        uint256 allianceReserve;
        uint256 trainerBudget;
        uint256 validatorBudget;
        uint256 sumTrainerWeight;
        uint256 sumCloseness;
        uint256 trainerBudgetLeft;
        uint256 validatorBudgetLeft;
        uint256 creatorOwed;
        address alliance;
    }

    // ---------------------------------------------------------------- events

    /// @notice The task was configured; `rewardPool` and `creatorStake` are escrowed by the factory.
    event TaskInitialized(
        address indexed creator,
        bytes32 indexed specHash,
        bytes32 evalSetHash,
        uint256 rewardPool,
        uint256 creatorStake,
        uint256 allianceReserve
    );
    /// @notice `trainer` staked `stake` and got trainer `index`.
    event TrainerRegistered(address indexed trainer, uint256 stake, uint256 index);
    /// @notice `validator` staked `stake` for lottery weight `weight` and got validator `index`.
    event ValidatorRegistered(address indexed validator, uint256 stake, uint256 weight, uint256 index);
    /// @notice `trainer` submitted `modelHash` as submission `submission`.
    event ModelSubmitted(uint256 indexed submission, address indexed trainer, bytes32 modelHash);
    /// @notice `validators` (in draw order) were drawn with `seed` to score `submission`.
    event ValidatorsDrawn(uint256 indexed submission, bytes32 seed, address[] validators);
    /// @notice `validator` reached maxValidationsPerValidator and leaves the lottery.
    event ValidatorRateLimited(address indexed validator, uint256 assigned);
    /// @notice `validator` committed to a score for `submission`.
    event ScoreCommitted(uint256 indexed submission, address indexed validator, bytes32 commitment);
    /// @notice `validator` revealed `score` for `submission`.
    event ScoreRevealed(uint256 indexed submission, address indexed validator, uint64 score);
    /// @notice `submission` got `score` (the stake-weighted median; `scored` false when no score was revealed).
    event SubmissionSettled(uint256 indexed submission, uint64 score, bool scored, uint256 revealed);
    /// @notice `validator`'s score for `submission` earned `closeness` reward points.
    event ValidatorCredited(uint256 indexed submission, address indexed validator, uint256 closeness);
    /// @notice `account` lost `amount` of stake (`reason`: 1 outside tolerance, 2 did not reveal, 3 trainer did not submit).
    event Slashed(uint256 indexed submission, address indexed account, uint256 amount, uint8 reason);
    /// @notice All submissions were settled and the budgets fixed.
    event TaskFinalized(
        address indexed finalizer,
        bool hasWinner,
        uint256 winner,
        bytes32 winnerModelHash,
        uint256 trainerBudget,
        uint256 validatorBudget,
        uint256 creatorRefund
    );
    /// @notice The task was closed after maxDuration without being finalized; `refund` went to the creator.
    event TaskClosed(address indexed closer, uint256 refund);
    /// @notice An AllianceTask `alliance` was derived with `rewardPool` from the winner's `initialModelHash`.
    event AllianceDerived(address indexed alliance, address indexed caller, uint256 rewardPool, bytes32 initialModelHash);
    /// @notice The alliance reserve `amount` was credited back to the creator (no winner, or not derived in time).
    event AllianceReserveReleased(uint256 amount);
    /// @notice `account` withdrew `amount` tokens, of which `reward` is its reward.
    event Withdrawn(address indexed account, uint256 amount, uint256 reward);

    // ------------------------------------------------------- config errors

    /// @notice The spec hash must not be zero.
    error ArenaTaskZeroSpecHash();
    /// @notice The evaluation-set hash must not be zero.
    error ArenaTaskZeroEvalSetHash();
    /// @notice The reward pool must be positive.
    error ArenaTaskZeroRewardPool();
    /// @notice A required stake must be positive.
    /// @param which 0 trainerStake, 1 validatorStake.
    error ArenaTaskZeroStake(uint8 which);
    /// @notice An amount is larger than the task can account for.
    /// @param amount The amount given.
    /// @param max The largest amount accepted.
    error ArenaTaskAmountTooLarge(uint256 amount, uint256 max);
    /// @notice A size limit is zero or above its protocol cap.
    /// @param which 0 maxTrainers, 1 maxValidators, 2 validatorsPerSubmission, 3 maxValidationsPerValidator.
    /// @param value The value given.
    /// @param max The protocol cap.
    error ArenaTaskLimitOutOfRange(uint8 which, uint256 value, uint256 max);
    /// @notice A basis-point field exceeds 10000.
    /// @param which 0 trainerShare, 1 validatorSlash, 2 absentSlash, 3 allianceShare.
    /// @param bps The value given.
    error ArenaTaskBpsTooHigh(uint8 which, uint256 bps);
    /// @notice validatorTolerance exceeds the score scale.
    /// @param tolerance The value given.
    /// @param max The score scale.
    error ArenaTaskToleranceTooHigh(uint256 tolerance, uint256 max);
    /// @notice scoreExponent must be in 1..4.
    /// @param exponent The value given.
    error ArenaTaskScoreExponentOutOfRange(uint256 exponent);
    /// @notice weightMode is not a known concave weight function.
    /// @param mode The value given.
    error ArenaTaskUnknownWeightMode(uint256 mode);
    /// @notice Every window must be positive.
    /// @param phase 0 submission, 1 commit, 2 reveal.
    error ArenaTaskZeroWindow(uint8 phase);
    /// @notice maxDuration must cover the three windows.
    /// @param maxDuration The value given.
    /// @param needed The sum of the windows.
    error ArenaTaskDurationTooShort(uint256 maxDuration, uint256 needed);
    /// @notice openDerive needs a non-zero allianceConfigHash, so nobody but the creator picks the Alliance parameters.
    error ArenaTaskOpenDeriveNeedsConfigHash();

    // ----------------------------------------------------- runtime errors

    /// @notice The task is not in the status this action needs.
    /// @param expected The status needed (0 Active, 1 Finished, 2 Closed).
    /// @param actual The current status.
    error ArenaTaskWrongStatus(uint8 expected, uint8 actual);
    /// @notice The creator holds the evaluation set and can be neither trainer nor validator.
    /// @param account The creator.
    error ArenaTaskCreatorCannotJoin(address account);
    /// @notice The address already has a role in this task (one role per address).
    /// @param account The caller.
    /// @param role Its role (1 Trainer, 2 Validator).
    error ArenaTaskAlreadyRegistered(address account, uint8 role);
    /// @notice The task has no room for another participant of this role.
    /// @param role 1 Trainer, 2 Validator.
    /// @param max The cap.
    error ArenaTaskFull(uint8 role, uint256 max);
    /// @notice The stake offered is below the role's minimum.
    /// @param amount The stake offered.
    /// @param required The minimum.
    error ArenaTaskStakeTooLow(uint256 amount, uint256 required);
    /// @notice The submission phase is over (deadline passed or every trainer slot submitted).
    /// @param deadline The submission deadline.
    /// @param timestamp The block's timestamp.
    error ArenaTaskSubmissionClosed(uint256 deadline, uint256 timestamp);
    /// @notice The caller is not a registered trainer.
    /// @param account The caller.
    error ArenaTaskNotTrainer(address account);
    /// @notice The trainer already submitted a model.
    /// @param account The caller.
    /// @param submission Its submission index.
    error ArenaTaskAlreadySubmitted(address account, uint256 submission);
    /// @notice The model hash must not be zero.
    error ArenaTaskZeroModelHash();
    /// @notice Validators are drawn only once the submission phase is over.
    /// @param deadline The submission deadline.
    /// @param timestamp The block's timestamp.
    error ArenaTaskSubmissionPhaseNotOver(uint256 deadline, uint256 timestamp);
    /// @notice Every submission is already drawn.
    /// @param submissions The number of submissions.
    error ArenaTaskNothingToDraw(uint256 submissions);
    /// @notice No validator registered, so none can be drawn.
    error ArenaTaskNoValidators();
    /// @notice Every registered validator has reached maxValidationsPerValidator: the rate limit leaves nobody to draw.
    /// @param submission The submission being drawn.
    /// @param maxValidations The per-validator limit.
    error ArenaTaskRateLimitReached(uint256 submission, uint256 maxValidations);
    /// @notice The submission index is not below the number of submissions.
    /// @param submission The index given.
    /// @param count The number of submissions.
    error ArenaTaskSubmissionOutOfRange(uint256 submission, uint256 count);
    /// @notice The caller was not drawn to score this submission (or it is not drawn yet).
    /// @param account The caller.
    /// @param submission The submission.
    error ArenaTaskNotAssigned(address account, uint256 submission);
    /// @notice The validator already committed a score for this submission.
    /// @param account The caller.
    /// @param submission The submission.
    error ArenaTaskAlreadyCommitted(address account, uint256 submission);
    /// @notice The commitment must not be zero.
    error ArenaTaskZeroCommitment();
    /// @notice The deadline of this phase has passed.
    /// @param deadline The phase's deadline.
    /// @param timestamp The block's timestamp.
    error ArenaTaskDeadlinePassed(uint256 deadline, uint256 timestamp);
    /// @notice The previous phase is still open: not everyone acted and its deadline has not passed.
    /// @param deadline The previous phase's deadline.
    /// @param acted How many of its actions happened.
    /// @param expected How many it has.
    error ArenaTaskPhaseNotOver(uint256 deadline, uint256 acted, uint256 expected);
    /// @notice The validator did not commit a score for this submission.
    /// @param account The caller.
    /// @param submission The submission.
    error ArenaTaskNotCommitted(address account, uint256 submission);
    /// @notice The validator already revealed its score for this submission.
    /// @param account The caller.
    /// @param submission The submission.
    error ArenaTaskAlreadyRevealed(address account, uint256 submission);
    /// @notice A score must be at most SCORE_SCALE (1.0 in fixed point).
    /// @param score The score given.
    /// @param max SCORE_SCALE.
    error ArenaTaskScoreOutOfRange(uint256 score, uint256 max);
    /// @notice The revealed score and salt do not hash to the commitment.
    /// @param account The caller.
    /// @param submission The submission.
    error ArenaTaskCommitmentMismatch(address account, uint256 submission);
    /// @notice maxDuration has not run out yet.
    /// @param closesAt The first moment after which the action works is closesAt + 1.
    /// @param timestamp The block's timestamp.
    error ArenaTaskDurationNotOver(uint256 closesAt, uint256 timestamp);
    /// @notice No submission was scored, so there is no winner model.
    error ArenaTaskNoWinner();
    /// @notice An Alliance task was already derived from this task.
    /// @param alliance Its address.
    error ArenaTaskAllianceAlreadyDerived(address alliance);
    /// @notice No alliance reserve is held (allianceShareBps is zero, or it was released).
    error ArenaTaskNoAllianceReserve();
    /// @notice Only the creator may derive the Alliance task (openDerive is off).
    /// @param account The caller.
    error ArenaTaskNotAllowedToDerive(address account);
    /// @notice This address already withdrew.
    /// @param account The caller.
    error ArenaTaskAlreadyWithdrawn(address account);
    /// @notice This address has nothing to withdraw.
    /// @param account The caller.
    error ArenaTaskNothingToWithdraw(address account);
}
