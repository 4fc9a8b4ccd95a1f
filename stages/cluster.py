"""cluster: KMeans pseudo-labels fitted on discovery, a pseudo-labelled dataset per split, named topics, sizes."""

from pathlib import Path

import numpy as np

from tweet_topics.artifacts import save_arrays
from tweet_topics.atomic import atomic_dir, write_json
from tweet_topics.cluster import cluster_sizes, fit_kmeans
from tweet_topics.datasets import read_arrays, read_frames, read_ids, write_frames
from tweet_topics.errors import UserError
from tweet_topics.params import load_section
from tweet_topics.stage import run_stage
from tweet_topics.topics import describe_topics

REDUCED_DIR = Path("data/05_reduced")
TEXT_DIR = Path("data/03_preprocessed")
OUT_DIR = Path("data/06_clustered")
MODEL_FILE = Path("models/kmeans.npz")
TOPICS_FILE = Path("models/topics.json")
SIZES_FILE = Path("metrics/cluster_sizes.json")


def main() -> None:
    params = load_section("kmeans")
    features = read_arrays(REDUCED_DIR)
    ids = read_ids(REDUCED_DIR)
    frames = read_frames(TEXT_DIR)
    kmeans = fit_kmeans(features["discovery"], params["n_clusters"], params)
    labels = {}
    for split, frame in frames.items():
        if not np.array_equal(frame["tweet_id"].to_numpy(), ids[split]):
            raise UserError(f"{REDUCED_DIR} and {TEXT_DIR} disagree on the {split} tweets: run `dvc repro`")
        labels[split] = kmeans.predict(features[split]).astype(np.int32)
    discovery = frames["discovery"]
    brand_words = frozenset(" ".join(discovery["brand_keywords"].unique()).split())
    topics = describe_topics(discovery["keyword_text"].tolist(), discovery["text"].tolist(),
                             discovery["tweet_id"].to_numpy(), discovery["brand"].to_numpy(), brand_words,
                             features["discovery"], labels["discovery"], kmeans.cluster_centers_)
    topic_labels = np.array([topic["label"] for topic in topics["topics"]], dtype=object)
    labelled = {split: frame[["tweet_id", "brand", "text", "keyword_text"]].assign(
                    pseudo_label=labels[split], topic_label=topic_labels[labels[split]])
                for split, frame in frames.items()}
    with atomic_dir(OUT_DIR) as tmp:
        write_frames(tmp, labelled)
    save_arrays(MODEL_FILE, {"centers": kmeans.cluster_centers_}, {"kind": "kmeans"})
    write_json(TOPICS_FILE, topics)
    write_json(SIZES_FILE, cluster_sizes(labelled["discovery"]["pseudo_label"].to_numpy(), params["n_clusters"]))


if __name__ == "__main__":
    run_stage("cluster", main)
