"""The report's figures and section on how far the router can be trusted: the reliability of its probabilities
(calibration.py) and the handoff's flags as the threshold moves (handoff_eval.py)."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


def plot_reliability(table: pd.DataFrame, path: Path) -> None:
    """Accuracy against confidence per bin; the diagonal is perfect calibration, the bars how many messages."""
    filled = table.dropna(subset=["confidence"])
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 6.5), height_ratios=(3, 1), sharex=True)
    top.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfectly calibrated")
    top.plot(filled["confidence"], filled["accuracy"], marker="o", color="#4C72B0", label="evaluation split")
    top.set_ylabel("share whose topic is the pseudo-label")
    top.set_title("Reliability of the top topic's probability")
    top.legend(loc="upper left", fontsize=8)
    centres = (table["bin_low"] + table["bin_high"]) / 2
    bottom.bar(centres, table["count"], width=table["bin_high"] - table["bin_low"], color="#4C72B0")
    bottom.set_yscale("symlog")
    bottom.set_xlabel("probability of the top topic")
    bottom.set_ylabel("messages")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_handoff_tradeoff(table: pd.DataFrame, flag_rate: float, path: Path) -> None:
    """What the handoff catches against the ordinary tweets it flags, as handoff.flag_rate moves."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    x = table["false_flag_evaluation"]
    ax.plot(x, table["foreign_detection"], marker="o", label="foreign messages flagged")
    ax.plot(x, table["held_out_detection_mean"], marker="o", label="held-out topic flagged (mean)")
    ax.plot(x, table["held_out_detection_worst"], marker="o", linestyle=":", label="held-out topic flagged (worst)")
    ax.axvline(flag_rate, color="grey", linestyle="--", linewidth=1, label=f"handoff.flag_rate {flag_rate}")
    ax.set_xlabel("share of ordinary evaluation tweets flagged")
    ax.set_ylabel("share flagged")
    ax.set_ylim(0, 1.02)
    ax.set_title("Handoff: what needs_human catches, as its threshold moves")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def confidence_lines(metrics: dict, figures: dict[str, str]) -> list[str]:
    """The report's section on calibration and the handoff."""
    calibration, handoff = metrics["calibration"], metrics["handoff"]
    lines = ["## How far the router can be trusted", "",
             f"Probabilities calibrated by a temperature of {calibration['temperature']:.3f} fitted on the validation"
             f" split: expected calibration error on evaluation {calibration['ece_evaluation']:.3f} (before:"
             f" {calibration['ece_evaluation_uncalibrated']:.3f}).", "", f"![reliability]({figures['reliability']})",
             "", f"needs_human at handoff.flag_rate {handoff['flag_rate']}: {handoff['false_flag_evaluation']:.1%} of"
             f" the evaluation tweets flagged, {handoff['foreign_detection']:.1%} of the foreign messages;"
             f" a topic held out of training: {handoff['held_out_detection_mean']:.1%} of its tweets flagged on"
             f" average, {handoff['held_out_detection_worst']:.1%} for the worst.", "",
             "| held-out topic | its evaluation tweets flagged |", "|---|---|"]
    lines += [f"| {name} | {share:.1%} |" for name, share in handoff["held_out_detection"].items()]
    return [*lines, "", f"![handoff trade-off]({figures['handoff']})", ""]
