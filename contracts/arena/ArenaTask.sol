// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IArenaTask} from "./IArenaTask.sol";
import {IAllianceTask} from "../alliance/IAllianceTask.sol";
import {ITaskFactory} from "../interfaces/ITaskFactory.sol";
import {SumTree} from "../utils/SumTree.sol";
import {StakeWeight} from "../utils/StakeWeight.sol";
import {ArenaConfigLib} from "./ArenaConfigLib.sol";

/// @title ArenaTask
/// @notice A competition task: trainers stake and submit a model hash; for each submission a
/// stake-weighted lottery (concave weight, rate-limited) draws validators, who score it on the
/// creator's evaluation set with commit-reveal; a submission's score is the stake-weighted median
/// of its validators' scores; trainers are paid by a convex function of their score, validators
/// by closeness to the median, and validators far from it (or silent) are slashed. A finished task
/// can derive an AllianceTask that starts from the winner's model. docs/arena-protocol.md is the
/// normative description of every rule implemented here.
/// @dev Used through minimal-proxy clones made by {TaskFactory}. Rewards are pulled in {withdraw};
/// the last recipient of each budget also receives its rounding dust, so budgets pay out exactly.
contract ArenaTask is IArenaTask, Initializable, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using SumTree for SumTree.Tree;

    /// @notice Most trainers (and so submissions) a task can have.
    uint256 public constant MAX_TRAINERS = ArenaConfigLib.MAX_TRAINERS;
    /// @notice Most validators a task can have.
    uint256 public constant MAX_VALIDATORS = ArenaConfigLib.MAX_VALIDATORS;
    /// @notice Most validators drawn per submission (assignments pack into one uint256 of 16-bit indices).
    uint256 public constant MAX_VALIDATORS_PER_SUBMISSION = ArenaConfigLib.MAX_VALIDATORS_PER_SUBMISSION;
    /// @notice A score of 1.0 in fixed point; scores are in [0, SCORE_SCALE], higher is better.
    uint256 public constant SCORE_SCALE = ArenaConfigLib.SCORE_SCALE;
    uint256 private constant _BPS = 10_000;
    uint8 private constant _DRAWN = 1;
    uint8 private constant _SCORED = 2;
    uint8 private constant _SETTLED = 4;
    uint8 private constant _SLASH_TOLERANCE = 1;
    uint8 private constant _SLASH_ABSENT = 2;
    uint8 private constant _SLASH_NO_SUBMISSION = 3;

    /// @dev One slot per address (96 + 96 + 16 + 8 + 8 + 16 + 16 bits).
    struct Account {
        uint96 deposit;
        uint96 stake;
        uint16 index;
        Role role;
        bool withdrawn;
        uint16 assigned; // validator: submissions drawn for
        uint16 good; // validator: revealed scores within tolerance
    }

    /// @dev Slot 1: trainer, score, counters, flags. Slot 2: model hash. Slot 3: assignees.
    struct Submission {
        address trainer;
        uint64 score;
        uint8 n; // validators drawn
        uint8 committed;
        uint8 revealed;
        uint8 flags;
        bytes32 modelHash;
        uint256 assignees; // 16-bit validator index of slot j at bits 16 * j
    }

    struct Vote {
        bytes32 commitment;
        uint64 score;
        bool revealed;
    }

    struct Counters {
        uint16 trainers;
        uint16 validators;
        uint16 submissions;
        uint16 drawn;
        uint16 settled;
        uint16 eligible; // validators still in the lottery
        uint32 assigned;
        uint32 committed;
        uint32 revealed;
    }

    // ----------------------------------------------------------------- storage
    Status private _status;
    address private _creator;
    IERC20 private _token;
    ITaskFactory private _factory;
    ArenaConfig private _cfg;
    Counters private _counters;
    uint64 private _createdAt;

    uint256 private _pool; // reward not yet allocated: rewardPool - reserve + slashes
    uint256 private _allianceReserve;
    uint256 private _creatorLocked; // creatorStake, until withdrawn
    uint256 private _creatorRefund;
    uint256 private _sumTrainerWeight;
    uint256 private _sumCloseness;
    uint256 private _trainerClaims; // scored submissions with positive weight, unpaid
    uint256 private _validatorClaims; // validators with positive closeness, unpaid
    uint256 private _trainerBudget;
    uint256 private _trainerBudgetLeft;
    uint256 private _validatorBudget;
    uint256 private _validatorBudgetLeft;
    bool private _hasWinner;
    uint16 private _winner;
    address private _alliance;

    SumTree.Tree private _tree;
    address[] private _validatorList;
    address[] private _trainerList;
    Submission[] private _subs;
    mapping(address account => Account) private _accounts;
    mapping(address validator => uint256) private _closeness;
    mapping(address trainer => uint256) private _submissionOf; // index + 1
    mapping(uint256 submission => mapping(uint256 slot => Vote)) private _votes;

    /// @dev The implementation itself can never be initialized; only its clones are.
    constructor() {
        _disableInitializers();
    }

    // ------------------------------------------------------------- creation

    /// @notice Configures a fresh clone; called once by the factory that created it.
    /// @param creator_ The task creator (holds the evaluation set; receives refunds).
    /// @param token_ The staking and reward token.
    /// @param config The configuration, already checked by the factory with {ArenaConfigLib-validate}.
    /// @dev Emits a {TaskInitialized} event. The factory transfers rewardPool + creatorStake right after.
    function initialize(address creator_, address token_, ArenaConfig calldata config) external initializer {
        _creator = creator_;
        _token = IERC20(token_);
        _factory = ITaskFactory(msg.sender);
        _cfg = config;
        _createdAt = uint64(block.timestamp);
        uint256 reserve = config.rewardPool * config.allianceShareBps / _BPS;
        _allianceReserve = reserve;
        _pool = config.rewardPool - reserve;
        _creatorLocked = config.creatorStake;
        _tree.init(config.maxValidators);
        emit TaskInitialized(creator_, config.specHash, config.evalSetHash, config.rewardPool, config.creatorStake, reserve);
    }

    function _maxAmount(uint256 amount) private pure {
        if (amount > type(uint96).max) revert ArenaTaskAmountTooLarge(amount, type(uint96).max);
    }

    // ------------------------------------------------------------- registration

    /// @notice Stakes exactly `trainerStake` and registers the caller as a trainer.
    /// @dev Emits a {TrainerRegistered} event. Needs an allowance of trainerStake to this task.
    function registerTrainer() external nonReentrant {
        Counters memory c = _counters;
        _checkRegistration(c);
        if (c.trainers >= _cfg.maxTrainers) revert ArenaTaskFull(uint8(Role.Trainer), _cfg.maxTrainers);
        uint256 amount = _cfg.trainerStake;
        _accounts[msg.sender] = Account({
            deposit: uint96(amount),
            stake: uint96(amount),
            index: c.trainers,
            role: Role.Trainer,
            withdrawn: false,
            assigned: 0,
            good: 0
        });
        _trainerList.push(msg.sender);
        _counters.trainers = c.trainers + 1;
        emit TrainerRegistered(msg.sender, amount, c.trainers);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Stakes `amount` (>= validatorStake) and enters the caller in the validator lottery
    /// with weight w(amount) (concave: see weightMode).
    /// @param amount The stake; more stake, more weight, with diminishing returns.
    /// @dev Emits a {ValidatorRegistered} event. Needs an allowance of `amount` to this task.
    function registerValidator(uint256 amount) external nonReentrant {
        Counters memory c = _counters;
        _checkRegistration(c);
        if (c.validators >= _cfg.maxValidators) revert ArenaTaskFull(uint8(Role.Validator), _cfg.maxValidators);
        if (amount < _cfg.validatorStake) revert ArenaTaskStakeTooLow(amount, _cfg.validatorStake);
        _maxAmount(amount);
        uint256 weight = StakeWeight.weight(amount, _cfg.weightMode);
        _accounts[msg.sender] = Account({
            deposit: uint96(amount),
            stake: uint96(amount),
            index: c.validators,
            role: Role.Validator,
            withdrawn: false,
            assigned: 0,
            good: 0
        });
        _validatorList.push(msg.sender);
        _tree.set(c.validators, weight);
        _counters.validators = c.validators + 1;
        _counters.eligible = c.eligible + 1;
        emit ValidatorRegistered(msg.sender, amount, weight, c.validators);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    function _checkRegistration(Counters memory c) private view {
        _requireStatus(Status.Active);
        _requireSubmissionOpen(c);
        if (msg.sender == _creator) revert ArenaTaskCreatorCannotJoin(msg.sender);
        Role role = _accounts[msg.sender].role;
        if (role != Role.None) revert ArenaTaskAlreadyRegistered(msg.sender, uint8(role));
    }

    /// @notice Submits the caller's model hash (sha-256 of the model blob); once per trainer.
    /// @param modelHash The model's digest; must not be zero.
    /// @dev Emits a {ModelSubmitted} event.
    function submitModel(bytes32 modelHash) external {
        _requireStatus(Status.Active);
        Counters memory c = _counters;
        _requireSubmissionOpen(c);
        if (_accounts[msg.sender].role != Role.Trainer) revert ArenaTaskNotTrainer(msg.sender);
        uint256 existing = _submissionOf[msg.sender];
        if (existing != 0) revert ArenaTaskAlreadySubmitted(msg.sender, existing - 1);
        if (modelHash == bytes32(0)) revert ArenaTaskZeroModelHash();
        _subs.push(Submission({trainer: msg.sender, score: 0, n: 0, committed: 0, revealed: 0, flags: 0, modelHash: modelHash, assignees: 0}));
        _submissionOf[msg.sender] = uint256(c.submissions) + 1;
        _counters.submissions = c.submissions + 1;
        emit ModelSubmitted(c.submissions, msg.sender, modelHash);
    }

    // ------------------------------------------------------------- lottery

    /// @notice Draws validators for the next `count` undrawn submissions (anyone may call, after the
    /// submission phase and until the commit deadline).
    /// @param count Submissions to draw at most (the rest of them if fewer remain).
    /// @dev Emits one {ValidatorsDrawn} per submission and a {ValidatorRateLimited} per validator
    /// that reaches maxValidationsPerValidator. One pick costs O(log maxValidators) reads.
    function drawValidators(uint256 count) external {
        _requireStatus(Status.Active);
        Counters memory c = _counters;
        if (!_submissionOver(c)) revert ArenaTaskSubmissionPhaseNotOver(_submissionDeadline(), block.timestamp);
        uint256 deadline = _commitDeadline();
        if (block.timestamp > deadline) revert ArenaTaskDeadlinePassed(deadline, block.timestamp);
        if (c.drawn >= c.submissions) revert ArenaTaskNothingToDraw(c.submissions);
        if (c.validators == 0) revert ArenaTaskNoValidators();
        uint256 left = uint256(c.submissions) - c.drawn;
        uint256 end = c.drawn + (count < left ? count : left);
        for (uint256 s = c.drawn; s < end; ++s) {
            _draw(s, c);
        }
        c.drawn = uint16(end);
        _counters = c;
    }

    function _draw(uint256 s, Counters memory c) private {
        if (c.eligible == 0) revert ArenaTaskRateLimitReached(s, _cfg.maxValidationsPerValidator);
        uint256 m = _cfg.validatorsPerSubmission;
        if (m > c.eligible) m = c.eligible;
        bytes32 seed = keccak256(abi.encode(block.prevrandao, address(this), s));
        uint256[] memory picks = _tree.drawDistinct(seed, m);
        address[] memory chosen = new address[](m);
        uint256 packed;
        uint256 maxValidations = _cfg.maxValidationsPerValidator;
        for (uint256 j = 0; j < m; ++j) {
            uint256 v = picks[j];
            packed |= v << (16 * j);
            address who = _validatorList[v];
            chosen[j] = who;
            Account storage acc = _accounts[who];
            uint16 assigned = acc.assigned + 1;
            acc.assigned = assigned;
            if (assigned >= maxValidations) {
                _tree.set(v, 0);
                c.eligible -= 1;
                emit ValidatorRateLimited(who, assigned);
            }
        }
        Submission storage sub = _subs[s];
        sub.assignees = packed;
        sub.n = uint8(m);
        sub.flags = _DRAWN;
        c.assigned += uint32(m);
        emit ValidatorsDrawn(s, seed, chosen);
    }

    // ------------------------------------------------------------- scoring

    /// @notice Commits to a score for `submission`, to which the caller was drawn.
    /// @param submission The submission index.
    /// @param commitment keccak256(abi.encode(task, submission, validator, score, salt)).
    /// @dev Emits a {ScoreCommitted} event.
    function commitScore(uint256 submission, bytes32 commitment) external {
        _requireStatus(Status.Active);
        uint256 slot = _slotOf(submission, msg.sender);
        uint256 deadline = _commitDeadline();
        if (block.timestamp > deadline) revert ArenaTaskDeadlinePassed(deadline, block.timestamp);
        Vote storage vote = _votes[submission][slot];
        if (vote.commitment != bytes32(0)) revert ArenaTaskAlreadyCommitted(msg.sender, submission);
        if (commitment == bytes32(0)) revert ArenaTaskZeroCommitment();
        vote.commitment = commitment;
        _subs[submission].committed += 1;
        _counters.committed += 1;
        emit ScoreCommitted(submission, msg.sender, commitment);
    }

    /// @notice Reveals the committed score for `submission`.
    /// @param submission The submission index.
    /// @param score The metric in fixed point, 0..SCORE_SCALE (higher is better).
    /// @param salt The salt used in the commitment.
    /// @dev Emits a {ScoreRevealed} event.
    function revealScore(uint256 submission, uint64 score, bytes32 salt) external {
        _requireStatus(Status.Active);
        uint256 slot = _slotOf(submission, msg.sender);
        Counters memory c = _counters;
        if (!_commitOver(c)) revert ArenaTaskPhaseNotOver(_commitDeadline(), c.committed, c.assigned);
        uint256 deadline = _revealDeadline();
        if (block.timestamp > deadline) revert ArenaTaskDeadlinePassed(deadline, block.timestamp);
        Vote storage vote = _votes[submission][slot];
        if (vote.commitment == bytes32(0)) revert ArenaTaskNotCommitted(msg.sender, submission);
        if (vote.revealed) revert ArenaTaskAlreadyRevealed(msg.sender, submission);
        if (score > SCORE_SCALE) revert ArenaTaskScoreOutOfRange(score, SCORE_SCALE);
        bytes32 expected = keccak256(abi.encode(address(this), submission, msg.sender, score, salt));
        if (expected != vote.commitment) revert ArenaTaskCommitmentMismatch(msg.sender, submission);
        vote.revealed = true;
        vote.score = score;
        _subs[submission].revealed += 1;
        _counters.revealed = c.revealed + 1;
        emit ScoreRevealed(submission, msg.sender, score);
    }

    // ------------------------------------------------------------- settlement

    /// @notice Settles the next `count` unsettled submissions (median score, credits, slashes) once
    /// the reveal phase is over; lets a large task spread {finalize}'s work over several transactions.
    /// @param count Submissions to settle at most.
    /// @dev Emits {SubmissionSettled}, {ValidatorCredited} and {Slashed} events.
    function settle(uint256 count) external {
        _requireStatus(Status.Active);
        _requireRevealOver();
        _settleUpTo(count);
    }

    /// @notice Settles what is left, slashes trainers that never submitted, fixes the budgets and
    /// the winner, and finishes the task. Anyone may call once the reveal phase is over.
    /// @dev Emits {TaskFinalized} (and {AllianceReserveReleased} when there is no winner).
    function finalize() external {
        _requireStatus(Status.Active);
        _requireRevealOver();
        _settleUpTo(type(uint256).max);
        _slashNonSubmitters();
        uint256 base = _cfg.rewardPool - _cfg.rewardPool * _cfg.allianceShareBps / _BPS;
        uint256 trainerPart = base * _cfg.trainerShareBps / _BPS;
        uint256 validatorPart = _pool - trainerPart;
        uint256 refund;
        if (_sumTrainerWeight > 0) {
            _trainerBudget = trainerPart;
            _trainerBudgetLeft = trainerPart;
        } else {
            refund += trainerPart;
        }
        if (_sumCloseness > 0) {
            _validatorBudget = validatorPart;
            _validatorBudgetLeft = validatorPart;
        } else {
            refund += validatorPart;
        }
        _pool = 0;
        if (!_hasWinner && _allianceReserve > 0) {
            uint256 reserve = _allianceReserve;
            _allianceReserve = 0;
            refund += reserve;
            emit AllianceReserveReleased(reserve);
        }
        _creatorRefund += refund;
        _status = Status.Finished;
        emit TaskFinalized(
            msg.sender,
            _hasWinner,
            _winner,
            _hasWinner ? _subs[_winner].modelHash : bytes32(0),
            _trainerBudget,
            _validatorBudget,
            refund
        );
    }

    function _settleUpTo(uint256 count) private {
        Counters memory c = _counters;
        uint256 left = uint256(c.submissions) - c.settled;
        uint256 end = c.settled + (count < left ? count : left);
        for (uint256 s = c.settled; s < end; ++s) {
            _settleOne(s);
        }
        _counters.settled = uint16(end);
    }

    function _settleOne(uint256 s) private {
        Submission storage sub = _subs[s];
        uint256 n = sub.n;
        uint256[] memory scores = new uint256[](n);
        uint256[] memory weights = new uint256[](n);
        address[] memory who = new address[](n);
        uint256 count;
        uint256 packed = sub.assignees;
        for (uint256 j = 0; j < n; ++j) {
            address v = _validatorList[(packed >> (16 * j)) & 0xffff];
            Vote storage vote = _votes[s][j];
            if (!vote.revealed) {
                _slash(s, v, _cfg.absentSlashBps, _SLASH_ABSENT);
                continue;
            }
            scores[count] = vote.score;
            weights[count] = _accounts[v].deposit;
            who[count] = v;
            ++count;
        }
        if (count == 0) {
            sub.flags |= _SETTLED;
            emit SubmissionSettled(s, 0, false, 0);
            return;
        }
        uint256 median = _weightedMedian(scores, weights, count);
        sub.score = uint64(median);
        sub.flags |= _SETTLED | _SCORED;
        uint256 f = median ** _cfg.scoreExponent;
        if (f > 0) {
            _sumTrainerWeight += f;
            _trainerClaims += 1;
        }
        if (!_hasWinner || median > _subs[_winner].score) {
            _hasWinner = true;
            _winner = uint16(s);
        }
        emit SubmissionSettled(s, uint64(median), true, count);
        _creditValidators(s, scores, who, count, median);
    }

    function _creditValidators(uint256 s, uint256[] memory scores, address[] memory who, uint256 count, uint256 median)
        private
    {
        uint256 tolerance = _cfg.validatorTolerance;
        for (uint256 i = 0; i < count; ++i) {
            uint256 d = scores[i] > median ? scores[i] - median : median - scores[i];
            address v = who[i];
            if (d > tolerance) {
                _slash(s, v, _cfg.validatorSlashBps, _SLASH_TOLERANCE);
                continue;
            }
            uint256 closeness = tolerance - d + 1;
            uint256 before = _closeness[v];
            if (before == 0) _validatorClaims += 1;
            _closeness[v] = before + closeness;
            _sumCloseness += closeness;
            _accounts[v].good += 1;
            emit ValidatorCredited(s, v, closeness);
        }
    }

    /// @dev Lower stake-weighted median: sort by score (insertion sort, n <= 16), then the first
    /// score at which the cumulative weight reaches half the total (2 * cum >= total).
    function _weightedMedian(uint256[] memory scores, uint256[] memory weights, uint256 count)
        private
        pure
        returns (uint256)
    {
        uint256[] memory sc = new uint256[](count);
        uint256[] memory wt = new uint256[](count);
        uint256 total;
        for (uint256 i = 0; i < count; ++i) {
            uint256 s = scores[i];
            uint256 w = weights[i];
            total += w;
            uint256 j = i;
            while (j > 0 && sc[j - 1] > s) {
                sc[j] = sc[j - 1];
                wt[j] = wt[j - 1];
                --j;
            }
            sc[j] = s;
            wt[j] = w;
        }
        uint256 cum;
        for (uint256 i = 0; i < count; ++i) {
            cum += wt[i];
            if (2 * cum >= total) return sc[i];
        }
        return sc[count - 1];
    }

    function _slashNonSubmitters() private {
        uint256 bps = _cfg.absentSlashBps;
        if (bps == 0) return;
        uint256 n = _trainerList.length;
        for (uint256 i = 0; i < n; ++i) {
            address t = _trainerList[i];
            if (_submissionOf[t] == 0) _slash(type(uint256).max, t, bps, _SLASH_NO_SUBMISSION);
        }
    }

    function _slash(uint256 s, address account, uint256 bps, uint8 reason) private {
        Account storage acc = _accounts[account];
        uint256 amount = uint256(acc.stake) * bps / _BPS;
        if (amount == 0) return;
        acc.stake -= uint96(amount); // amount <= stake because bps <= 10000
        _pool += amount;
        emit Slashed(s, account, amount, reason);
    }

    // ------------------------------------------------------------- closing and payouts

    /// @notice Closes an Active task after maxDuration: the unallocated pool and the alliance reserve
    /// go back to the creator; stakes are returned as they are.
    /// @dev Emits a {TaskClosed} event.
    function close() external {
        _requireStatus(Status.Active);
        uint256 closesAt = _closesAt();
        if (block.timestamp <= closesAt) revert ArenaTaskDurationNotOver(closesAt, block.timestamp);
        uint256 refund = _pool + _allianceReserve;
        _pool = 0;
        _allianceReserve = 0;
        _creatorRefund += refund;
        _status = Status.Closed;
        emit TaskClosed(msg.sender, refund);
    }

    /// @notice After maxDuration, credits an alliance reserve that nobody used back to the creator.
    /// @dev Emits an {AllianceReserveReleased} event.
    function releaseAllianceReserve() external {
        _requireStatus(Status.Finished);
        if (_alliance != address(0)) revert ArenaTaskAllianceAlreadyDerived(_alliance);
        uint256 reserve = _allianceReserve;
        if (reserve == 0) revert ArenaTaskNoAllianceReserve();
        uint256 closesAt = _closesAt();
        if (block.timestamp <= closesAt) revert ArenaTaskDurationNotOver(closesAt, block.timestamp);
        _allianceReserve = 0;
        _creatorRefund += reserve;
        emit AllianceReserveReleased(reserve);
    }

    /// @notice Spawns an AllianceTask funded with the alliance reserve and starting from the winner's
    /// model. The creator may call it; anyone may when openDerive is set.
    /// @param config The Alliance parameters; its rewardPool and initialModelHash are ignored and set
    /// by this task. When allianceConfigHash is non-zero, keccak256(abi.encode(config)) with those two
    /// fields zeroed must equal it (the factory checks, reverting with TaskFactoryAllianceConfigMismatch).
    /// @return alliance The new AllianceTask.
    /// @dev Emits an {AllianceDerived} event; the factory emits AllianceTaskCreated and AllianceTaskDerived.
    function deriveAlliance(IAllianceTask.AllianceConfig calldata config)
        external
        nonReentrant
        returns (address alliance)
    {
        _requireStatus(Status.Finished);
        if (_alliance != address(0)) revert ArenaTaskAllianceAlreadyDerived(_alliance);
        if (!_hasWinner) revert ArenaTaskNoWinner();
        uint256 reserve = _allianceReserve;
        if (reserve == 0) revert ArenaTaskNoAllianceReserve();
        if (msg.sender != _creator && !_cfg.openDerive) revert ArenaTaskNotAllowedToDerive(msg.sender);
        bytes32 model = _subs[_winner].modelHash;
        _allianceReserve = 0;
        _token.forceApprove(address(_factory), reserve);
        alliance = _factory.createDerivedAllianceTask(_creator, _cfg.allianceConfigHash, reserve, model, config);
        _alliance = alliance;
        emit AllianceDerived(alliance, msg.sender, reserve, model);
    }

    /// @notice Pays the caller its stake and reward (or, for the creator, its locked stake and refunds)
    /// once the task is Finished or Closed, and records the participation in the factory.
    /// @dev Emits a {Withdrawn} event. The creator may withdraw again when a later refund arrives.
    function withdraw() external nonReentrant {
        Status st = _status;
        if (st == Status.Active) revert ArenaTaskWrongStatus(uint8(Status.Finished), uint8(st));
        if (msg.sender == _creator) {
            uint256 owed = _creatorLocked + _creatorRefund;
            if (owed == 0) revert ArenaTaskNothingToWithdraw(msg.sender);
            uint256 refund = _creatorRefund;
            _creatorLocked = 0;
            _creatorRefund = 0;
            emit Withdrawn(msg.sender, owed, refund);
            _token.safeTransfer(msg.sender, owed);
            return;
        }
        Account storage acc = _accounts[msg.sender];
        if (acc.role == Role.None) revert ArenaTaskNothingToWithdraw(msg.sender);
        if (acc.withdrawn) revert ArenaTaskAlreadyWithdrawn(msg.sender);
        bool finished = st == Status.Finished;
        uint256 reward = finished ? _claimReward(acc) : 0;
        uint256 stake = acc.stake;
        uint256 amount = stake + reward;
        acc.withdrawn = true;
        acc.stake = 0;
        uint256 scored;
        if (acc.role == Role.Trainer) {
            uint256 idx = _submissionOf[msg.sender];
            if (idx != 0 && (_subs[idx - 1].flags & _SCORED) != 0) scored = 1;
        }
        emit Withdrawn(msg.sender, amount, reward);
        if (amount > 0) _token.safeTransfer(msg.sender, amount);
        _factory.recordParticipation(msg.sender, scored, acc.good, finished);
    }

    function _claimReward(Account storage acc) private returns (uint256 reward) {
        if (acc.role == Role.Trainer) {
            uint256 idx = _submissionOf[msg.sender];
            if (idx == 0) return 0;
            Submission storage sub = _subs[idx - 1];
            if ((sub.flags & _SCORED) == 0) return 0;
            uint256 f = uint256(sub.score) ** _cfg.scoreExponent;
            if (f == 0) return 0;
            if (_trainerClaims == 1) reward = _trainerBudgetLeft;
            else reward = _trainerBudget * f / _sumTrainerWeight;
            _trainerClaims -= 1;
            _trainerBudgetLeft -= reward;
        } else {
            uint256 c = _closeness[msg.sender];
            if (c == 0) return 0;
            if (_validatorClaims == 1) reward = _validatorBudgetLeft;
            else reward = _validatorBudget * c / _sumCloseness;
            _validatorClaims -= 1;
            _validatorBudgetLeft -= reward;
        }
    }

    // ------------------------------------------------------------- views

    /// @notice The task's configuration.
    /// @return The configuration given at creation.
    function config() external view returns (ArenaConfig memory) {
        return _cfg;
    }

    /// @notice The task's status.
    /// @return The status.
    function status() external view returns (Status) {
        return _status;
    }

    /// @notice Deadlines and counters.
    /// @return v The progress view.
    function progress() external view returns (ProgressView memory v) {
        Counters memory c = _counters;
        v.status = _status;
        v.createdAt = _createdAt;
        v.submissionDeadline = uint64(_submissionDeadline());
        v.commitDeadline = uint64(_commitDeadline());
        v.revealDeadline = uint64(_revealDeadline());
        v.closesAt = uint64(_closesAt());
        v.trainers = c.trainers;
        v.validators = c.validators;
        v.submissions = c.submissions;
        v.drawn = c.drawn;
        v.settled = c.settled;
        v.assignedVotes = c.assigned;
        v.committedVotes = c.committed;
        v.revealedVotes = c.revealed;
    }

    /// @notice Budgets, winner and derived alliance.
    /// @return v The outcome view.
    function outcome() external view returns (OutcomeView memory v) {
        v.hasWinner = _hasWinner;
        v.winner = _winner;
        v.winnerModelHash = _hasWinner ? _subs[_winner].modelHash : bytes32(0);
        v.pool = _pool;
        v.allianceReserve = _allianceReserve;
        v.trainerBudget = _trainerBudget;
        v.validatorBudget = _validatorBudget;
        v.sumTrainerWeight = _sumTrainerWeight;
        v.sumCloseness = _sumCloseness;
        v.trainerBudgetLeft = _trainerBudgetLeft;
        v.validatorBudgetLeft = _validatorBudgetLeft;
        v.creatorOwed = _creatorLocked + _creatorRefund;
        v.alliance = _alliance;
    }

    /// @notice One submission.
    /// @param submission The index.
    /// @return v The submission view (validators in draw order).
    function submissionInfo(uint256 submission) external view returns (SubmissionView memory v) {
        _requireSubmission(submission);
        Submission storage sub = _subs[submission];
        v.trainer = sub.trainer;
        v.modelHash = sub.modelHash;
        v.validators = new address[](sub.n);
        for (uint256 j = 0; j < sub.n; ++j) {
            v.validators[j] = _validatorList[(sub.assignees >> (16 * j)) & 0xffff];
        }
        v.score = sub.score;
        v.committed = sub.committed;
        v.revealed = sub.revealed;
        v.drawn = (sub.flags & _DRAWN) != 0;
        v.scored = (sub.flags & _SCORED) != 0;
        v.settled = (sub.flags & _SETTLED) != 0;
    }

    /// @notice One address's account.
    /// @param account The address.
    /// @return v The account view.
    function accountInfo(address account) external view returns (AccountView memory v) {
        Account memory a = _accounts[account];
        v.role = a.role;
        v.withdrawn = a.withdrawn;
        v.index = a.index;
        v.deposit = a.deposit;
        v.stake = a.stake;
        v.weight = a.role == Role.Validator ? _tree.weightOf(a.index) : 0;
        v.assigned = a.assigned;
        v.goodVotes = a.good;
        v.closeness = _closeness[account];
    }

    /// @notice The submission index of `trainer`, if it submitted.
    /// @param trainer The trainer.
    /// @return submitted Whether it submitted.
    /// @return index Its submission index.
    function submissionOf(address trainer) external view returns (bool submitted, uint256 index) {
        uint256 idx = _submissionOf[trainer];
        return (idx != 0, idx == 0 ? 0 : idx - 1);
    }

    /// @notice The submissions `validator` was drawn to score, in submission order.
    /// @param validator The validator.
    /// @return list Submission indices.
    function assignmentsOf(address validator) external view returns (uint256[] memory list) {
        Account memory a = _accounts[validator];
        list = new uint256[](a.assigned);
        if (a.role != Role.Validator || a.assigned == 0) return list;
        uint256 found;
        uint256 drawn = _counters.drawn;
        for (uint256 s = 0; s < drawn && found < a.assigned; ++s) {
            Submission storage sub = _subs[s];
            for (uint256 j = 0; j < sub.n; ++j) {
                if (((sub.assignees >> (16 * j)) & 0xffff) == a.index) {
                    list[found++] = s;
                    break;
                }
            }
        }
    }

    /// @notice A validator's score for a submission.
    /// @param submission The submission.
    /// @param validator The validator.
    /// @return v The vote (all zero if it was not drawn).
    function voteOf(uint256 submission, address validator) external view returns (VoteView memory v) {
        _requireSubmission(submission);
        (bool found, uint256 slot) = _findSlot(submission, validator);
        if (!found) return v;
        Vote memory vote = _votes[submission][slot];
        v.committed = vote.commitment != bytes32(0);
        v.revealed = vote.revealed;
        v.commitment = vote.commitment;
        v.score = vote.score;
    }

    /// @notice Registered validators in index order.
    /// @return The addresses.
    function validators() external view returns (address[] memory) {
        return _validatorList;
    }

    /// @notice Registered trainers in index order.
    /// @return The addresses.
    function trainers() external view returns (address[] memory) {
        return _trainerList;
    }

    /// @notice The task creator.
    /// @return The address.
    function creator() external view returns (address) {
        return _creator;
    }

    /// @notice The staking and reward token.
    /// @return The address.
    function token() external view returns (address) {
        return address(_token);
    }

    /// @notice The factory that created this task.
    /// @return The address.
    function factory() external view returns (address) {
        return address(_factory);
    }

    // ------------------------------------------------------------- internals

    function _requireStatus(Status expected) private view {
        if (_status != expected) revert ArenaTaskWrongStatus(uint8(expected), uint8(_status));
    }

    function _requireSubmission(uint256 submission) private view {
        uint256 count = _subs.length;
        if (submission >= count) revert ArenaTaskSubmissionOutOfRange(submission, count);
    }

    function _requireSubmissionOpen(Counters memory c) private view {
        if (_submissionOver(c)) revert ArenaTaskSubmissionClosed(_submissionDeadline(), block.timestamp);
    }

    function _requireRevealOver() private view {
        Counters memory c = _counters;
        bool over = block.timestamp > _revealDeadline() || (_commitOver(c) && c.revealed == c.assigned);
        if (!over) revert ArenaTaskPhaseNotOver(_revealDeadline(), c.revealed, c.assigned);
    }

    function _submissionOver(Counters memory c) private view returns (bool) {
        return block.timestamp > _submissionDeadline() || c.submissions >= _cfg.maxTrainers;
    }

    function _commitOver(Counters memory c) private view returns (bool) {
        if (block.timestamp > _commitDeadline()) return true;
        return _submissionOver(c) && c.drawn == c.submissions && c.committed == c.assigned;
    }

    function _slotOf(uint256 submission, address account) private view returns (uint256) {
        _requireSubmission(submission);
        (bool found, uint256 slot) = _findSlot(submission, account);
        if (!found) revert ArenaTaskNotAssigned(account, submission);
        return slot;
    }

    function _findSlot(uint256 submission, address account) private view returns (bool, uint256) {
        Account memory a = _accounts[account];
        if (a.role != Role.Validator) return (false, 0);
        Submission storage sub = _subs[submission];
        uint256 n = sub.n;
        uint256 packed = sub.assignees;
        for (uint256 j = 0; j < n; ++j) {
            if (((packed >> (16 * j)) & 0xffff) == a.index) return (true, j);
        }
        return (false, 0);
    }

    function _submissionDeadline() private view returns (uint256) {
        return uint256(_createdAt) + _cfg.submissionWindow;
    }

    function _commitDeadline() private view returns (uint256) {
        return _submissionDeadline() + _cfg.commitWindow;
    }

    function _revealDeadline() private view returns (uint256) {
        return _commitDeadline() + _cfg.revealWindow;
    }

    function _closesAt() private view returns (uint256) {
        return uint256(_createdAt) + _cfg.maxDuration;
    }
}
