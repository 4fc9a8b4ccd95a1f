"""From KMeans clusters to the topics people see: stable ids matched to the accepted topics (topic_identity.py),
people's merges and names (naming.py), then descriptions (descriptions.py). models/topics.json lists the topics in the
router's order (its index is the classifier's class); each carries its stable id as "topic"."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tweet_topics.discovery.descriptions import describe_topics, typicality
from tweet_topics.discovery.naming import TopicNames, apply_merges
from tweet_topics.discovery.topic_identity import align, first_ids, reach, topic_means
from tweet_topics.io.artifacts import read_json
from tweet_topics.io.atomic import write_json

CENTROID_DECIMALS = 6


@dataclass
class Topics:
    labels: dict[str, np.ndarray]  # per split, each tweet's topic index (the router's class)
    described: dict  # what models/topics.json holds
    changes: dict  # what metrics/topic_changes.json holds


@dataclass(frozen=True)
class Reference:
    """The accepted topics (topics/reference.json): ids, mean embeddings and reach; `note` says why none apply."""
    ids: list[int]
    means: np.ndarray
    reach: np.ndarray
    note: str | None = None


def read_reference(path: Path, embedding_model: dict) -> Reference:
    """The accepted topics, or none (with a note when the file exists but cannot be used)."""
    none = np.empty((0, embedding_model["dimension"]))
    if not path.is_file():
        return Reference([], none, np.empty(0))
    reference = read_json(path)
    if reference.get("embedding_model", {}).get("fingerprint") != embedding_model["fingerprint"]:
        return Reference([], none, np.empty(0), (
            f"{path} was accepted with other embedding weights, so every topic is new; after review, accept these"
            " with `tweet-topics topics accept`"))
    topics = reference["topics"]
    return Reference([int(t["topic"]) for t in topics], np.array([t["centroid"] for t in topics], dtype=np.float64),
                     np.array([t["reach"] for t in topics], dtype=np.float64))


def build_topics(clusters: dict[str, np.ndarray], n_clusters: int, embeddings, discovery: pd.DataFrame,
                 reference: Reference, names: TopicNames, embedding_model: dict) -> Topics:
    """`clusters`: each split's KMeans index per tweet; `embeddings`: the discovery embeddings (a NpyRows is fine);
    `discovery`: the preprocessed discovery tweets, in the same order."""
    if reference.ids:
        alignment = align(reference.ids, reference.means, reference.reach, embeddings, clusters["discovery"],
                          n_clusters)
    else:
        alignment = first_ids(n_clusters)
    stable = {split: np.asarray(alignment.ids, dtype=np.int64)[labels] for split, labels in clusters.items()}
    stable, merged, unmatched_merge = apply_merges(stable, alignment.ids, names.merges)
    order = sorted(set(alignment.ids) - {topic for group in merged for topic in group[1:]})
    index_of = {topic: index for index, topic in enumerate(order)}
    labels = {split: np.array([index_of[t] for t in ids], dtype=np.int32) for split, ids in stable.items()}

    means = topic_means(embeddings, labels["discovery"], len(order))
    typical = typicality(embeddings, labels["discovery"], means)
    reaches = reach(typical, labels["discovery"], len(order))
    brand_words = frozenset(" ".join(discovery["brand_keywords"].unique()).split())
    described = describe_topics(discovery["keyword_text"].tolist(), discovery["text"].tolist(),
                                discovery["tweet_id"].to_numpy(), discovery["brand"].to_numpy(), brand_words,
                                typical, labels["discovery"], len(order))
    status = dict(zip(alignment.ids, alignment.status, strict=True))
    sources = dict(zip(alignment.ids, alignment.sources, strict=True))
    for index, (topic, description) in enumerate(zip(order, described, strict=True)):
        group = next((g for g in merged if g[0] == topic), [topic])
        description.update(
            topic=topic, name=names.names.get(topic), status=status[topic],
            sources=sorted({s for member in group for s in sources[member]}), merged_from=group[1:],
            centroid=[round(float(v), CENTROID_DECIMALS) for v in means[index]],
            reach=round(float(reaches[index]), CENTROID_DECIMALS))
    changes = {**alignment.changes(), "reference_note": reference.note, "merges_applied": merged,
               "merge_ids_without_topic": unmatched_merge,
               "names_without_topic": {str(t): n for t, n in sorted(names.names.items()) if t not in order}}
    return Topics(labels, {"n_topics": len(order), "fitted_on": "discovery", "embedding_model": embedding_model,
                           "topics": described}, changes)


def accept(topics_file: Path, reference_file: Path) -> dict:
    """Make the trained topics the accepted ones: their ids, names and mean embeddings, for the next retrain."""
    topics = read_json(topics_file)
    reference = {"embedding_model": topics["embedding_model"],
                 "topics": [{key: topic[key] for key in ("topic", "label", "name", "reach", "centroid")}
                            for topic in topics["topics"]]}
    write_json(reference_file, reference)
    return reference
