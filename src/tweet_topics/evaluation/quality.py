"""Is the partition any good? Separation, compactness, balance, and end-to-end stability per k for the sweep."""

import os

import numpy as np
import pandas as pd
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from tweet_topics.chain.topics import TopicSteps
from tweet_topics.evaluation.stability import mean_pairwise_ari

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


def _fit(steps: TopicSteps, features: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    """One fit of the sweep, in a worker process."""
    model = steps.fit_topics(features, k)
    return model.predict(features), float(model.inertia_)


def k_sweep(features: np.ndarray, spaces: list[np.ndarray], k_values: list[int], steps: TopicSteps) -> pd.DataFrame:
    """One row per k: inertia and the partition-quality scores of KMeans on `features` (the pipeline's reduced
    space), and the end-to-end stability of the refits' topics in `spaces` (stability.refit_spaces).

    The fits run in parallel processes, one per core: each is single-threaded and seeded, so the table is the same
    whatever the number of cores."""
    from joblib import Parallel, delayed

    jobs = [(k, None) for k in k_values] + [(k, refit) for k in k_values for refit in range(len(spaces))]
    fitted = Parallel(n_jobs=min(os.cpu_count() or 1, len(jobs)))(
        delayed(_fit)(steps if refit is None else steps.reseeded(refit),
                      features if refit is None else spaces[refit], k)
        for k, refit in jobs)
    results = dict(zip(jobs, fitted, strict=True))
    rows = []
    for k in k_values:
        labels, inertia = results[(k, None)]
        rows.append({
            "k": k,
            "inertia": round(inertia, 4),
            **partition_quality(features, labels, k, steps.kmeans.seed),
            "stability_ari": mean_pairwise_ari([results[(k, refit)][0] for refit in range(len(spaces))]),
        })
    return pd.DataFrame(rows)
