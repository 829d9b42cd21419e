// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IAllianceTask} from "./IAllianceTask.sol";
import {ITaskFactory} from "../interfaces/ITaskFactory.sol";

/// @title AllianceTask
/// @notice A collaborative federated-learning task: participants stake, each round a few of them
/// propose model updates and every participant votes on them with commit-reveal (a proposer's
/// vote on its own update does not count); the contract pays accepted proposers and majority
/// voters and slashes bad or absent ones. docs/alliance-protocol.md is the
/// normative description of every rule implemented here.
/// @dev Deployed once as an implementation and used through minimal-proxy clones made by
/// {TaskFactory}. Storage is laid out for gas: one slot per account, voter roles derived from
/// tickets (never stored), proposer list stored as packed participant indices, and a revealed vote
/// stored in the same slot its commitment occupied.
contract AllianceTask is IAllianceTask, Initializable, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @notice Most participants a task can have: every one of them votes, so a round's vote
    /// counters (and participant indices) fit a uint8.
    uint256 public constant MAX_PARTICIPANTS = 255;
    /// @notice Most proposers a round can have (the accept bitmap is a uint128).
    uint256 public constant MAX_PROPOSERS = 128;
    uint256 private constant _BPS = 10_000;
    uint8 private constant _JOINED = 1;
    uint8 private constant _WITHDRAWN = 2;
    uint8 private constant _EJECTED = 4;
    uint8 private constant _SLASH_REJECTED = 1;
    uint8 private constant _SLASH_MINORITY = 2;
    uint8 private constant _SLASH_ABSENT = 3;

    /// @dev One storage slot per address (96 + 112 + 16 + 16 + 8 + 8 bits).
    struct Account {
        uint96 stake;
        uint112 claimable;
        uint16 accepted;
        uint16 majority;
        uint8 index;
        uint8 flags;
    }

    /// @dev The first slot holds everything the per-round transactions touch, so each reads
    /// and writes it once. Voter counts fit a uint8 because n <= MAX_PARTICIPANTS = 255.
    struct Round {
        uint32 proposeDeadline;
        uint32 commitDeadline;
        uint32 revealDeadline;
        uint8 k; // proposer count, <= 128
        uint8 committed;
        uint8 revealed;
        bool finalized;
        uint128 submitted; // bit i: proposer i submitted
        uint128 outcome; // bit i: proposer i accepted (set at finalization)
        uint8 distinctHashes; // distinct aggregate hashes revealed so far
        uint8 voters; // participants not ejected (all of them vote, proposers too), set at the start
        bytes32 seed;
        uint256 proposerMask; // bit p: participant index p proposes (and, like everyone not ejected, votes)
        uint256[4] proposerWords; // byte i (little-endian within words): participant index of proposer i
    }

    /// @dev Packed configuration: three slots plus the two hashes.
    struct Params {
        uint96 rewardPool;
        uint96 stakeRequired;
        uint64 sampleCap;
        uint16 minParticipants;
        uint16 maxParticipants;
        uint16 rounds;
        uint16 proposerRatioBps;
        uint16 proposerShareBps;
        uint16 proposerSlashBps;
        uint16 voterSlashBps;
        uint16 absentSlashBps;
        uint16 finalizerBonusBps;
        uint32 proposeWindow;
        uint32 commitWindow;
        uint32 revealWindow;
    }

    // ----------------------------------------------------------------- storage
    Status private _status;
    uint16 private _roundCount;
    uint40 private _createdAt;
    address private _creator;
    uint32 private _maxLifecycle;

    IERC20 private _token;
    ITaskFactory private _factory;
    bytes32 private _specHash;
    bytes32 private _initialModelHash;
    bytes32 private _globalModelHash;
    uint256 private _pool;
    Params private _params;

    address[] private _participants;
    mapping(address account => Account) private _accounts;
    mapping(uint256 round => Round) private _rounds;
    mapping(uint256 round => mapping(uint256 proposerIndex => bytes32)) private _updateHashes;
    /// @dev numSamples of proposer i at word i / 4, bits 64 * (i % 4): four proposers share a slot.
    mapping(uint256 round => uint256[32]) private _samples;
    /// @dev Before reveal: the commitment (bits 136..255 never all zero). After: acceptBitmap |
    /// (aggregate hash slot) << 128, so bits 136..255 are zero: that is how "revealed" is told apart.
    mapping(uint256 round => mapping(address voter => uint256)) private _votes;
    mapping(uint256 round => mapping(uint256 slot => bytes32)) private _aggHashAt; // slot = index + 1
    mapping(uint256 round => mapping(bytes32 aggHash => uint256)) private _aggHashSlot; // index + 1
    /// @dev Bit p: participant index p did not act in its role (no update / no reveal) in the latest
    /// finalized round. The next draw ranks those participants after everyone else.
    uint256 private _absentMask;
    /// @dev Bit p: participant index p was ejected (stake fell below half of stakeRequired); it is
    /// out of every later draw. The account's _EJECTED flag says the same for the per-call checks.
    uint256 private _ejectedMask;
    /// @dev First round an ejected account sat out (its ejection round + 1, so 0 = never ejected):
    /// lets {roleOf} answer for past rounds too.
    mapping(address account => uint256) private _ejectedFrom;

    /// @dev Working memory of {finalizeRound}, kept in a struct to stay within the stack limit.
    struct Tally {
        uint256 r;
        uint256 n;
        uint256 k;
        uint256 submitted;
        uint256 proposerMask; // bit p: participant p is a proposer
        uint256 outcome;
        uint256 rejected;
        uint256 totalRevealed;
        uint256 winner; // aggregate hash index + 1, 0 = none
        uint256 sumEff;
        uint256 sumMajorityStake;
        uint256 proposerBudget;
        uint256 voterBudget;
        uint256 paid;
        uint256 slashed;
        uint256 proposerSlashBps;
        uint256 voterSlashBps;
        uint256 absentSlashBps;
        uint256 absentMask; // bit p: participant p missed its role this round
        uint256 stakeRequired;
        uint256 newlyEjected; // bit p: participant p's stake fell below half of stakeRequired this round
        uint256[] eff; // per proposer index: effective samples if accepted
        uint256[] proposerOf; // per participant index: its proposer index (if a proposer)
    }

    /// @dev The implementation itself can never be initialized; only its clones are.
    constructor() {
        _disableInitializers();
    }

    // ------------------------------------------------------------- creation

    /// @notice Configures a fresh clone; called once by the factory that created it.
    /// @param creator_ The task creator (receives the unspent pool).
    /// @param token_ The staking and reward token.
    /// @param config The task configuration; each invalid field reverts with its own error.
    /// @dev Emits a {TaskInitialized} event. The factory transfers the reward pool right after.
    function initialize(address creator_, address token_, AllianceConfig calldata config) external initializer {
        _validate(config);
        _creator = creator_;
        _createdAt = uint40(block.timestamp);
        _maxLifecycle = config.maxLifecycle;
        _status = Status.Joining;
        _token = IERC20(token_);
        _factory = ITaskFactory(msg.sender);
        _specHash = config.specHash;
        _initialModelHash = config.initialModelHash;
        _globalModelHash = config.initialModelHash;
        _pool = config.rewardPool;
        // Casts are safe: _validate bounded every field to its packed width.
        _params = Params({
            rewardPool: uint96(config.rewardPool),
            stakeRequired: uint96(config.stakeRequired),
            sampleCap: config.sampleCap,
            minParticipants: config.minParticipants,
            maxParticipants: config.maxParticipants,
            rounds: config.rounds,
            proposerRatioBps: config.proposerRatioBps,
            proposerShareBps: config.proposerShareBps,
            proposerSlashBps: config.proposerSlashBps,
            voterSlashBps: config.voterSlashBps,
            absentSlashBps: config.absentSlashBps,
            finalizerBonusBps: config.finalizerBonusBps,
            proposeWindow: config.proposeWindow,
            commitWindow: config.commitWindow,
            revealWindow: config.revealWindow
        });
        emit TaskInitialized(creator_, config.specHash, config.rewardPool, block.timestamp);
    }

    function _validate(AllianceConfig calldata c) private pure {
        if (c.specHash == bytes32(0)) revert AllianceTaskZeroSpecHash();
        if (c.rewardPool == 0) revert AllianceTaskZeroRewardPool();
        if (c.rewardPool > type(uint96).max) revert AllianceTaskAmountTooLarge(c.rewardPool, type(uint96).max);
        if (c.stakeRequired == 0) revert AllianceTaskZeroStakeRequired();
        if (c.stakeRequired > type(uint96).max) revert AllianceTaskAmountTooLarge(c.stakeRequired, type(uint96).max);
        if (c.minParticipants < 3) revert AllianceTaskMinParticipantsTooLow(c.minParticipants, 3);
        if (c.maxParticipants < c.minParticipants) revert AllianceTaskMaxBelowMin(c.maxParticipants, c.minParticipants);
        if (c.maxParticipants > MAX_PARTICIPANTS) {
            revert AllianceTaskTooManyParticipants(c.maxParticipants, MAX_PARTICIPANTS);
        }
        if (c.rounds == 0) revert AllianceTaskZeroRounds();
        if (c.proposerRatioBps == 0 || c.proposerRatioBps >= _BPS) {
            revert AllianceTaskProposerRatioOutOfRange(c.proposerRatioBps);
        }
        uint256 maxK = _proposerCount(c.maxParticipants, c.proposerRatioBps);
        if (maxK > MAX_PROPOSERS) revert AllianceTaskTooManyProposers(maxK, MAX_PROPOSERS);
        if (c.proposerShareBps > _BPS) revert AllianceTaskProposerShareTooHigh(c.proposerShareBps);
        if (c.proposerSlashBps > _BPS) revert AllianceTaskProposerSlashTooHigh(c.proposerSlashBps);
        if (c.voterSlashBps > _BPS) revert AllianceTaskVoterSlashTooHigh(c.voterSlashBps);
        if (c.absentSlashBps > _BPS) revert AllianceTaskAbsentSlashTooHigh(c.absentSlashBps);
        if (c.finalizerBonusBps > 100) revert AllianceTaskFinalizerBonusTooHigh(c.finalizerBonusBps, 100);
        if (c.proposeWindow == 0) revert AllianceTaskZeroWindow(0);
        if (c.commitWindow == 0) revert AllianceTaskZeroWindow(1);
        if (c.revealWindow == 0) revert AllianceTaskZeroWindow(2);
        if (c.maxLifecycle == 0) revert AllianceTaskZeroLifecycle();
    }

    /// @dev k = ceil(n * ratio / 10000) clamped to [1, n - 1].
    function _proposerCount(uint256 n, uint256 ratioBps) private pure returns (uint256 k) {
        k = (n * ratioBps + _BPS - 1) / _BPS;
        if (k + 1 > n) k = n - 1;
        if (k == 0) k = 1;
    }

    // ----------------------------------------------------------- participants

    /// @notice Joins the task by staking `amount` tokens (approve them to this task first).
    /// @param amount The stake, at least stakeRequired.
    /// @dev Emits a {Joined} event.
    function join(uint256 amount) external nonReentrant {
        _requireStatus(Status.Joining);
        Account storage acc = _accounts[msg.sender];
        if (acc.flags & _JOINED != 0) revert AllianceTaskAlreadyJoined(msg.sender);
        uint256 n = _participants.length;
        uint256 maxP = _params.maxParticipants;
        if (n >= maxP) revert AllianceTaskFull(maxP);
        uint256 required = _params.stakeRequired;
        if (amount < required) revert AllianceTaskStakeTooLow(amount, required);
        if (amount > type(uint96).max) revert AllianceTaskAmountTooLarge(amount, type(uint96).max);
        // n < maxParticipants <= 256, so the index fits a uint8.
        acc.stake = uint96(amount);
        acc.index = uint8(n);
        acc.flags = _JOINED;
        _participants.push(msg.sender);
        emit Joined(msg.sender, amount, n);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    // ----------------------------------------------------------------- rounds

    /// @notice Starts the next round and draws its proposers from the beacon. Anyone may call.
    /// @dev Round 0 needs Joining and minParticipants joined; later rounds need the previous round
    /// finalized. Emits a {RoundStarted} event.
    function startRound() external {
        Status st = _status;
        uint256 r = _roundCount;
        uint256 n = _participants.length;
        if (st == Status.Joining) {
            if (n < _params.minParticipants) revert AllianceTaskNotEnoughParticipants(n, _params.minParticipants);
            _status = Status.Training;
        } else if (st == Status.Training) {
            if (!_rounds[r - 1].finalized) revert AllianceTaskRoundNotFinalized(r - 1);
        } else {
            revert AllianceTaskWrongPhase(uint8(Status.Training), uint8(st));
        }
        uint256 ejected = _ejectedMask;
        uint256 active = n - _popcount(ejected); // >= 2: {_eject} never leaves fewer
        uint256 k = (r == 0 && _initialModelHash == bytes32(0)) ? 1 : _proposerCount(n, _params.proposerRatioBps);
        if (k >= active) k = active - 1; // ejections leave at least one voter
        bytes32 seed = keccak256(abi.encode(block.prevrandao, address(this), r));

        address[] memory parts = _participants;
        uint256[] memory lowI = _draw(parts, seed, k, r == 0 ? 0 : _absentMask, ejected);

        Round storage rd = _rounds[r];
        rd.seed = seed;
        uint256[4] memory words;
        uint256 mask;
        address[] memory proposers = new address[](k);
        for (uint256 i; i < k; ++i) {
            words[i >> 5] |= lowI[i] << ((i & 31) << 3);
            mask |= uint256(1) << lowI[i];
            proposers[i] = parts[lowI[i]];
        }
        rd.proposerMask = mask;
        for (uint256 w; w <= (k - 1) >> 5; ++w) {
            rd.proposerWords[w] = words[w];
        }
        Params memory p = _params;
        uint256 pd = block.timestamp + p.proposeWindow;
        uint256 cd = pd + p.commitWindow;
        uint256 rv = cd + p.revealWindow;
        rd.proposeDeadline = pd.toUint32();
        rd.commitDeadline = cd.toUint32();
        rd.revealDeadline = rv.toUint32();
        rd.k = uint8(k); // k <= MAX_PROPOSERS, enforced at creation
        rd.voters = uint8(active); // active <= MAX_PARTICIPANTS = 255
        _roundCount = uint16(r + 1); // r < rounds <= type(uint16).max
        emit RoundStarted(r, seed, proposers, pd, cd, rv);
    }

    /// @notice Submits a proposer's update for round `round`.
    /// @param round The current round.
    /// @param proposerIndex The caller's index in the round's proposer list.
    /// @param updateHash sha-256 digest of the update blob in storage (non-zero).
    /// @param numSamples Number of local training samples (positive).
    /// @dev Emits an {UpdateSubmitted} event.
    function submitUpdate(uint256 round, uint256 proposerIndex, bytes32 updateHash, uint64 numSamples) external {
        Round storage rd = _openRound(round);
        uint256 k = rd.k;
        if (proposerIndex >= k) revert AllianceTaskProposerIndexOutOfRange(proposerIndex, k);
        uint256 p = (rd.proposerWords[proposerIndex >> 5] >> ((proposerIndex & 31) << 3)) & 0xff;
        if (_participants[p] != msg.sender) revert AllianceTaskNotProposer(msg.sender, proposerIndex);
        if (block.timestamp > rd.proposeDeadline) revert AllianceTaskDeadlinePassed(rd.proposeDeadline, block.timestamp);
        uint128 bit = uint128(1) << proposerIndex;
        if (rd.submitted & bit != 0) revert AllianceTaskAlreadySubmitted(round, proposerIndex);
        if (updateHash == bytes32(0)) revert AllianceTaskZeroUpdateHash();
        if (numSamples == 0) revert AllianceTaskZeroSamples();
        rd.submitted |= bit;
        _updateHashes[round][proposerIndex] = updateHash;
        _samples[round][proposerIndex >> 2] |= uint256(numSamples) << ((proposerIndex & 3) << 6);
        emit UpdateSubmitted(round, proposerIndex, msg.sender, updateHash, numSamples);
    }

    /// @notice Commits a voter's hidden vote for round `round`.
    /// @param round The current round.
    /// @param commitment keccak256(abi.encode(round, voter, acceptBitmap, aggregateHash, salt)), non-zero.
    /// @dev Emits a {VoteCommitted} event.
    function commitVote(uint256 round, bytes32 commitment) external {
        Round storage rd = _openRound(round);
        Account storage acc = _accounts[msg.sender];
        if (acc.flags & _EJECTED != 0) revert AllianceTaskEjected(msg.sender);
        if (acc.flags & _JOINED == 0) revert AllianceTaskNotVoter(msg.sender);
        if (_votes[round][msg.sender] != 0) revert AllianceTaskAlreadyCommitted(msg.sender);
        uint256 k = rd.k;
        uint256 full = (uint256(1) << k) - 1;
        if (rd.submitted != full && block.timestamp <= rd.proposeDeadline) {
            revert AllianceTaskPhaseNotOver(rd.proposeDeadline, _popcount(rd.submitted), k);
        }
        if (block.timestamp > rd.commitDeadline) revert AllianceTaskDeadlinePassed(rd.commitDeadline, block.timestamp);
        if (commitment == bytes32(0)) revert AllianceTaskZeroCommitment();
        // A revealed vote is stored in the same slot with bits 136..255 clear; a real keccak
        // commitment has them all clear with probability 2^-120, so such values are refused.
        if (uint256(commitment) >> 136 == 0) revert AllianceTaskMalformedCommitment(commitment);
        _votes[round][msg.sender] = uint256(commitment);
        rd.committed += 1;
        emit VoteCommitted(round, msg.sender, commitment);
    }

    /// @notice Reveals the vote committed for round `round`.
    /// @param round The current round.
    /// @param acceptBitmap Bit i set accepts proposer i (bits beyond the proposer count are ignored).
    /// @param aggregateHash sha-256 digest of the FedAvg of the accepted updates.
    /// @param salt The secret salt used in the commitment.
    /// @dev Emits a {VoteRevealed} event.
    function revealVote(uint256 round, uint256 acceptBitmap, bytes32 aggregateHash, bytes32 salt) external {
        Round storage rd = _openRound(round);
        uint256 stored = _votes[round][msg.sender];
        if (stored == 0) revert AllianceTaskNotCommitted(msg.sender);
        uint256 voters = rd.voters;
        if (rd.committed != voters && block.timestamp <= rd.commitDeadline) {
            revert AllianceTaskPhaseNotOver(rd.commitDeadline, rd.committed, voters);
        }
        if (block.timestamp > rd.revealDeadline) revert AllianceTaskDeadlinePassed(rd.revealDeadline, block.timestamp);
        if (stored >> 136 == 0) revert AllianceTaskAlreadyRevealed(msg.sender);
        if (keccak256(abi.encode(round, msg.sender, acceptBitmap, aggregateHash, salt)) != bytes32(stored)) {
            revert AllianceTaskCommitmentMismatch(msg.sender);
        }
        uint256 slot = _aggHashSlot[round][aggregateHash];
        if (slot == 0) {
            slot = rd.distinctHashes + 1; // at most one per voter, so <= 255
            rd.distinctHashes = uint8(slot);
            _aggHashSlot[round][aggregateHash] = slot;
            _aggHashAt[round][slot] = aggregateHash;
        }
        uint256 masked = acceptBitmap & ((uint256(1) << rd.k) - 1);
        _votes[round][msg.sender] = masked | (slot << 128);
        rd.revealed += 1;
        emit VoteRevealed(round, msg.sender, masked, aggregateHash);
    }

    /// @notice Settles round `round`: decides each proposer, pays rewards, applies slashes, ejects
    /// participants whose stake fell below half of stakeRequired.
    /// Anyone may call once all voters revealed or the reveal deadline passed; the caller earns
    /// finalizerBonusBps of the round's reward.
    /// @param round The current round.
    /// @dev Emits {Rewarded}/{Slashed} per affected account, a {RoundFinalized} event, and a
    /// {TaskFinished} event after the last round.
    function finalizeRound(uint256 round) external {
        Round storage rd = _openRound(round);
        Tally memory t;
        t.r = round;
        t.n = _participants.length;
        t.k = rd.k;
        {
            uint256 voters = rd.voters;
            if (rd.revealed != voters && block.timestamp <= rd.revealDeadline) {
                revert AllianceTaskPhaseNotOver(rd.revealDeadline, rd.revealed, voters);
            }
        }
        t.submitted = rd.submitted;
        t.proposerMask = rd.proposerMask;

        // 1-2. The round's reward and budgets.
        uint256 roundReward;
        uint256 bonus;
        {
            Params memory p = _params;
            roundReward = _pool / (p.rounds - round);
            _pool -= roundReward;
            bonus = roundReward * p.finalizerBonusBps / _BPS;
            uint256 distributable = roundReward - bonus;
            t.proposerBudget = distributable * p.proposerShareBps / _BPS;
            t.voterBudget = distributable - t.proposerBudget;
        }

        address[] memory parts = _participants;
        Account[] memory accs = new Account[](t.n);
        uint256[] memory votes = new uint256[](t.n);
        // Proposer index per participant, for participants that are proposers.
        t.proposerOf = new uint256[](t.n);
        for (uint256 b; b < t.k; ++b) {
            t.proposerOf[(rd.proposerWords[b >> 5] >> ((b & 31) << 3)) & 0xff] = b;
        }
        _tallyVotes(t, parts, accs, votes);
        _pickWinner(t, votes, accs);
        _settle(t, parts, accs, votes);
        if (t.newlyEjected != 0) _eject(t, parts);

        // Unpaid budget (no recipients, rounding dust) and slashes return to the pool.
        uint256 returned = roundReward - bonus - t.paid;
        _pool += returned + t.slashed;
        rd.outcome = uint128(t.outcome);
        rd.finalized = true;
        if (_absentMask != t.absentMask) _absentMask = t.absentMask;
        bytes32 globalHash = _globalModelHash;
        if (t.winner != 0) {
            globalHash = _aggHashAt[round][t.winner];
            _globalModelHash = globalHash;
        }
        if (bonus > 0) _credit(msg.sender, bonus, round);
        emit RoundFinalized(round, msg.sender, t.outcome, globalHash, roundReward, bonus, returned);
        if (round + 1 == _params.rounds) {
            _status = Status.Finished;
            uint256 refund = _pool;
            _pool = 0;
            if (refund > 0) _accounts[_creator].claimable += refund.toUint112();
            emit TaskFinished(refund);
        }
    }

    /// @dev Step 3: load accounts and revealed votes; sum accept stake per proposer; decide outcome.
    /// Every participant votes; a proposer's bit on its own update is left out of that update's
    /// tally (both sides), so nobody judges its own update.
    function _tallyVotes(Tally memory t, address[] memory parts, Account[] memory accs, uint256[] memory votes)
        private
        view
    {
        uint256[] memory acceptStake = new uint256[](t.k);
        uint256[] memory ownStake = new uint256[](t.k); // stake of proposer b if it revealed
        mapping(address => uint256) storage roundVotes = _votes[t.r];
        for (uint256 i; i < t.n; ++i) {
            Account memory a = _accounts[parts[i]];
            accs[i] = a;
            uint256 v = roundVotes[parts[i]];
            if (v == 0 || v >> 136 != 0) continue; // never committed, or committed but not revealed
            // keep the hash slot, mask the bitmap to submitted proposers
            v = (v & ~uint256(type(uint128).max)) | (v & t.submitted);
            votes[i] = v;
            t.totalRevealed += a.stake;
            uint256 bm = v & t.submitted;
            if ((t.proposerMask >> i) & 1 != 0) {
                uint256 own = t.proposerOf[i];
                ownStake[own] = a.stake;
                bm &= ~(uint256(1) << own);
            }
            for (uint256 b; bm != 0; ++b) {
                if (bm & 1 != 0) acceptStake[b] += a.stake;
                bm >>= 1;
            }
        }
        for (uint256 b; b < t.k; ++b) {
            if ((t.submitted >> b) & 1 == 0) continue;
            uint256 acc = acceptStake[b];
            uint256 rej = t.totalRevealed - ownStake[b] - acc;
            if (acc > rej) t.outcome |= uint256(1) << b;
            else if (rej > acc) t.rejected |= uint256(1) << b;
        }
    }

    /// @dev Step 4: among voters matching the outcome, the aggregate hash with most stake wins
    /// (ties: first seen in participant order).
    function _pickWinner(Tally memory t, uint256[] memory votes, Account[] memory accs) private view {
        uint256 distinct = _rounds[t.r].distinctHashes;
        if (distinct == 0) return;
        uint256[] memory hashStake = new uint256[](distinct + 1);
        for (uint256 i; i < t.n; ++i) {
            uint256 v = votes[i];
            if (v == 0 || uint128(v) != t.outcome) continue;
            hashStake[v >> 128] += accs[i].stake;
        }
        uint256 best;
        for (uint256 i; i < t.n; ++i) {
            uint256 v = votes[i];
            if (v == 0 || uint128(v) != t.outcome) continue;
            uint256 s = hashStake[v >> 128];
            if (t.winner == 0 || s > best) {
                best = s;
                t.winner = v >> 128;
            }
        }
    }

    /// @dev Steps 5-6 and 8: rewards (credited to claimable) and slashes (stake to pool), one write per
    /// account; also marks who falls below half of stakeRequired for step 7 ({_eject}).
    function _settle(Tally memory t, address[] memory parts, Account[] memory accs, uint256[] memory votes) private {
        Params memory p = _params;
        uint256[32] storage samples = _samples[t.r];
        t.proposerSlashBps = p.proposerSlashBps;
        t.voterSlashBps = p.voterSlashBps;
        t.absentSlashBps = p.absentSlashBps;
        t.stakeRequired = p.stakeRequired;
        uint256[] memory eff = new uint256[](t.k);
        t.eff = eff;
        for (uint256 b; b < t.k; ++b) {
            if ((t.outcome >> b) & 1 == 0) continue;
            uint256 e = (samples[b >> 2] >> ((b & 3) << 6)) & type(uint64).max;
            if (p.sampleCap != 0 && e > p.sampleCap) e = p.sampleCap;
            eff[b] = e;
            t.sumEff += e;
        }
        if (t.winner != 0) {
            uint256 majorityVote = (t.winner << 128) | t.outcome;
            for (uint256 i; i < t.n; ++i) {
                if (votes[i] == majorityVote) t.sumMajorityStake += accs[i].stake;
            }
        }
        for (uint256 i; i < t.n; ++i) {
            if (accs[i].flags & _EJECTED != 0) continue; // out of the draw: no role, nothing earned or lost
            _settleOne(t, i, parts[i], accs[i], votes[i]);
            // _apply updated accs[i] in memory: this is the post-slash stake.
            if (uint256(accs[i].stake) * 2 < t.stakeRequired) t.newlyEjected |= uint256(1) << i;
        }
    }

    /// @dev One participant's round: its proposal (if it proposes) and its vote are judged apart;
    /// rewards add up, but a round slashes a participant once: for its update if that was missing
    /// or rejected, otherwise for its vote. Missing either act counts as missing the round.
    function _settleOne(Tally memory t, uint256 i, address account, Account memory a, uint256 v) private {
        uint256 reward;
        uint256 slashBps;
        uint8 reason;
        uint8 counters;
        bool absent;
        if ((t.proposerMask >> i) & 1 != 0) {
            (reward, slashBps, reason, counters) = _proposerVerdict(t, t.proposerOf[i]);
            absent = reason == _SLASH_ABSENT;
        }
        (uint256 voteReward, uint256 voteSlashBps, uint8 voteReason, uint8 voteCounter) = _voterVerdict(t, v, a.stake);
        reward += voteReward;
        counters |= voteCounter;
        if (reason == 0) (slashBps, reason) = (voteSlashBps, voteReason);
        if (absent || voteReason == _SLASH_ABSENT) t.absentMask |= uint256(1) << i;
        if (reward != 0 || slashBps != 0 || counters != 0) _apply(t, account, a, reward, slashBps, reason, counters);
    }

    /// @dev Step 7: participants whose stake fell below half of stakeRequired leave the draw for
    /// good (no role, no reward, no slash), unless that would leave fewer than two participants in
    /// it (a round needs a proposer and a voter); then nobody is ejected this round.
    function _eject(Tally memory t, address[] memory parts) private {
        uint256 mask = _ejectedMask | t.newlyEjected;
        if (t.n - _popcount(mask) < 2) return;
        _ejectedMask = mask;
        uint256 bits = t.newlyEjected;
        for (uint256 i; bits != 0; ++i) {
            if (bits & 1 != 0) {
                Account storage acc = _accounts[parts[i]];
                acc.flags |= _EJECTED;
                _ejectedFrom[parts[i]] = t.r + 1;
                emit Ejected(t.r, parts[i], acc.stake);
            }
            bits >>= 1;
        }
    }

    /// @dev What proposer `b` earns or loses for its update (spec steps 5-6).
    /// counter bit 0: an accepted proposal.
    function _proposerVerdict(Tally memory t, uint256 b)
        private
        pure
        returns (uint256 reward, uint256 slashBps, uint8 reason, uint8 counter)
    {
        if ((t.outcome >> b) & 1 != 0) return (t.proposerBudget * t.eff[b] / t.sumEff, 0, 0, 1);
        if ((t.submitted >> b) & 1 == 0) return (0, t.absentSlashBps, _SLASH_ABSENT, 0);
        if ((t.rejected >> b) & 1 != 0) return (0, t.proposerSlashBps, _SLASH_REJECTED, 0);
        return (0, 0, 0, 0);
    }

    /// @dev What a participant earns or loses for its vote `v` (spec steps 5-6); a proposer's vote
    /// is judged like any other, own bit included (it names the aggregate it computed).
    /// counter bit 1: a majority vote.
    function _voterVerdict(Tally memory t, uint256 v, uint256 stake)
        private
        pure
        returns (uint256 reward, uint256 slashBps, uint8 reason, uint8 counter)
    {
        if (v == 0) return (0, t.absentSlashBps, _SLASH_ABSENT, 0);
        if (t.winner == 0) return (0, 0, 0, 0);
        if (v == ((t.winner << 128) | t.outcome)) {
            // Majority voters may all have zero stake (fully slashed before): then nobody is paid.
            if (t.sumMajorityStake != 0) reward = t.voterBudget * stake / t.sumMajorityStake;
            return (reward, 0, 0, 2);
        }
        return (0, t.voterSlashBps, _SLASH_MINORITY, 0);
    }

    /// @dev Credits a reward, applies a slash on the pre-round stake, bumps the counters; one storage write.
    function _apply(
        Tally memory t,
        address account,
        Account memory a,
        uint256 reward,
        uint256 slashBps,
        uint8 reason,
        uint8 counters
    ) private {
        if (counters & 1 != 0) a.accepted += 1;
        if (counters & 2 != 0) a.majority += 1;
        if (reward > 0) {
            t.paid += reward;
            a.claimable += reward.toUint112();
            emit Rewarded(t.r, account, reward);
        }
        uint256 slash = uint256(a.stake) * slashBps / _BPS;
        if (slash > 0) {
            t.slashed += slash;
            a.stake -= uint96(slash); // slash <= stake, so it fits and does not underflow
            emit Slashed(t.r, account, slash, reason);
        }
        _accounts[account] = a;
    }

    function _credit(address account, uint256 amount, uint256 round) private {
        _accounts[account].claimable += amount.toUint112();
        emit Rewarded(round, account, amount);
    }

    // -------------------------------------------------------- close, withdraw

    /// @notice Closes an unfinished task after its lifecycle; the pool is credited back to the creator.
    /// @dev Anyone may call once block.timestamp > createdAt + maxLifecycle. An open round is
    /// abandoned without rewards or slashes. Emits a {TaskClosed} event.
    function close() external {
        Status st = _status;
        if (st != Status.Joining && st != Status.Training) revert AllianceTaskWrongPhase(uint8(Status.Training), uint8(st));
        uint256 closesAt = uint256(_createdAt) + _maxLifecycle;
        if (block.timestamp <= closesAt) revert AllianceTaskLifecycleNotOver(closesAt, block.timestamp);
        _status = Status.Closed;
        uint256 refund = _pool;
        _pool = 0;
        if (refund > 0) _accounts[_creator].claimable += refund.toUint112();
        emit TaskClosed(msg.sender, refund);
    }

    /// @notice Pays out the caller's stake plus claimable balance, once, after the task ended,
    /// and adds the caller's participation to its record in the factory.
    /// @dev Only in Finished or Closed. Emits a {Withdrawn} event.
    function withdraw() external nonReentrant {
        Status st = _status;
        if (st != Status.Finished && st != Status.Closed) revert AllianceTaskWrongPhase(uint8(Status.Finished), uint8(st));
        Account storage acc = _accounts[msg.sender];
        Account memory a = acc;
        if (a.flags & _WITHDRAWN != 0) revert AllianceTaskAlreadyWithdrawn(msg.sender);
        uint256 amount = uint256(a.stake) + a.claimable;
        bool joined = a.flags & _JOINED != 0;
        if (!joined && amount == 0) revert AllianceTaskNothingToWithdraw(msg.sender);
        acc.stake = 0;
        acc.claimable = 0;
        acc.flags = a.flags | _WITHDRAWN;
        emit Withdrawn(msg.sender, amount);
        if (joined) _factory.recordParticipation(msg.sender, a.accepted, a.majority, st == Status.Finished);
        if (amount > 0) _token.safeTransfer(msg.sender, amount);
    }

    // ------------------------------------------------------------------ views

    /// @notice The task's configuration as created.
    /// @return c The configuration.
    function config() external view returns (AllianceConfig memory c) {
        Params memory p = _params;
        c = AllianceConfig({
            specHash: _specHash,
            initialModelHash: _initialModelHash,
            rewardPool: p.rewardPool,
            stakeRequired: p.stakeRequired,
            minParticipants: p.minParticipants,
            maxParticipants: p.maxParticipants,
            rounds: p.rounds,
            proposerRatioBps: p.proposerRatioBps,
            proposerShareBps: p.proposerShareBps,
            proposerSlashBps: p.proposerSlashBps,
            voterSlashBps: p.voterSlashBps,
            absentSlashBps: p.absentSlashBps,
            finalizerBonusBps: p.finalizerBonusBps,
            sampleCap: p.sampleCap,
            proposeWindow: p.proposeWindow,
            commitWindow: p.commitWindow,
            revealWindow: p.revealWindow,
            maxLifecycle: _maxLifecycle
        });
    }

    /// @notice Current lifecycle status (0 Joining, 1 Training, 2 Finished, 3 Closed).
    /// @return The status.
    function status() external view returns (Status) {
        return _status;
    }

    /// @notice Number of rounds started so far (the current round is roundCount - 1).
    /// @return The count.
    function roundCount() external view returns (uint256) {
        return _roundCount;
    }

    /// @notice Everything about round `round` a node needs.
    /// @param round A started round.
    /// @return v The round's state.
    function roundInfo(uint256 round) external view returns (RoundView memory v) {
        _requireStarted(round);
        Round storage rd = _rounds[round];
        v.seed = rd.seed;
        v.proposeDeadline = rd.proposeDeadline;
        v.commitDeadline = rd.commitDeadline;
        v.revealDeadline = rd.revealDeadline;
        v.proposers = _proposerList(rd);
        v.submittedBitmap = rd.submitted;
        v.outcomeBitmap = rd.outcome;
        v.submittedCount = uint16(_popcount(rd.submitted));
        v.committedCount = rd.committed;
        v.revealedCount = rd.revealed;
        v.finalized = rd.finalized;
        v.voterCount = rd.voters;
    }

    /// @notice The proposers of round `round` and what each submitted (zero hash and count if
    /// nothing), in proposer-index order: everything a voter reads about a round's updates.
    /// @param round A started round.
    /// @return proposers The proposers' addresses.
    /// @return updateHashes Each proposer's update digest.
    /// @return numSamples Each proposer's declared sample count.
    function updatesOf(uint256 round)
        external
        view
        returns (address[] memory proposers, bytes32[] memory updateHashes, uint64[] memory numSamples)
    {
        _requireStarted(round);
        Round storage rd = _rounds[round];
        proposers = _proposerList(rd);
        uint256 k = proposers.length;
        updateHashes = new bytes32[](k);
        numSamples = new uint64[](k);
        uint256 submitted = rd.submitted;
        for (uint256 i; i < k; ++i) {
            if ((submitted >> i) & 1 == 0) continue;
            updateHashes[i] = _updateHashes[round][i];
            numSamples[i] = uint64(_samples[round][i >> 2] >> ((i & 3) << 6));
        }
    }

    /// @notice Role of `account` in round `round` (None for non-participants; Ejected from the
    /// round after its ejection on).
    /// @param round A started round.
    /// @param account The address.
    /// @return The role.
    function roleOf(uint256 round, address account) external view returns (Role) {
        _requireStarted(round);
        Account storage acc = _accounts[account];
        if (acc.flags & _JOINED == 0) return Role.None;
        uint256 from = _ejectedFrom[account];
        if (from != 0 && round >= from) return Role.Ejected;
        return (_rounds[round].proposerMask >> acc.index) & 1 == 0 ? Role.Voter : Role.Proposer;
    }

    /// @notice The raw ticket of `account` in round `round` (lowest tickets propose).
    /// @param round A started round.
    /// @param account The address.
    /// @return The ticket keccak256(abi.encode(seed, account)) as uint256.
    function ticketOf(uint256 round, address account) external view returns (uint256) {
        _requireStarted(round);
        return uint256(keccak256(abi.encode(_rounds[round].seed, account)));
    }

    /// @notice Whether `account` missed its role (submitted no update, or revealed no vote) in the
    /// latest finalized round; such participants are drawn as proposers only after everyone else.
    /// @param account The address.
    /// @return True if it missed its role.
    function missedLastRound(address account) external view returns (bool) {
        Account storage acc = _accounts[account];
        if (acc.flags & _JOINED == 0) return false;
        return (_absentMask >> acc.index) & 1 != 0;
    }

    /// @notice Whether `account` was ejected: its stake fell below half of stakeRequired, so it
    /// sits out every later round (no role, no reward, no slash) and withdraws what is left at the end.
    /// @param account The address.
    /// @return True if ejected.
    function isEjected(address account) external view returns (bool) {
        return _accounts[account].flags & _EJECTED != 0;
    }

    /// @notice The update submitted by proposer `proposerIndex` in round `round` (zeros if none).
    /// @param round A started round.
    /// @param proposerIndex Index in the round's proposer list.
    /// @return updateHash The update's digest.
    /// @return numSamples The proposer's declared sample count.
    function updateOf(uint256 round, uint256 proposerIndex) external view returns (bytes32 updateHash, uint64 numSamples) {
        _requireStarted(round);
        if (proposerIndex >= _rounds[round].k) return (bytes32(0), 0);
        return (_updateHashes[round][proposerIndex], uint64(_samples[round][proposerIndex >> 2] >> ((proposerIndex & 3) << 6)));
    }

    /// @notice The vote state of `voter` in round `round`.
    /// @param round A started round.
    /// @param voter The address.
    /// @return v Committed/revealed flags, the commitment (until revealed), bitmap and aggregate hash (once revealed).
    function voteOf(uint256 round, address voter) external view returns (VoteView memory v) {
        _requireStarted(round);
        uint256 stored = _votes[round][voter];
        if (stored == 0) return v;
        v.committed = true;
        if (stored >> 136 == 0) {
            v.revealed = true;
            v.acceptBitmap = uint128(stored);
            v.aggregateHash = _aggHashAt[round][stored >> 128];
        } else {
            v.commitment = bytes32(stored);
        }
    }

    /// @notice The account of `account`: stake, claimable balance and counters.
    /// @param account The address.
    /// @return v The account view.
    function participantInfo(address account) external view returns (ParticipantView memory v) {
        Account memory a = _accounts[account];
        v.joined = a.flags & _JOINED != 0;
        v.withdrawn = a.flags & _WITHDRAWN != 0;
        v.index = a.index;
        v.stake = a.stake;
        v.claimable = a.claimable;
        v.acceptedProposals = a.accepted;
        v.majorityVotes = a.majority;
    }

    /// @notice All participants in join order (their participant index).
    /// @return The addresses.
    function participants() external view returns (address[] memory) {
        return _participants;
    }

    /// @notice Number of participants.
    /// @return The count.
    function participantCount() external view returns (uint256) {
        return _participants.length;
    }

    /// @notice Hash of the current global model (zero before the pioneering round settles).
    /// @return The digest.
    function globalModelHash() external view returns (bytes32) {
        return _globalModelHash;
    }

    /// @notice Reward tokens not yet assigned to a round.
    /// @return The pool.
    function pool() external view returns (uint256) {
        return _pool;
    }

    /// @notice The task creator.
    /// @return The address.
    function creator() external view returns (address) {
        return _creator;
    }

    /// @notice Creation time (unix seconds); the lifecycle is measured from it.
    /// @return The timestamp.
    function createdAt() external view returns (uint256) {
        return _createdAt;
    }

    /// @notice The staking and reward token.
    /// @return The token address.
    function token() external view returns (address) {
        return address(_token);
    }

    /// @notice The factory that created this task.
    /// @return The factory address.
    function factory() external view returns (address) {
        return address(_factory);
    }

    // -------------------------------------------------------------- internals

    function _requireStatus(Status expected) private view {
        if (_status != expected) revert AllianceTaskWrongPhase(uint8(expected), uint8(_status));
    }

    function _requireStarted(uint256 round) private view {
        if (round >= _roundCount) revert AllianceTaskWrongRound(round, _currentRound());
    }

    function _currentRound() private view returns (uint256) {
        return _roundCount == 0 ? type(uint256).max : _roundCount - 1;
    }

    /// @dev The current round, in Training and not finalized; reverts otherwise.
    function _openRound(uint256 round) private view returns (Round storage rd) {
        _requireStatus(Status.Training);
        uint256 current = _roundCount - 1;
        if (round != current) revert AllianceTaskWrongRound(round, current);
        rd = _rounds[round];
        if (rd.finalized) revert AllianceTaskAlreadyFinalized(round);
    }

    function _proposerList(Round storage rd) private view returns (address[] memory list) {
        uint256 k = rd.k;
        list = new address[](k);
        for (uint256 i; i < k; ++i) {
            list[i] = _participants[(rd.proposerWords[i >> 5] >> ((i & 31) << 3)) & 0xff];
        }
    }

    /// @dev Participant indices of the round's proposers, in proposer-index order: the k lowest
    /// (missed the previous round, ticket) pairs among participants not ejected, kept sorted by
    /// insertion in memory. A participant that missed its role in the previous round proposes only
    /// when too few others are left. The caller ensures k < participants not ejected.
    function _draw(address[] memory parts, bytes32 seed, uint256 k, uint256 late, uint256 ejected)
        private
        pure
        returns (uint256[] memory lowI)
    {
        uint256 n = parts.length;
        uint256[] memory lowT = new uint256[](k);
        lowI = new uint256[](k);
        uint256 filled;
        for (uint256 i; i < n; ++i) {
            if ((ejected >> i) & 1 != 0) continue;
            uint256 t = uint256(keccak256(abi.encode(seed, parts[i])));
            if (filled == k && !_drawsBefore(late, i, t, lowI[k - 1], lowT[k - 1])) continue;
            uint256 j = filled < k ? filled++ : k - 1;
            while (j > 0 && _drawsBefore(late, i, t, lowI[j - 1], lowT[j - 1])) {
                lowT[j] = lowT[j - 1];
                lowI[j] = lowI[j - 1];
                --j;
            }
            lowT[j] = t;
            lowI[j] = i;
        }
    }

    /// @dev Draw order: participants that acted in the previous round first, then by ticket, then
    /// by participant index (a stable selection, like the off-chain mirror's sort).
    function _drawsBefore(uint256 late, uint256 i, uint256 t, uint256 j, uint256 u) private pure returns (bool) {
        uint256 lateI = (late >> i) & 1;
        uint256 lateJ = (late >> j) & 1;
        if (lateI != lateJ) return lateI < lateJ;
        return t < u;
    }

    function _popcount(uint256 x) private pure returns (uint256 c) {
        while (x != 0) {
            x &= x - 1;
            ++c;
        }
    }
}
