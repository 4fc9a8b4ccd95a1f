"""Neighbourhood smoothing, then PCA: each embedding averaged with its neighbours' in a fuzzy k-nearest-neighbour
graph of the fitted (reference) tweets, a few steps, then projected onto the principal components of the result.

Why (research/stability_study.py): KMeans on UMAP's layout finds intents well, but the layout is a chaotic function of
its input: float-sized noise on the embeddings or another seed moved the sample's topics to ARI 0.6. Averaging over
UMAP's own kind of neighbour graph keeps what that graph brings to KMeans (a tweet is read together with the tweets
most like it, so groups tighten) while every step is a continuous function of the embeddings: exact neighbours,
weights that fade to 0 at the k-th neighbour (so a neighbour entering or leaving the list changes nothing), an
average and a linear map. So the topics come back under noise and other seeds, and no optimisation runs when a new
message is placed.

The graph, for a point x (fitted or new) and its nearest reference points j (cosine distance d, the k nearest
first, x itself left out when it is a fitted point):
    outgoing  a_j = max(0, exp(-d / sigma_x) - exp(-r_x / sigma_x))  for the k nearest,
    incoming  b_j = max(0, exp(-d / sigma_j) - exp(-r_j / sigma_j))  (j would count x among its own k nearest),
    weight    w_j = a_j + b_j - a_j b_j                              (UMAP's fuzzy union),
with r the k-th neighbour distance and sigma UMAP's neighbourhood scale. One step, from y_0 = the unit embedding:
    y_s(x) = (y_{s-1}(x) + sum_j w_j y_{s-1}(j)) / (1 + sum_j w_j).
A fitted point is placed by exactly this formula with itself left out, so placing it as if new gives its fitted
coordinates (tested), and a message gets the same coordinates alone or in a batch, up to float rounding.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.decomposition import PCA

from tweet_topics.errors import UserError
from tweet_topics.reduction.base import FittedReduction
from tweet_topics.reduction.neighbours import (
    NEIGHBOUR_BLOCK,
    nearest_neighbours,
    nearest_others,
    neighbourhood_scales,
    normalise_rows,
)
from tweet_topics.reduction.sampling import fit_rows

# nearest reference points searched for incoming edges, as a multiple of k: a point that counts x among its k
# nearest is, in practice, among x's nearest few k (and the fit uses the same cut, so fitted = placed)
CANDIDATE_FACTOR = 3
# points placed at a time: whole neighbour blocks, so `neighbours` finds the bits `place` finds
PLACE_BLOCK = NEIGHBOUR_BLOCK
# points smoothed at a time: each row is its own sum, so this sets only the size of the gathered neighbours (64 x 90
# x 384 float32 is 9 MB, where a whole block's was 140 MB and slow to fault in: `neighbours.products_buffer`)
SMOOTH_ROWS = 64


@dataclass(frozen=True)
class SmoothedPcaReducer:
    levels: np.ndarray  # (steps, n_reference, dimension): the unit-length reference after 0 .. steps-1 steps
    sigma: np.ndarray  # each reference point's neighbourhood scale
    radius: np.ndarray  # each reference point's k-th neighbour distance
    fitted_rows: np.ndarray  # which discovery rows are the reference
    mean: np.ndarray  # PCA of the smoothed reference
    components: np.ndarray  # (n_components, dimension)
    n_neighbors: int

    method = "smoothed-pca"

    @property
    def n_components(self) -> int:
        return len(self.components)

    @property
    def steps(self) -> int:
        return len(self.levels)

    def transform(self, embeddings: np.ndarray) -> np.ndarray:
        return self.place(embeddings)

    def place(self, embeddings: np.ndarray, exclude: np.ndarray | None = None,
              found: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """Reduced coordinates of points placed into the fitted graph; `exclude[i]` is a reference row to leave
        out of point i's neighbours (itself, for a fitted point); `found`, the points' `neighbours`, if searched
        already."""
        points = normalise_rows(embeddings)
        smoothed = np.empty(points.shape, dtype=np.float32)
        for start in range(0, len(points), PLACE_BLOCK):
            block = slice(start, start + PLACE_BLOCK)
            if found is None:
                indices, distances = candidates(points[block], self.levels[0], self.n_neighbors,
                                                None if exclude is None else exclude[block])
            else:
                indices, distances = found[0][block], found[1][block]
            weights = union_weights(indices, distances, self.sigma, self.radius, self.n_neighbors)
            smoothed[block] = smooth(points[block], indices, weights, self.levels)
        return self.project(smoothed)

    def neighbours(self, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The reference rows `place` searches for each point (CANDIDATE_FACTOR x n_neighbors, nearest first) and
        their cosine distances, with the same bits: the search runs in the same blocks."""
        points = normalise_rows(embeddings)
        return candidates(points, self.levels[0], self.n_neighbors, None)

    def project(self, smoothed: np.ndarray) -> np.ndarray:
        return ((normalise_rows(smoothed) - self.mean) @ self.components.T).astype(np.float32)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"levels": self.levels, "sigma": self.sigma, "radius": self.radius, "fitted_rows": self.fitted_rows,
                "mean": self.mean, "components": self.components}

    def settings(self) -> dict[str, Any]:
        return {"n_neighbors": self.n_neighbors}

    def shares_search(self, reference: np.ndarray, k: int) -> bool:
        """Whether `neighbours` finds the k nearest rows of `reference` (the handoff's, with the default params)."""
        return k <= CANDIDATE_FACTOR * self.n_neighbors and np.array_equal(reference, self.levels[0])

    @classmethod
    def fit(cls, embeddings: np.ndarray, params) -> FittedReduction:
        """The reference keeps its fitted coordinates; `params` holds the smoothing and pca sections."""
        reducer, reduced = fit_smoothed_pca(embeddings, params.smoothing, params.pca)
        return FittedReduction(reducer, reducer.fitted_rows, reduced)

    @classmethod
    def from_saved(cls, arrays: dict[str, np.ndarray], settings: dict[str, Any]) -> "SmoothedPcaReducer":
        return cls(**arrays, n_neighbors=settings["n_neighbors"])


