"""Simulation engine: many participants (some adversarial) on one machine, with a report."""
