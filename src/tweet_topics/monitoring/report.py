"""The monitor's report: markdown a support lead reads, with the emerging issues on a 2-D map of the batch among the
training tweets and the topic shares across periods."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402

MAP_REFERENCE_POINTS = 3000
SHARE_TOPICS = 8  # the topics drawn across periods: those whose share moved most


def map_points(reference: np.ndarray, batch: np.ndarray, issues: list[dict], ids: list[str], seed: int
               ) -> pd.DataFrame:
    """The batch and a fixed sample of the reference in 2-D (PCA fitted on the reference), each point marked
    `training`, `batch` or its emerging issue's label."""
    rows = np.sort(np.random.default_rng(seed).choice(len(reference), min(MAP_REFERENCE_POINTS, len(reference)),
                                                      replace=False))
    pca = PCA(n_components=2, random_state=seed).fit(reference[rows])
    group = np.array(["batch"] * len(batch), dtype=object)
    position = {identifier: row for row, identifier in enumerate(ids)}
    for issue in issues:
        group[[position[identifier] for identifier in issue["message_ids"]]] = f"{issue['issue']}. {issue['label']}"
    xy = np.vstack([pca.transform(reference[rows]), pca.transform(batch)])
    return pd.DataFrame({"x": np.round(xy[:, 0], 4), "y": np.round(xy[:, 1], 4),
                         "group": np.concatenate([np.full(len(rows), "training", dtype=object), group])})


def plot_map(points: pd.DataFrame, path: Path, title: str) -> None:
    fig, ax = plt.subplots(figsize=(9, 7))
    styles = {"training": {"s": 4, "alpha": 0.25, "color": "#BBBBBB"}, "batch": {"s": 6, "alpha": 0.6,
                                                                                "color": "#4C72B0"}}
    cmap = plt.get_cmap("tab10")
    issues = sorted(set(points["group"]) - set(styles))
    for name in ["training", "batch", *issues]:
        chosen = points[points["group"] == name]
        style = styles[name] if name in styles else {"s": 18, "alpha": 0.9,
                                                     "color": cmap((issues.index(name) + 3) % 10)}
        ax.scatter(chosen["x"], chosen["y"], label=name, **style)
    ax.set_title(title)
    ax.legend(fontsize=7, markerscale=2, loc="best")
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(path, dpi=100, format="png")
    plt.close(fig)


def shares_table(periods: list[dict]) -> pd.DataFrame:
    """Each topic's share in each period (columns), with its training share."""
    rows = {}
    for period in periods:
        for shift in period["summary"]["topic_shifts"]:
            row = rows.setdefault(shift["topic_label"], {"training": shift["training_share"]})
            row[period["period"]] = shift["share"]
    return pd.DataFrame.from_dict(rows, orient="index").fillna(0.0)


def plot_shares(table: pd.DataFrame, path: Path) -> None:
    """The shares of the SHARE_TOPICS topics that moved most, across periods, against their training shares."""
    periods = [column for column in table.columns if column != "training"]
    moved = table[periods].sub(table["training"], axis=0).abs().max(axis=1).sort_values(ascending=False, kind="stable")
    fig, ax = plt.subplots(figsize=(9, 5))
    cmap = plt.get_cmap("tab10")
    for index, topic in enumerate(moved.index[:SHARE_TOPICS]):
        color = cmap(index % 10)
        ax.plot(periods, table.loc[topic, periods], marker="o", color=color, label=topic)
        ax.axhline(table.loc[topic, "training"], color=color, linestyle=":", linewidth=1)
    ax.set_ylabel("share of the period's messages (dotted: training share)")
    ax.set_title("Topic shares across periods")
    ax.legend(fontsize=7, loc="best")
    plt.setp(ax.get_xticklabels(), rotation=45, ha="right")
    fig.tight_layout()
    fig.savefig(path, dpi=100, format="png")
    plt.close(fig)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _p(value: float) -> str:
    return f"{value:.3f}" if value >= 0.001 else "< 0.001"


def batch_lines(summary: dict, map_file: str | None) -> list[str]:
    drift = summary["drift"]
    lines = [f"{summary['n_messages']:,} messages against {summary['reference_tweets']:,} training tweets (compared in"
             f" the {summary['space']} space). Drift score {drift['score']:.3f} (0 = mixed with the training tweets"
             f" as chance mixes them, 1 = apart), p = {_p(drift['p_value'])}.", ""]
    issues = summary["emerging_issues"]
    lines += ["#### Emerging issues", ""]
    if not issues:
        lines += ["None: no group of new messages is more frequent here than near it in the training tweets.", ""]
    for issue in issues:
        nearest = issue["nearest_topic"]
        routed = ", ".join(f"{topic['topic_label']} ({topic['share']:.0%})" for topic in issue["routed_to"])
        lines += [f"**{issue['issue']}. {_cell(issue['label'])}**: {issue['messages']} messages"
                  f" ({issue['share']:.1%} of the batch), p = {_p(issue['p_value'])}", "",
                  f"- keywords: {_cell(', '.join(issue['keywords']))}",
                  f"- nearest topic: {_cell(nearest['topic_label'])} (cosine distance {nearest['distance']:.2f});"
                  f" routed to {_cell(routed)}",
                  "- typical messages:", *[f"  - {_cell(example['text'])}" for example in issue["examples"]], ""]
    if map_file:
        lines += [f"![The batch among the training tweets, emerging issues in colour]({map_file})", ""]
    needs_human = summary["needs_human"]
    lines += ["#### Shifts", "",
              f"needs_human: {needs_human['flagged']} messages ({needs_human['rate']:.1%}) against the"
              f" {needs_human['expected_rate']:.1%} the handoff flags in ordinary traffic,"
              f" p = {_p(needs_human['p_value'])}{' (significant)' if needs_human['significant'] else ''}.", "",
              "| topic | messages | share | training share | change | p (Holm) |", "|---|---|---|---|---|---|"]
    for shift in summary["topic_shifts"]:
        mark = " **" if shift["significant"] else " "
        lines.append(f"| {_cell(shift['topic_label'])} | {shift['messages']} | {shift['share']:.1%} |"
                     f" {shift['training_share']:.1%} |{mark}{shift['change']:+.1%}{mark.strip()} |"
                     f" {_p(shift['p_value'])} |")
    return lines + [""]


def markdown_report(result: dict, map_files: dict[str, str], shares_file: str | None) -> str:
    lines = [f"# Monitor: {_cell(result['source'])}", ""]
    for period in result["periods"]:
        title = "The whole batch" if period["period"] is None else f"Period from {period['period']}"
        lines += [f"### {title}", ""]
        if period["summary"] is None:
            lines += [f"{period['n_messages']} messages: too few to compare (monitor.min_size).", ""]
            continue
        lines += batch_lines(period["summary"], map_files.get(str(period["period"])))
    if shares_file:
        lines += ["### Topic shares across periods", "", f"![Topic shares across periods]({shares_file})", ""]
    lines += ["A candidate a person recognises becomes a topic through a retrain: see docs/EMERGING_ISSUES.md.", ""]
    return "\n".join(lines)
