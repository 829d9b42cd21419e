"""One participant of an Alliance task: reads chain state, does its role, writes chain txs.

The same `Participant.step()` drives a node in the one-process simulation and in a
long-running `python -m fedledger.node` process; only the loop around it differs.
"""
