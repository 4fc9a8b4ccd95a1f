"""Emerging issues: groups of new messages far more frequent in a batch than near them in the training tweets.

One new message written in old words cannot be told from an old one; many alike can. In the graph of each message's
k nearest neighbours among the training (reference) and batch messages pooled, a batch message is unusual when more
of its neighbours are batch messages than chance allows (a binomial test at `message_alpha`: under no change, a
neighbour is a batch message with probability n_batch / n_pooled). Unusual batch messages that are neighbours form
groups; a group is a candidate when it is larger than the largest group that the same batch, its labels shuffled
among the pooled messages, gives in all but `alpha` of `permutations` shuffles. That is a test of the largest group,
so a candidate's p-value is corrected for every group looked at (a max-statistic permutation test). The same
shuffles give the batch's drift score its p-value. The choice of this test over the others measured (HDBSCAN over
the unusual messages, the plain per-message test) is bench/bench_monitor.py's table."""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.stats import binom

from tweet_topics.reduction.neighbours import nearest_others, normalise_rows
from tweet_topics.threads import one_blas_thread


@dataclass(frozen=True)
class EmergingIssue:
    members: np.ndarray  # batch rows, most typical first (nearest the group's mean)
    share: float  # of the batch
    p_value: float  # of a group this large anywhere in the batch, were it drawn like the reference


@dataclass(frozen=True)
class BatchComparison:
    """What the detector found in one batch against one reference."""

    issues: list[EmergingIssue]
    drift_score: float  # 0: the batch's messages are as mixed among the reference as chance makes them; 1: apart
    drift_p_value: float
    unusual: np.ndarray  # (n_batch,) bool: the batch messages with more batch neighbours than chance allows


@dataclass(frozen=True)
class EmergingIssueDetector:
    k: int = 30
    message_alpha: float = 0.01
    alpha: float = 0.05
    min_size: int = 10
    permutations: int = 199
    seed: int = 0

    def compare(self, reference: np.ndarray, batch: np.ndarray) -> BatchComparison:
        """Candidates in `batch` (n, d) against `reference` (m, d) vectors of the same space, largest first."""
        return self.test(PooledNeighbours.search(reference, batch, self.k), batch)

    def test(self, pooled: "PooledNeighbours", batch: np.ndarray) -> BatchComparison:
        """`compare`, with the pooled neighbours found already (at least k of each)."""
        n_reference, n_pooled = pooled.n_reference, len(pooled.neighbours)
        n_batch = n_pooled - n_reference
        if n_batch < 2:
            raise ValueError("a batch of at least 2 messages is needed")
        k = min(self.k, pooled.neighbours.shape[1])
        graph = pooled.graph(k)
        chance = (n_batch - 1) / (n_pooled - 1)
        threshold = unusual_count(k, chance, self.message_alpha)
        observed = _batch_mask(n_pooled, np.arange(n_reference, n_pooled))
        counts = batch_neighbours(graph, observed)
        groups = self.groups(graph, observed, counts, k, chance, self.min_size)
        drift = _mixing(counts[observed], k, chance)

        rng = np.random.default_rng(self.seed)
        null_largest, null_drift = np.zeros(self.permutations), np.empty(self.permutations)
        for index in range(self.permutations):
            shuffled = _batch_mask(n_pooled, rng.choice(n_pooled, n_batch, replace=False))
            null_counts = batch_neighbours(graph, shuffled)
            null_drift[index] = _mixing(null_counts[shuffled], k, chance)
            if groups:  # the null's largest group is needed only to test an observed one
                null_groups = self.groups(graph, shuffled, null_counts, k, chance, 1)
                null_largest[index] = len(null_groups[0]) if null_groups else 0

        issues = []
        for group in groups:
            p_value = (1 + int((null_largest >= len(group)).sum())) / (1 + self.permutations)
            if p_value <= self.alpha:
                rows = group - n_reference
                issues.append(EmergingIssue(most_typical_first(batch, rows), len(rows) / n_batch, p_value))
        drift_p = (1 + int((null_drift >= drift).sum())) / (1 + self.permutations)
        return BatchComparison(issues, drift, drift_p, counts[n_reference:] >= threshold)

    def groups(self, graph: sparse.csr_matrix, is_batch: np.ndarray, counts: np.ndarray, k: int, chance: float,
               min_size: int) -> list[np.ndarray]:
        """The groups (pooled rows, largest first) of at least min_size batch messages (`is_batch`, a mask) that
        are unusual, given every pooled message's batch `counts` among its k neighbours: the step a variant of the
        test replaces (bench/bench_monitor.py)."""
        return unusual_groups(graph, is_batch & (counts >= unusual_count(k, chance, self.message_alpha)), min_size)

    def detect(self, reference: np.ndarray, batch: np.ndarray) -> list[EmergingIssue]:
        return self.compare(reference, batch).issues


