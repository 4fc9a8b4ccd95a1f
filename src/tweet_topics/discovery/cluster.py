"""KMeans pseudo-labels: fitted on discovery (all of it, a fixed sample or in mini-batches), assigned to every split."""

import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans

from tweet_topics.errors import UserError
from tweet_topics.reduction.sampling import fit_rows

# rows per mini-batch: sklearn's advice is at least 256 x cores; bigger batches are steadier and still cheap
MINIBATCH_SIZE = 4096


def fit_kmeans(features: np.ndarray, params) -> KMeans | MiniBatchKMeans:
    """KMeans fitted as params.KMeansParams says (n_clusters, seed, n_init, algorithm, max_fit_tweets); assign every
    row with `.predict`, since `labels_` covers only the fitted rows."""
    n_clusters = params.n_clusters
    if n_clusters > len(features):
        raise UserError(
            f"kmeans.n_clusters is {n_clusters} but the discovery split has only {len(features)} tweets:"
            " lower kmeans.n_clusters or raise ingest.max_inbound"
        )
    from threadpoolctl import threadpool_limits

    sample = np.asarray(features[fit_rows(len(features), params.max_fit_tweets, params.seed)])
    if params.algorithm == "minibatch":
        model = MiniBatchKMeans(n_clusters=n_clusters, random_state=params.seed, n_init=params.n_init,
                                batch_size=MINIBATCH_SIZE)
    else:
        model = KMeans(n_clusters=n_clusters, random_state=params.seed, n_init=params.n_init)
    with threadpool_limits(1):  # its centroid sums depend on the OpenMP thread count; one thread, same centroids
        return model.fit(sample)


def cluster_sizes(labels: np.ndarray, topic_ids: np.ndarray) -> dict[str, dict[str, float]]:
    """Size and share of each topic, keyed by its stable id; `labels` are topic indices into `topic_ids`."""
    counts = np.bincount(labels, minlength=len(topic_ids))
    return {
        str(topic): {"size": int(count), "share": round(float(count) / max(len(labels), 1), 6)}
        for topic, count in zip(topic_ids, counts, strict=True)
    }
