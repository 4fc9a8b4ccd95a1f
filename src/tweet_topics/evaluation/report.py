"""The report a person opens: one row per topic, what changed since the accepted topics, topic sizes, topics per
brand and over time, a 2-D map, the confusion matrix, scores per split, calibration and the handoff."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.metrics import confusion_matrix  # noqa: E402

from tweet_topics.discovery.breakdowns import MIN_BRAND_TWEETS  # noqa: E402
from tweet_topics.discovery.descriptions import display_name, topic_names  # noqa: E402
from tweet_topics.evaluation.confidence_report import confidence_lines  # noqa: E402

MAP_MAX_POINTS = 3000


def topic_sizes_table(topics: dict) -> pd.DataFrame:
    names = topic_names(topics)
    return pd.DataFrame({"topic": names, "share": [topic["share"] for topic in topics["topics"]],
                         "size": [topic["size"] for topic in topics["topics"]]})


def topic_map_table(features: np.ndarray, labels: np.ndarray, names: list[str], seed: int) -> pd.DataFrame:
    """A fixed sample of tweets projected to 2-D (PCA of the reduced embeddings), with their topic."""
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(features), size=min(MAP_MAX_POINTS, len(features)), replace=False))
    xy = PCA(n_components=2, random_state=seed).fit_transform(features[rows])
    return pd.DataFrame({"x": np.round(xy[:, 0], 4), "y": np.round(xy[:, 1], 4),
                         "topic": np.asarray(names, dtype=object)[labels[rows]]})


def plot_topic_sizes(sizes: pd.DataFrame, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(sizes) + 1.2))
    ax.barh(sizes["topic"][::-1], sizes["share"][::-1], color="#4C72B0")
    ax.set_xlabel("share of discovery tweets")
    ax.set_title("Topic sizes")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_topic_map(points: pd.DataFrame, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(9, 7))
    cmap = plt.get_cmap("tab20")
    for i, (name, group) in enumerate(points.groupby("topic", sort=True)):
        ax.scatter(group["x"], group["y"], s=6, alpha=0.6, color=cmap(i % 20), label=name)
    ax.set_title(f"Tweets by topic (PCA of the reduced embeddings, {len(points)} discovery tweets)")
    ax.legend(fontsize=7, markerscale=3, loc="best")
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_topics_over_time(over_time: pd.DataFrame, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(9, 5))
    cmap = plt.get_cmap("tab20")
    for i, (name, group) in enumerate(over_time.groupby("topic", sort=True)):
        ax.plot(group["period"], group["share"], marker="o", color=cmap(i % 20), label=name)
    ax.set_ylabel("share of the week's tweets")
    ax.set_title("Topics over time")
    ax.tick_params(axis="x", rotation=45, labelsize=7)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_topics_per_brand(per_brand: pd.DataFrame, path: Path, max_brands: int = 15) -> None:
    brands = list(dict.fromkeys(per_brand["brand"]))[:max_brands]
    shares = per_brand.pivot(index="brand", columns="topic", values="share").fillna(0).loc[brands[::-1]]
    fig, ax = plt.subplots(figsize=(9, 0.4 * len(brands) + 1.5))
    shares.plot.barh(stacked=True, ax=ax, colormap="tab20", width=0.8)
    ax.set_xlabel("share of the brand's tweets")
    ax.set_title("Topics per brand")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_confusion(actual: np.ndarray, predicted: np.ndarray, names: list[str], path: Path) -> None:
    matrix = confusion_matrix(actual, predicted, labels=np.arange(len(names)))
    fig, ax = plt.subplots(figsize=(0.6 * len(names) + 4, 0.5 * len(names) + 3))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(names)), names, fontsize=7)
    for (row, column), count in np.ndenumerate(matrix):
        if count:
            ax.text(column, row, str(count), ha="center", va="center", fontsize=7,
                    color="white" if count > matrix.max() / 2 else "black")
    ax.set_xlabel("predicted by the classifier")
    ax.set_ylabel("KMeans pseudo-label")
    ax.set_title("Evaluation split: classifier vs pseudo-label")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def brand_table(per_brand: pd.DataFrame, n_topics: int = 3) -> list[str]:
    lines = ["| brand | tweets | main topics |", "|---|---|---|"]
    for brand, group in per_brand.groupby("brand", sort=False):
        top = group.sort_values(["share", "topic"], ascending=[False, True]).head(n_topics)
        shown = ", ".join(f"{_cell(row.topic)} {row.share:.0%}" for row in top.itertuples())
        lines.append(f"| {_cell(brand)} | {int(group['tweets'].sum())} | {shown} |")
    return lines


def trend_lines(trends: list[dict]) -> list[str]:
    if not trends:
        return ["Fewer than two weeks with enough tweets: no trend to show."]
    return [f"- **{_cell(t['topic'])}**: {t['share']:.1%} of the week of {t['period']}, against {t['share_before']:.1%}"
            f" on average before ({'+' if t['change'] >= 0 else ''}{t['change'] * 100:.1f} points)" for t in trends]


def markdown_report(topics: dict, metrics: dict, figures: dict[str, str], changes: str,
                    per_brand: pd.DataFrame, trends: list[dict]) -> str:
    """The report; `changes` is topic_changes.changes_markdown of this run, `trends` breakdowns.trending's."""
    lines = ["# Topics of the customer tweets", ""]
    clusters = metrics["clusters"]
    lines += [f"{topics['n_topics']} topics found by KMeans on the discovery split. End-to-end stability "
              f"{clusters['stability_ari']:.3f} (mean ARI between refits with other seeds and float-sized noise on the"
              " embeddings; 1 = the same topics on any machine). Cluster quality: silhouette "
              f"(cosine) {clusters['silhouette_cosine']:.3f}, Davies-Bouldin {clusters['davies_bouldin']:.3f}; "
              f"topic shares from {clusters['min_topic_share']:.1%} to {clusters['max_topic_share']:.1%}.", ""]
    lines += ["| topic | share | keywords | main brands | most representative tweets |", "|---|---|---|---|---|"]
    for topic in topics["topics"]:
        keywords = ", ".join(keyword["term"] for keyword in topic["keywords"])
        brands = ", ".join(f"{brand['brand']} {brand['share']:.0%}" for brand in topic["top_brands"]
                           if brand["share"] >= 0.005)
        examples = "<br>".join(f"• {_cell(example['text'])}" for example in topic["examples"])
        lines.append(f"| **{topic['topic']}: {_cell(display_name(topic))}** | {topic['share']:.1%} ({topic['size']}) "
                     f"| {_cell(keywords)} | {_cell(brands)} | {examples} |")
    lines += ["", "## What changed since the accepted topics", "", changes, "## Topic sizes", "",
              f"![topic sizes]({figures['sizes']})", "",
              "## Topics over time", "", "The topics that moved most in the last week against the weeks before:", "",
              *trend_lines(trends), "", f"![topics over time]({figures['over_time']})", "",
              "## Topics per brand", "",
              f"Brands with at least {MIN_BRAND_TWEETS} tweets; topic shares of each brand's tweets"
              f" (NMI between topic and brand: {clusters['nmi_topic_brand']:.3f}; 0 = topics cut across brands).",
              "", *brand_table(per_brand), "", f"![topics per brand]({figures['per_brand']})", "",
              "## Map of the tweets", "", f"![topic map]({figures['map']})", "",
              "## How well the classifier routes to the topics", "",
              "Scores of the classifier against the KMeans pseudo-labels: they show the partition is learnable, "
              "not that the topics are right (see the cluster quality above).", "",
              "| split | tweets | accuracy | macro-F1 | weighted-F1 |", "|---|---|---|---|---|"]
    for split in ("discovery", "validation", "evaluation"):
        scores = metrics[split]
        lines.append(f"| {split} | {scores['n_tweets']} | {scores['accuracy']:.3f} | {scores['macro_f1']:.3f} "
                     f"| {scores['weighted_f1']:.3f} |")
    lines += ["", f"![confusion matrix]({figures['confusion']})", "", *confidence_lines(metrics, figures)]
    return "\n".join(lines)
