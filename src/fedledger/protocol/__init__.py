"""Pure Alliance protocol rules: role draw, vote commitment, round settlement, a ledger model.

Mirrors docs/alliance-protocol.md bit for bit (keccak + abi.encode, integer arithmetic in
the spec's order) without web3 or torch, so nodes can predict outcomes and tests can hold
the contract equal to it.
"""

from fedledger.protocol.alliance import (
    SLASH_ABSENT,
    SLASH_MINORITY_VOTER,
    SLASH_REJECTED_PROPOSER,
    ProposerEntry,
    RoundSettlement,
    SettlementRules,
    VoterEntry,
    settle_round,
    vote_commitment,
)
from fedledger.protocol.ledger import AllianceLedger, LedgerStatus, LedgerViolation
from fedledger.protocol.roles import BPS, MAX_PARTICIPANTS, draw_roles, num_proposers, round_seed, ticket

__all__ = [
    "SLASH_ABSENT",
    "SLASH_MINORITY_VOTER",
    "SLASH_REJECTED_PROPOSER",
    "BPS",
    "MAX_PARTICIPANTS",
    "AllianceLedger",
    "LedgerStatus",
    "LedgerViolation",
    "ProposerEntry",
    "RoundSettlement",
    "SettlementRules",
    "VoterEntry",
    "draw_roles",
    "num_proposers",
    "round_seed",
    "settle_round",
    "ticket",
    "vote_commitment",
]