@dataclass(frozen=True)
class PooledNeighbours:
    """Each of the reference and batch messages' nearest others among them all, reference rows first."""

    neighbours: np.ndarray  # (n_reference + n_batch, k) pooled rows, nearest first
    n_reference: int

    @classmethod
    def search(cls, reference: np.ndarray, batch: np.ndarray, k: int) -> "PooledNeighbours":
        pooled = normalise_rows(np.vstack([reference, batch]))
        with one_blas_thread():
            found = nearest_others(pooled, pooled, min(k, len(pooled) - 1), np.arange(len(pooled)))[0]
        return cls(found, len(reference))

    def graph(self, k: int) -> sparse.csr_matrix:
        """The directed k-nearest-neighbour graph: row i's entries are its k nearest."""
        size = len(self.neighbours)
        return sparse.csr_matrix((np.ones(size * k, dtype=np.float32),
                                  (np.repeat(np.arange(size), k), self.neighbours[:, :k].ravel())),
                                 shape=(size, size))


@lru_cache(maxsize=64)  # the same k, chance and level for a batch and each of its shuffles
def unusual_count(k: int, chance: float, message_alpha: float) -> int:
    """The fewest batch neighbours of k that chance gives a batch message with probability at most message_alpha."""
    counts = np.arange(k + 2)
    tail = binom.sf(counts - 1, k, chance)  # P(at least c)
    return int(counts[np.argmax(tail <= message_alpha)]) if (tail <= message_alpha).any() else k + 1


def batch_neighbours(graph: sparse.csr_matrix, is_batch: np.ndarray) -> np.ndarray:
    """Every pooled message's count of batch messages among its neighbours."""
    return np.asarray(graph @ is_batch.astype(np.float32)).ravel()


def unusual_groups(graph: sparse.csr_matrix, unusual: np.ndarray, min_size: int) -> list[np.ndarray]:
    """The groups (pooled rows, largest first) of at least min_size `unusual` messages (a mask) joined as
    neighbours."""
    rows = np.flatnonzero(unusual)
    if len(rows) < min_size:
        return []
    n_groups, labels = connected_components(graph[rows][:, rows], directed=True, connection="weak")
    sizes = np.bincount(labels, minlength=n_groups)
    return [rows[labels == g] for g in np.argsort(-sizes, kind="stable") if sizes[g] >= min_size]


def most_typical_first(vectors: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """`rows` ordered by cosine similarity to their mean, most similar first."""
    members = normalise_rows(np.asarray(vectors)[rows])
    return rows[np.argsort(-(members @ members.mean(axis=0)), kind="stable")]


def _batch_mask(size: int, rows: np.ndarray) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    mask[rows] = True
    return mask


def _mixing(batch_counts: np.ndarray, k: int, chance: float) -> float:
    """How much more of the batch messages' neighbours are batch messages than chance makes them, scaled so that
    0 is chance and 1 is none of them reference."""
    share = float(batch_counts.mean()) / k if len(batch_counts) else chance
    return round(max(0.0, (share - chance) / (1.0 - chance)), 6)
