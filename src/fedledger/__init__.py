"""fedledger: incentivised, verifiable, decentralised federated learning on an EVM chain."""

__version__ = "0.1.0"