def candidates(points: np.ndarray, reference: np.ndarray, k: int,
               exclude: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Each point's CANDIDATE_FACTOR * k nearest reference rows (its `exclude` row left out), nearest first."""
    wanted = min(CANDIDATE_FACTOR * k, len(reference) - (exclude is not None))
    if exclude is None:
        return nearest_neighbours(points, reference, wanted)
    return nearest_others(points, reference, wanted, exclude)


def faded_weights(distances: np.ndarray, sigma: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """exp(-d / sigma) - exp(-r / sigma), and 0 beyond r: a weight that reaches 0 at the k-th neighbour."""
    distances = distances.astype(np.float64)
    weights = np.exp(-distances / sigma) - np.exp(-radius / sigma)
    return np.maximum(weights, 0.0)


def graph_edges(points: np.ndarray, reference: np.ndarray, sigma: np.ndarray, radius: np.ndarray, k: int,
                exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The fuzzy-union edges of (unit-length) points to the reference: candidate indices and weights (0 where a
    candidate has no edge)."""
    indices, distances = candidates(points, reference, k, exclude)
    return indices, union_weights(indices, distances, sigma, radius, k)


def union_weights(indices: np.ndarray, distances: np.ndarray, sigma: np.ndarray, radius: np.ndarray,
                  k: int) -> np.ndarray:
    own_sigma = neighbourhood_scales(distances[:, :k])[:, None]
    outgoing = np.zeros(distances.shape)
    outgoing[:, :k] = faded_weights(distances[:, :k], own_sigma, distances[:, k - 1:k])
    incoming = faded_weights(distances, sigma[indices], radius[indices])
    return outgoing + incoming - outgoing * incoming


def smooth(points: np.ndarray, indices: np.ndarray, weights: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Points after len(levels) steps, each averaging a point with its reference neighbours as they were one step
    before (`levels`)."""
    smoothed = np.empty(points.shape, dtype=np.float32)
    for first in range(0, len(points), SMOOTH_ROWS):
        rows = slice(first, first + SMOOTH_ROWS)
        row_weights = weights[rows].astype(np.float32)
        total = 1.0 + row_weights.sum(axis=1, keepdims=True)
        current = points[rows].astype(np.float32)
        for level in levels:
            current = (current + np.einsum("nk,nkd->nd", row_weights, level[indices[rows]])) / total
        smoothed[rows] = current
    return smoothed


def fit_smoothed_pca(embeddings: np.ndarray, smoothing, pca) -> tuple[SmoothedPcaReducer, np.ndarray]:
    """The reducer fitted on a fixed sample of at most smoothing.max_fit_tweets rows of `embeddings` (a memory map
    is fine) and those rows reduced; `smoothing` and `pca` are params.SmoothingParams and params.PcaParams."""
    k, steps = smoothing.n_neighbors, smoothing.steps
    if len(embeddings) <= k + 1:
        raise UserError(f"smoothing needs more than {k + 1} discovery tweets (it has {len(embeddings)}):"
                        " lower smoothing.n_neighbors or raise ingest.max_inbound")
    rows = fit_rows(len(embeddings), smoothing.max_fit_tweets, smoothing.seed)
    reference = normalise_rows(np.asarray(embeddings[rows], dtype=np.float32))
    n_components = pca.n_components
    if n_components > min(reference.shape):
        raise UserError(f"pca.n_components is {n_components} but smoothing fits at most {min(reference.shape)}"
                        f" ({reference.shape[0]} tweets x {reference.shape[1]} dimensions): lower pca.n_components")
    # every fitted point's candidates, itself left out; its scale and reach from its k nearest; then its edges
    indices, distances = candidates(reference, reference, k, np.arange(len(reference)))
    sigma, radius = neighbourhood_scales(distances[:, :k]), distances[:, k - 1].astype(np.float64)
    blocks = [slice(start, start + PLACE_BLOCK) for start in range(0, len(reference), PLACE_BLOCK)]
    weights = np.vstack([union_weights(indices[block], distances[block], sigma, radius, k) for block in blocks])
    levels = [reference]
    for _ in range(steps):
        previous = levels[-1]
        levels.append(np.vstack([smooth(previous[block], indices[block], weights[block], previous[np.newaxis])
                                 for block in blocks]))
    smoothed = levels.pop()
    fitted = PCA(n_components=n_components, random_state=pca.seed).fit(normalise_rows(smoothed))
    reducer = SmoothedPcaReducer(levels=np.stack(levels), sigma=sigma, radius=radius, fitted_rows=rows,
                                 mean=fitted.mean_.astype(np.float32),
                                 components=fitted.components_.astype(np.float32), n_neighbors=k)
    return reducer, reducer.project(smoothed)
