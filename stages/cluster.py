"""cluster: KMeans fitted on discovery; its clusters matched to the accepted topics (stable ids), people's merges
and names applied; a pseudo-labelled dataset per split, the topic descriptions, sizes and what changed."""

import numpy as np

from tweet_topics.discovery.cluster import cluster_sizes, fit_kmeans
from tweet_topics.discovery.descriptions import topic_names
from tweet_topics.discovery.naming import read_names
from tweet_topics.discovery.topic_model import build_topics, read_reference
from tweet_topics.encoding.identity import model_identity
from tweet_topics.errors import UserError
from tweet_topics.io.artifacts import read_json
from tweet_topics.io.atomic import atomic_dir, write_json
from tweet_topics.io.datasets import read_arrays, read_frames, read_ids, write_frames
from tweet_topics.params import load_section
from tweet_topics.paths import (
    ACCEPTED_TOPICS,
    CLUSTER_SIZES,
    CLUSTERED,
    EMBEDDINGS,
    ENCODER,
    MODELS,
    PREPROCESSED,
    REDUCED,
    TOPIC_CHANGES,
    TOPIC_NAMES,
    TOPICS,
)
from tweet_topics.stage import run_stage


def main() -> None:
    params = load_section("kmeans")
    features = read_arrays(REDUCED)
    ids = read_ids(REDUCED)
    frames = read_frames(PREPROCESSED)
    for split, frame in frames.items():
        if not np.array_equal(frame["tweet_id"].to_numpy(), ids[split]):
            raise UserError(f"{REDUCED} and {PREPROCESSED} disagree on the {split} tweets: run `dvc repro`")
    names = read_names(TOPIC_NAMES)
    kmeans = fit_kmeans(features["discovery"], params)
    clusters = {split: kmeans.predict(features[split]) for split in frames}
    embedding_model = model_identity(read_json(EMBEDDINGS / ENCODER))
    topics = build_topics(clusters, params.n_clusters, read_arrays(EMBEDDINGS, lazy=True)["discovery"],
                          frames["discovery"], read_reference(ACCEPTED_TOPICS, embedding_model), names,
                          embedding_model)
    shown = np.array(topic_names(topics.described), dtype=object)
    stable = np.array([topic["topic"] for topic in topics.described["topics"]])
    labelled = {split: frame[["tweet_id", "brand", "created_at", "text", "keyword_text"]].assign(
                    pseudo_label=topics.labels[split], topic_id=stable[topics.labels[split]],
                    topic_label=shown[topics.labels[split]])
                for split, frame in frames.items()}
    with atomic_dir(CLUSTERED) as tmp:
        write_frames(tmp, labelled)
    write_json(MODELS / TOPICS, topics.described)
    write_json(CLUSTER_SIZES, cluster_sizes(topics.labels["discovery"], stable))
    write_json(TOPIC_CHANGES, topics.changes)


if __name__ == "__main__":
    run_stage("cluster", main)
