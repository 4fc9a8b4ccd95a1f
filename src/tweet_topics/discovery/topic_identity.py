"""Topic identity across retrains: a retrained model's topics are matched to the accepted ones (topics/reference.json)
by the tweets they hold, so a topic keeps its id, and with it its name, whatever KMeans numbered it this time.

Matching happens in the embedding space, which no reduction, seed or k changes: each accepted topic is its mean
unit embedding and its reach (the cosine to the mean that 90% of its tweets had), each current discovery tweet goes
to the accepted topic whose mean is nearest, if within that topic's reach, and the table of (accepted, current)
counts says where every accepted topic went. Matched one-to-one by the Hungarian method
on that table, a pair keeps the accepted id when each holds the majority of the other. Any other current topic gets
a new id and is reported as split (from an accepted topic now behind several), merged (from several), changed
(from one accepted topic, too unlike it to keep its id) or new; an accepted topic that no current topic holds a
quarter of is gone.
"""

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from tweet_topics.reduction.neighbours import normalise_rows

KEEP_SHARE = 0.5  # a kept topic holds at least half of the accepted one's tweets, and they are half of its own
PART_SHARE = 0.25  # a quarter of an accepted topic's tweets make a current topic part of a split or merge
ROWS_PER_BLOCK = 65536
# reaches and means are stored to 6 decimals: a tweet exactly at a topic's reach must still count as within it
REACH_TOLERANCE = 1e-4


@dataclass
class Alignment:
    ids: list[int]  # the stable id of each current topic, by KMeans' index
    status: list[str]  # kept | split | merged | changed | new, per current topic
    sources: list[list[int]]  # per current topic, the accepted ids it holds a quarter or more of
    gone: list[int] = field(default_factory=list)  # accepted ids that no current topic continues
    split: dict[int, list[int]] = field(default_factory=dict)  # accepted id -> the current ids it split into
    merged: dict[int, int] = field(default_factory=dict)  # accepted id -> the current id it merged into
    changed: dict[int, int] = field(default_factory=dict)  # accepted id -> the one current id it became

    def changes(self) -> dict:
        """What the report and the retrain pull request list."""
        return {"kept": sorted(i for i, s in zip(self.ids, self.status, strict=True) if s == "kept"),
                "new": sorted(i for i, s in zip(self.ids, self.status, strict=True) if s == "new"),
                "split": {str(old): new for old, new in sorted(self.split.items())},
                "merged": {str(old): new for old, new in sorted(self.merged.items())},
                "changed": {str(old): new for old, new in sorted(self.changed.items())},
                "gone": sorted(self.gone)}


def topic_means(embeddings, labels: np.ndarray, n_topics: int) -> np.ndarray:
    """Each topic's mean unit embedding, itself of unit length (float64); `embeddings` may be a NpyRows."""
    sums = np.zeros((n_topics, embeddings.shape[1]))
    for start in range(0, len(labels), ROWS_PER_BLOCK):
        block = normalise_rows(np.asarray(embeddings[start:start + ROWS_PER_BLOCK]))
        np.add.at(sums, labels[start:start + ROWS_PER_BLOCK], block)
    return normalise_rows(sums).astype(np.float64)


def nearest_topic(embeddings, means: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """For each embedding, the index of the nearest topic mean (cosine), or -1 when that is beyond its reach."""
    nearest = np.empty(len(embeddings), dtype=np.int64)
    for start in range(0, len(embeddings), ROWS_PER_BLOCK):
        similarity = normalise_rows(np.asarray(embeddings[start:start + ROWS_PER_BLOCK])) @ means.T
        best = np.argmax(similarity, axis=1)
        within = similarity[np.arange(len(best)), best] >= reach[best] - REACH_TOLERANCE
        nearest[start:start + len(best)] = np.where(within, best, -1)
    return nearest


def reach(typicality: np.ndarray, labels: np.ndarray, n_topics: int) -> np.ndarray:
    """Per topic, the cosine to its mean that 90% of its tweets reach."""
    return np.array([np.percentile(typicality[labels == topic], 10) if np.any(labels == topic) else 1.0
                     for topic in range(n_topics)])


def first_ids(n_topics: int) -> Alignment:
    """Without accepted topics: ids 0 .. k-1, every topic new."""
    return Alignment(ids=list(range(n_topics)), status=["new"] * n_topics, sources=[[] for _ in range(n_topics)])


def align(accepted_ids: list[int], accepted_means: np.ndarray, accepted_reach: np.ndarray, embeddings,
          labels: np.ndarray, n_topics: int) -> Alignment:
    """Stable ids for the current topics (`labels` of the discovery `embeddings`) against the accepted ones."""
    if not accepted_ids:
        return first_ids(n_topics)
    previous = nearest_topic(embeddings, accepted_means, accepted_reach)
    counts = np.zeros((len(accepted_ids), n_topics))
    matched = previous >= 0
    np.add.at(counts, (previous[matched], labels[matched]), 1)
    share_of_accepted = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)  # where each accepted went
    share_of_current = counts / np.maximum(counts.sum(axis=0, keepdims=True), 1)  # what each current holds
    rows, columns = linear_sum_assignment(counts, maximize=True)
    kept = {column: row for row, column in zip(rows, columns, strict=True)
            if share_of_accepted[row, column] >= KEEP_SHARE and share_of_current[row, column] >= KEEP_SHARE}

    parts = share_of_accepted >= PART_SHARE  # (accepted, current): current holds a quarter of accepted
    next_id = max(accepted_ids) + 1
    ids, status, sources = [], [], []
    for topic in range(n_topics):
        sources.append([accepted_ids[row] for row in np.flatnonzero(parts[:, topic])])
        if topic in kept:
            ids.append(accepted_ids[kept[topic]])
            status.append("kept")
            continue
        ids.append(next_id)
        next_id += 1
        rows = np.flatnonzero(parts[:, topic])
        status.append("merged" if len(rows) >= 2 else "new" if len(rows) == 0
                      else "split" if parts[rows[0]].sum() >= 2 else "changed")

    alignment = Alignment(ids=ids, status=status, sources=sources)
    continued = {ids[topic] for topic in kept}
    for row, accepted in enumerate(accepted_ids):
        went = [ids[topic] for topic in np.flatnonzero(parts[row])]
        if len(went) >= 2:
            alignment.split[accepted] = went
        elif accepted in continued:
            continue
        elif went and parts[:, ids.index(went[0])].sum() >= 2:
            alignment.merged[accepted] = went[0]
        elif went:
            alignment.changed[accepted] = went[0]
        else:
            alignment.gone.append(accepted)
    return alignment
