"""Is the partition any good? Separation, compactness, balance and stability of the KMeans topics."""

from itertools import combinations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score, silhouette_score

SILHOUETTE_MAX_SAMPLE = 10_000


def partition_quality(features: np.ndarray, labels: np.ndarray, n_topics: int, seed: int) -> dict[str, float]:
    """Silhouette (cosine, on a fixed sample of at most 10,000), Davies-Bouldin, Calinski-Harabasz, shares."""
    shares = np.bincount(labels, minlength=n_topics) / len(labels)
    quality = {"min_topic_share": float(shares.min()), "max_topic_share": float(shares.max())}
    if len(np.unique(labels)) < 2:  # the scores below need two clusters
        quality.update(silhouette_cosine=0.0, davies_bouldin=0.0, calinski_harabasz=0.0)
    else:
        sample = min(SILHOUETTE_MAX_SAMPLE, len(labels))
        quality["silhouette_cosine"] = float(silhouette_score(features, labels, metric="cosine", sample_size=sample,
                                                              random_state=seed))
        quality["davies_bouldin"] = float(davies_bouldin_score(features, labels))
        quality["calinski_harabasz"] = float(calinski_harabasz_score(features, labels))
    return {key: round(value, 6) for key, value in quality.items()}


def seed_stability(features: np.ndarray, n_topics: int, n_init: int, seeds: list[int]) -> float:
    """Mean adjusted Rand index between the partitions of KMeans fits that differ only in their seed."""
    partitions = [KMeans(n_clusters=n_topics, random_state=seed, n_init=n_init).fit_predict(features)
                  for seed in seeds]
    return round(float(np.mean([adjusted_rand_score(a, b) for a, b in combinations(partitions, 2)])), 6)


def k_sweep(features: np.ndarray, k_values: list[int], seed: int, n_init: int, stability_seeds: int) -> pd.DataFrame:
    """One row per k: inertia, the partition-quality scores and seed stability, to choose kmeans.n_clusters."""
    rows = []
    for k in k_values:
        kmeans = KMeans(n_clusters=k, random_state=seed, n_init=n_init).fit(features)
        rows.append({
            "k": k,
            "inertia": round(float(kmeans.inertia_), 4),
            **partition_quality(features, kmeans.labels_, k, seed),
            "seed_stability_ari": seed_stability(features, k, n_init, [seed + i for i in range(stability_seeds)]),
        })
    return pd.DataFrame(rows)
