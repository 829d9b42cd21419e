"""Pydantic response models of the dashboard API (they are also its OpenAPI schema).

Why separate models: the chain wrappers return frozen dataclasses with raw bytes; the API
speaks JSON, so digests become 0x-hex strings and enums become lower-case names here, once.
Token amounts stay integers in the token's smallest unit (exact in JSON; a browser reads
them as doubles, which is fine for display).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

Verdict = Literal["pending", "accepted", "rejected", "not accepted", "absent"]
VoteStateName = Literal["none", "committed", "revealed"]


class ChainHealth(BaseModel):
    endpoint: str
    chain_id: int
    block_number: int
    factory: str


class Health(BaseModel):
    """What the server is connected to; the page uses it to decide what to show."""

    status: Literal["ok", "degraded"]
    chain: ChainHealth | None = None
    chain_error: str | None = None
    report: str | None = Field(None, description="path of the report file, if one was given")


class TaskSummary(BaseModel):
    address: str
    kind: Literal["alliance", "arena"]
    status: str
    creator: str
    reward_pool: int
    held: int = Field(description="tokens the task currently holds (alliance: remaining pool; arena: escrow)")
    participants: int
    rounds: int | None = Field(None, description="configured rounds (alliance only)")
    rounds_started: int | None = None


class ParticipantView(BaseModel):
    address: str
    index: int
    joined: bool
    withdrawn: bool
    stake: int
    claimable: int
    accepted_proposals: int
    majority_votes: int


class ProposerView(BaseModel):
    index: int
    address: str
    submitted: bool
    update_hash: str | None
    num_samples: int
    verdict: Verdict
    reward: int
    slashed: int


class VoteView(BaseModel):
    voter: str
    state: VoteStateName
    commitment: str | None
    accept_bitmap: int | None
    aggregate_hash: str | None
    reward: int
    slashed: int
    slash_reason: str | None


class SlashView(BaseModel):
    account: str
    amount: int
    reason: str


class RoundView(BaseModel):
    """One round: roles (proposers in index order, then voters), verdicts, votes and settlement."""

    round: int
    seed: str
    propose_deadline: int
    commit_deadline: int
    reveal_deadline: int
    finalized: bool
    outcome_bitmap: int
    submitted_count: int
    committed_count: int
    revealed_count: int
    proposers: list[ProposerView]
    voters: list[VoteView]
    ejected: list[str] = Field(default_factory=list, description="participants sitting the round out: ejected earlier (stake below half of stakeRequired)")
    global_model_hash: str | None = Field(None, description="the global model after this round (set when finalized)")
    finalizer: str | None = None
    round_reward: int | None = None
    finalizer_bonus: int | None = None
    returned_to_pool: int | None = None
    rewards: dict[str, int] = Field(default_factory=dict)
    slashes: list[SlashView] = Field(default_factory=list)


class BalanceSeries(BaseModel):
    """stake + claimable of one participant: after joining, then after each finalized round."""

    address: str
    values: list[int]


class AllianceTaskDetail(TaskSummary):
    kind: Literal["alliance"] = "alliance"
    config: dict[str, int | str]
    global_model_hash: str
    participant_list: list[ParticipantView]
    balances: list[BalanceSeries]


class ArenaSubmissionView(BaseModel):
    index: int
    trainer: str
    model_hash: str
    validators: list[str]
    score: int | None
    committed: int
    revealed: int
    settled: bool


class ArenaTaskDetail(TaskSummary):
    kind: Literal["arena"] = "arena"
    phase: str
    config: dict[str, int | str | bool]
    trainers: list[str]
    validators: list[str]
    submissions: list[ArenaSubmissionView]
    winner: int | None
    derived_alliance: str | None


TaskDetail = Annotated[AllianceTaskDetail | ArenaTaskDetail, Field(discriminator="kind")]


class ReportParticipant(BaseModel):
    address: str
    behaviour: str = ""
    adversarial: bool = False
    initial_tokens: int | None = None
    final_tokens: int | None = None
    net_change: int | None = None


class ReportRound(BaseModel):
    round: int
    accuracy: float
    baseline_accuracy: float | None = None
    proposers: list[str] = Field(default_factory=list)
    voters: list[str] = Field(default_factory=list)
    verdicts: dict[str, str] = Field(default_factory=dict)
    global_model_hash: str = ""
    balances: dict[str, int] = Field(default_factory=dict)
    slashes: dict[str, int] = Field(default_factory=dict)
    gas: dict[str, int] = Field(default_factory=dict)
    """gas the round's transactions used, per function name"""
    ejected: list[str] = Field(default_factory=list)
    """participants that sat the round out: ejected in an earlier round"""


class ReportView(BaseModel):
    """A finished simulation, normalised from `SimReport.to_dict()` (or an Arena report's derived Alliance task)."""

    kind: Literal["alliance", "arena"]
    path: str
    task_address: str
    participants: list[ReportParticipant]
    rounds: list[ReportRound]
    baseline_accuracy: list[float]
    honest_baseline_accuracy: list[float] = Field(default_factory=list)
    """with adversaries: plain FedAvg of each round's honest proposers only (a perfect defence)"""
    final_accuracy: float | None
    final_baseline_accuracy: float | None
    conservation_ok: bool | None
    wall_s: float
    config: dict[str, Any]
    honest_slashed: list[str] = Field(default_factory=list)
    adversaries_slashed: list[str] = Field(default_factory=list)


class ErrorBody(BaseModel):
    detail: str
