"""The report plots: what a reader must be able to tell apart on them."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from fedledger.sim.config import TOKEN
from fedledger.sim.plots import accuracy_figure, balance_figure, balance_series, write_plots
from fedledger.sim.report import ParticipantSummary, RoundRecord, SimReport


def _report() -> SimReport:
    """Two honest nodes, two noise attackers and a free-rider slashed exactly like one of them
    (identical balance curves: the case that hid the free-rider behind the noise line)."""
    kinds = [("0xA", "honest"), ("0xB", "honest"), ("0xC", "noise"), ("0xD", "noise"), ("0xE", "freerider")]
    participants = [ParticipantSummary(a, b, b != "honest", 100, 20, 1000 * TOKEN) for a, b in kinds]
    balances = [
        {"0xA": 120 * TOKEN, "0xB": 110 * TOKEN, "0xC": 50 * TOKEN, "0xD": 50 * TOKEN, "0xE": 50 * TOKEN},
        {"0xA": 140 * TOKEN, "0xB": 115 * TOKEN, "0xC": 25 * TOKEN, "0xE": 25 * TOKEN},
    ]
    rounds = [
        RoundRecord(r, [], [], {}, 0.5, None, "", {}, b, {}, 0.0, 0.0) for r, b in enumerate(balances)
    ]
    return SimReport(config={"stake": 100 * TOKEN}, participants=participants, rounds=rounds)


def test_balance_series_in_tokens_with_gaps_where_a_round_has_no_balance() -> None:
    series = balance_series(_report())
    assert series["0xA"] == [100.0, 120.0, 140.0]
    assert series["0xD"] == [100.0, 50.0, None]


def test_each_adversarial_behaviour_has_its_own_legend_entry_and_style() -> None:
    fig = balance_figure(_report())
    try:
        (ax,) = fig.axes
        assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["freerider (1)", "honest (2)", "noise (2)"]
        style = {line.get_label(): (line.get_color(), line.get_marker(), line.get_linestyle()) for line in ax.get_lines()}
        groups = {label: style[label] for label in ("honest (2)", "noise (2)", "freerider (1)")}
        assert len(set(groups.values())) == 3  # overlapping curves of two behaviours stay apart
    finally:
        plt.close(fig)


def test_the_accuracy_plot_shows_the_perfect_defence_line_when_there_are_adversaries() -> None:
    report = _report()
    report.baseline_accuracy = [0.6, 0.8]
    report.honest_baseline_accuracy = [0.5, 0.7]
    fig = accuracy_figure(report)
    try:
        labels = [line.get_label() for line in fig.axes[0].get_lines()]
        assert labels == ["fedledger (on-chain)", "plain FedAvg baseline", "FedAvg of the honest proposers (a perfect defence)"]
        assert list(fig.axes[0].get_lines()[2].get_ydata()) == [0.5, 0.7]
    finally:
        plt.close(fig)
    report.honest_baseline_accuracy = []
    fig = accuracy_figure(report)
    try:
        assert len(fig.axes[0].get_lines()) == 2
    finally:
        plt.close(fig)


def test_plots_are_written(tmp_path: Path) -> None:
    paths = write_plots(_report(), tmp_path)
    assert [p.name for p in paths] == ["accuracy.png", "balances.png"]
    assert all(p.stat().st_size > 1000 for p in paths)
