"""The report a person opens: one row per topic, topic sizes, a 2-D map, the confusion matrix, scores per split."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.metrics import confusion_matrix  # noqa: E402

from tweet_topics.topics import topic_names  # noqa: E402

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


def markdown_report(topics: dict, metrics: dict, figures: dict[str, str]) -> str:
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
        lines.append(f"| **{topic['topic']}: {_cell(topic['label'])}** | {topic['share']:.1%} ({topic['size']}) "
                     f"| {_cell(keywords)} | {_cell(brands)} | {examples} |")
    lines += ["", "## Topic sizes", "", f"![topic sizes]({figures['sizes']})", "",
              "## Map of the tweets", "", f"![topic map]({figures['map']})", "",
              "## How well the classifier routes to the topics", "",
              "Scores of the classifier against the KMeans pseudo-labels: they show the partition is learnable, "
              "not that the topics are right (see the cluster quality above).", "",
              "| split | tweets | accuracy | macro-F1 | weighted-F1 |", "|---|---|---|---|---|"]
    for split in ("discovery", "validation", "evaluation"):
        scores = metrics[split]
        lines.append(f"| {split} | {scores['n_tweets']} | {scores['accuracy']:.3f} | {scores['macro_f1']:.3f} "
                     f"| {scores['weighted_f1']:.3f} |")
    lines += ["", f"![confusion matrix]({figures['confusion']})", ""]
    return "\n".join(lines)
