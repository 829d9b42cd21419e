"""Tests of the learning engine (fedledger.learning) and its benchmarks."""
