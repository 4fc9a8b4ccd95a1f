"""KMeans pseudo-labels: fitted on discovery, assigned to every split."""

import numpy as np
from sklearn.cluster import KMeans

from tweet_topics.errors import UserError


def fit_kmeans(features: np.ndarray, n_clusters: int, seed: int, n_init: int) -> KMeans:
    if n_clusters > len(features):
        raise UserError(
            f"kmeans.n_clusters is {n_clusters} but the discovery split has only {len(features)} tweets:"
            " lower kmeans.n_clusters or raise ingest.max_inbound"
        )
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # its centroid sums depend on the OpenMP thread count; one thread, same centroids
        return KMeans(n_clusters=n_clusters, random_state=seed, n_init=n_init).fit(features)


def cluster_sizes(labels: np.ndarray, n_clusters: int) -> dict[str, dict[str, float]]:
    counts = np.bincount(labels, minlength=n_clusters)
    return {
        str(cluster): {"size": int(count), "share": round(float(count) / max(len(labels), 1), 6)}
        for cluster, count in enumerate(counts)
    }
