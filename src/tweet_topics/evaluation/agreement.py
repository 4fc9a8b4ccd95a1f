"""Agreement between unsupervised clusters and gold labels, for evaluating topic discovery on labelled data."""

from collections.abc import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn import metrics


def _contingency(true_labels: Sequence, cluster_ids: Sequence) -> np.ndarray:
    """Counts with one row per gold label and one column per cluster; labels and ids may be any hashable values."""
    true = np.asarray(true_labels)
    found = np.asarray(cluster_ids)
    if true.shape != found.shape or true.ndim != 1:
        raise ValueError(f"labels must be 1-D and equally long, got {true.shape} and {found.shape}")
    if true.size == 0:
        raise ValueError("true_labels and cluster_ids are empty")
    return metrics.cluster.contingency_matrix(true, found)


def hungarian_accuracy(true_labels: Sequence, cluster_ids: Sequence) -> float:
    """Share of items correct under the best one-to-one mapping of clusters to labels.

    When k differs from the number of labels, the surplus clusters (or labels) stay unmatched
    and their items count as wrong, so over-clustering cannot inflate the score the way purity does.
    """
    table = _contingency(true_labels, cluster_ids)
    rows, cols = linear_sum_assignment(table, maximize=True)
    return float(table[rows, cols].sum() / table.sum())


def purity(true_labels: Sequence, cluster_ids: Sequence) -> float:
    """Share of items whose cluster's majority label is their own label."""
    table = _contingency(true_labels, cluster_ids)
    return float(table.max(axis=0).sum() / table.sum())


def agreement_scores(true_labels: Sequence, cluster_ids: Sequence) -> dict[str, float]:
    true = np.asarray(true_labels)
    found = np.asarray(cluster_ids)
    homogeneity, completeness, _ = metrics.homogeneity_completeness_v_measure(true, found)
    scores = {
        "accuracy": hungarian_accuracy(true, found),
        "nmi": metrics.normalized_mutual_info_score(true, found),
        "ari": metrics.adjusted_rand_score(true, found),
        "homogeneity": homogeneity,
        "completeness": completeness,
    }
    return {name: round(float(value), 6) for name, value in scores.items()}
