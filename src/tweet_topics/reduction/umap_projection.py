"""Place new points into a fitted UMAP layout, from plain arrays, one point independently of the others.

umap-learn's own `UMAP.transform` needs the pickled estimator, compiles numba kernels for tens of seconds, and gives
a point different coordinates depending on the batch around it (its epoch count, edge-weight scale and random
streams depend on the batch). This is the same algorithm (exact cosine neighbours, fuzzy membership strengths,
weighted-average start, then attraction to the neighbours and repulsion from random reference points) with every
batch-wide quantity made per point: the weight scale is its maximum, 1; the epoch count is fixed; and the negative
samples come from one seeded table shared by all points. So `project(X)[i] == project(X[i:i+1])[0]` up to float
rounding, and a message gets the same topic alone or in a file.
"""

import numba
import numpy as np

from tweet_topics.reduction.neighbours import membership_strengths, nearest_neighbours

GRADIENT_CLIP = 4.0


def initial_positions(indices: np.ndarray, weights: np.ndarray, layout: np.ndarray) -> np.ndarray:
    """The weighted mean of the neighbours' positions; a point identical to a reference point starts on it."""
    positions = np.einsum("nk,nkc->nc", weights / weights.sum(axis=1, keepdims=True), layout[indices])
    exact = weights == 1.0
    has_twin = exact.any(axis=1)
    twin = indices[has_twin, exact[has_twin].argmax(axis=1)]
    positions[has_twin] = layout[twin]
    return positions


def negative_sample_table(n_epochs: int, k: int, negative_sample_rate: int, n_reference: int,
                          seed: int) -> np.ndarray:
    """The reference points each edge slot pushes away from, per epoch; one table for every point."""
    # an edge of weight 1 draws negative_sample_rate samples per epoch, a lighter edge fewer
    return np.random.default_rng(seed).integers(0, n_reference, size=(n_epochs, k, negative_sample_rate))


def project(points: np.ndarray, reference: np.ndarray, layout: np.ndarray, a: float, b: float, n_neighbors: int,
            n_epochs: int, negative_sample_rate: int, learning_rate: float, repulsion_strength: float,
            seed: int) -> np.ndarray:
    """Coordinates in `layout`'s space for `points` (raw embeddings); `reference` are the fitted rows, unit length."""
    if len(points) == 0:
        return np.empty((0, layout.shape[1]), dtype=np.float32)
    indices, distances = nearest_neighbours(points, reference, n_neighbors)
    weights = membership_strengths(distances)
    layout = np.ascontiguousarray(layout, dtype=np.float64)
    positions = initial_positions(indices, weights, layout)
    weights = np.where(weights < 1.0 / n_epochs, 0.0, weights)  # umap-learn drops edges too weak to be sampled
    negatives = negative_sample_table(n_epochs, n_neighbors, negative_sample_rate, len(reference), seed)
    _optimise(positions, layout, indices, weights, negatives, float(a), float(b), float(repulsion_strength),
              learning_rate / 4.0)  # umap-learn's transform starts at a quarter of the learning rate
    return positions.astype(np.float32)


@numba.njit(cache=True)
def _optimise(positions, layout, indices, weights, negatives, a, b, repulsion_strength, initial_alpha):
    """umap-learn's SGD over the edges (attraction) and negative samples (repulsion), one point at a time."""
    n_epochs, n_neighbors, negative_sample_rate = negatives.shape
    dim = positions.shape[1]
    for point in range(positions.shape[0]):
        current = positions[point]
        next_sample = np.empty(n_neighbors)
        per_sample = np.empty(n_neighbors)
        next_negative = np.empty(n_neighbors)
        for slot in range(n_neighbors):
            per_sample[slot] = 1.0 / weights[point, slot] if weights[point, slot] > 0 else np.inf
            next_sample[slot] = per_sample[slot]
            next_negative[slot] = per_sample[slot] / negative_sample_rate
        for epoch in range(n_epochs):
            alpha = initial_alpha * (1.0 - epoch / n_epochs)
            for slot in range(n_neighbors):
                if next_sample[slot] > epoch:
                    continue
                other = layout[indices[point, slot]]
                squared = 0.0
                for d in range(dim):
                    squared += (current[d] - other[d]) ** 2
                if squared > 0.0:
                    coefficient = -2.0 * a * b * squared ** (b - 1.0) / (a * squared ** b + 1.0)
                    for d in range(dim):
                        current[d] += _clip(coefficient * (current[d] - other[d])) * alpha
                next_sample[slot] += per_sample[slot]

                per_negative = per_sample[slot] / negative_sample_rate
                n_negative = int((epoch - next_negative[slot]) / per_negative)
                for draw in range(min(n_negative, negative_sample_rate)):
                    other = layout[negatives[epoch, slot, draw]]
                    squared = 0.0
                    for d in range(dim):
                        squared += (current[d] - other[d]) ** 2
                    if squared > 0.0:
                        coefficient = 2.0 * repulsion_strength * b / ((0.001 + squared) * (a * squared ** b + 1.0))
                        for d in range(dim):
                            current[d] += _clip(coefficient * (current[d] - other[d])) * alpha
                next_negative[slot] += n_negative * per_negative


@numba.njit(cache=True)
def _clip(value):
    return min(max(value, -GRADIENT_CLIP), GRADIENT_CLIP)
