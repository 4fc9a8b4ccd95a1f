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

from tweet_topics.chain.topics import TopicSteps
from tweet_topics.reduction.sampling import fit_rows


def perturbed(embeddings: np.ndarray, noise: float, refit: int) -> np.ndarray:
    rng = np.random.default_rng(refit)
    return (embeddings + rng.normal(0.0, noise, embeddings.shape)).astype(np.float32)


def stability_sample(embeddings: np.ndarray, stability, seed: int) -> np.ndarray:
    """The fixed sample of at most stability.max_tweets discovery embeddings that the refits fit on (`stability` is
    params.StabilityParams)."""
    return np.asarray(embeddings[fit_rows(len(embeddings), stability.max_tweets, seed)], dtype=np.float32)


def refit_spaces(sample: np.ndarray, steps: TopicSteps, stability) -> list[np.ndarray]:
    """The sample reduced by each refit's reducer, fitted on that refit's noisy copy (independent of k)."""
    return [steps.reseeded(refit).fit_reducer(perturbed(sample, stability.noise, refit))[1]
            for refit in range(stability.refits)]


def refit_partitions(spaces: list[np.ndarray], steps: TopicSteps, n_topics: int) -> list[np.ndarray]:
    """Each refit's KMeans topics of the sample, with that refit's KMeans seed."""
    return [steps.reseeded(refit).fit_topics(space, n_topics).predict(space) for refit, space in enumerate(spaces)]


def mean_pairwise_ari(partitions: list[np.ndarray]) -> float:
    return round(float(np.mean([adjusted_rand_score(a, b) for a, b in combinations(partitions, 2)])), 6)


def end_to_end_stability(embeddings: np.ndarray, steps: TopicSteps, stability, n_topics: int) -> float:
    """Mean ARI between the topics of stability.refits noisy, reseeded refits of reduce -> KMeans."""
    sample = stability_sample(embeddings, stability, steps.kmeans.seed)
    return mean_pairwise_ari(refit_partitions(refit_spaces(sample, steps, stability), steps, n_topics))
