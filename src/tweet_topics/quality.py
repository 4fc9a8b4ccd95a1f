"""Is the partition any good? Separation, compactness, balance, and end-to-end stability per k for the sweep."""

import numpy as np
import pandas as pd
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from tweet_topics.cluster import fit_kmeans
from tweet_topics.stability import mean_pairwise_ari, refit_partitions

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


def k_sweep(features: np.ndarray, spaces: list[np.ndarray], k_values: list[int], params: dict) -> pd.DataFrame:
    """One row per k: inertia and the partition-quality scores of KMeans on `features` (the pipeline's reduced
    space), and the end-to-end stability of the refits' topics in `spaces` (stability.refit_spaces)."""
    rows = []
    for k in k_values:
        kmeans = fit_kmeans(features, k, params["kmeans"])
        rows.append({
            "k": k,
            "inertia": round(float(kmeans.inertia_), 4),
            **partition_quality(features, kmeans.predict(features), k, params["kmeans"]["seed"]),
            "stability_ari": mean_pairwise_ari(refit_partitions(spaces, params, k)),
        })
    return pd.DataFrame(rows)
