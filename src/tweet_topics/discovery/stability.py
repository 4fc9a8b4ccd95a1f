"""End-to-end stability: do the topics come back when everything random in the chain changes?

Each refit draws its own Gaussian noise on the embeddings (stability.noise, 1e-6 by default: the size of the
differences between two CPUs' embeddings of the same text), shifts every seed of the reduction and of KMeans, and
fits reduce -> KMeans again on a fixed sample of discovery tweets. The score is the mean adjusted Rand index over
every pair of refits: 1 means the same topics whatever the machine and the seeds. A KMeans-seed-only figure on one
fixed layout hid most of this (UMAP's layout moved the topics to ARI 0.6 under 1e-7 noise while it read 0.93).
"""

from itertools import combinations

import numpy as np
from sklearn.metrics import adjusted_rand_score

from tweet_topics.discovery.cluster import fit_kmeans
from tweet_topics.reduction.reduce import fit_reducer
from tweet_topics.reduction.sampling import fit_rows

SEED_SHIFT = 1000  # refit r adds r * SEED_SHIFT to every seed, so no two refits share one
SEEDED = {"pca": "seed", "umap": "seed", "smoothing": "seed", "kmeans": "seed"}


def refit_params(params: dict, refit: int) -> dict:
    """`params` (sections of params.yaml) with every seed of the reduction and of KMeans shifted for `refit`."""
    shifted = {section: dict(values) for section, values in params.items()}
    for section, key in SEEDED.items():
        if section in shifted:
            shifted[section][key] += refit * SEED_SHIFT
    return shifted


def perturbed(embeddings: np.ndarray, noise: float, refit: int) -> np.ndarray:
    rng = np.random.default_rng(refit)
    return (embeddings + rng.normal(0.0, noise, embeddings.shape)).astype(np.float32)


def stability_sample(embeddings: np.ndarray, stability: dict, seed: int) -> np.ndarray:
    """The fixed sample of at most stability.max_tweets discovery embeddings that the refits fit on."""
    return np.asarray(embeddings[fit_rows(len(embeddings), stability["max_tweets"], seed)], dtype=np.float32)


def refit_spaces(sample: np.ndarray, params: dict, stability: dict) -> list[np.ndarray]:
    """The sample reduced by each refit's reducer, fitted on that refit's noisy copy (independent of k)."""
    return [fit_reducer(perturbed(sample, stability["noise"], refit), refit_params(params, refit))[1]
            for refit in range(stability["refits"])]


def refit_partitions(spaces: list[np.ndarray], params: dict, n_topics: int) -> list[np.ndarray]:
    """Each refit's KMeans topics of the sample, with that refit's KMeans seed."""
    return [fit_kmeans(space, n_topics, refit_params(params, refit)["kmeans"]).predict(space)
            for refit, space in enumerate(spaces)]


def mean_pairwise_ari(partitions: list[np.ndarray]) -> float:
    return round(float(np.mean([adjusted_rand_score(a, b) for a, b in combinations(partitions, 2)])), 6)


def end_to_end_stability(embeddings: np.ndarray, params: dict, stability: dict, n_topics: int) -> float:
    """Mean ARI between the topics of stability.refits noisy, reseeded refits of reduce -> KMeans."""
    sample = stability_sample(embeddings, stability, params["kmeans"]["seed"])
    return mean_pairwise_ari(refit_partitions(refit_spaces(sample, params, stability), params, n_topics))
