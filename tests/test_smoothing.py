"""Neighbourhood smoothing + PCA: a fitted tweet placed as if new gets its fitted coordinates, a message the same
coordinates alone or in a batch, and the weights change continuously when a neighbour enters or leaves the list."""

from dataclasses import replace

import numpy as np
import pytest

from tweet_topics.params import validate_section
from tweet_topics.reduction.neighbours import normalise_rows
from tweet_topics.reduction.smoothing import SMOOTH_ROWS, faded_weights, fit_smoothed_pca, graph_edges, smooth

SMOOTHING = validate_section("smoothing", {"n_neighbors": 10, "steps": 1, "seed": 0, "max_fit_tweets": 50000})
# whiten and max_fit_tweets: the smoothing reads pca.n_components and pca.seed only
PCA = validate_section("pca", {"n_components": 8, "whiten": False, "seed": 0, "max_fit_tweets": 200000})


@pytest.fixture(scope="module")
def embeddings() -> np.ndarray:
    rng = np.random.default_rng(4)
    centres = rng.normal(size=(6, 32))
    return (np.repeat(centres, 60, axis=0) + rng.normal(scale=0.6, size=(360, 32))).astype(np.float32)


@pytest.mark.parametrize("steps", [1, 2])
def test_a_fitted_point_placed_as_new_gets_its_fitted_coordinates(embeddings, steps):
    reducer, reduced = fit_smoothed_pca(embeddings, replace(SMOOTHING, steps=steps), PCA)
    rows = np.arange(len(embeddings))
    np.testing.assert_allclose(reducer.place(embeddings, exclude=rows), reduced, atol=2e-6)
    assert reducer.steps == steps and reducer.levels.shape == (steps, 360, 32)


def test_a_message_gets_the_same_coordinates_alone_or_in_a_batch(embeddings):
    reducer, _ = fit_smoothed_pca(embeddings, SMOOTHING, PCA)
    new = embeddings[:40] + np.random.default_rng(1).normal(scale=0.3, size=(40, 32)).astype(np.float32)
    batch = reducer.transform(new)
    alone = np.vstack([reducer.transform(new[i:i + 1]) for i in range(40)])
    np.testing.assert_allclose(alone, batch, atol=1e-5)


def test_weights_fade_to_zero_at_the_kth_neighbour():
    distances = np.array([[0.0, 0.1, 0.2, 0.3]])
    weights = faded_weights(distances, np.array([[0.1]]), distances[:, -1:])
    assert weights[0, 0] > weights[0, 1] > weights[0, 2] > 0 and weights[0, 3] == 0
    assert faded_weights(np.array([[0.5]]), np.array([[0.1]]), np.array([[0.3]]))[0, 0] == 0  # beyond the reach


def test_a_neighbour_swapping_places_at_the_boundary_barely_moves_a_point(embeddings):
    """The graph is a continuous function of the embeddings: the k-th and (k+1)-th neighbours trading places (here by
    a 1e-6 nudge) changes a point's edges by almost nothing."""
    reducer, _ = fit_smoothed_pca(embeddings, SMOOTHING, PCA)
    reference = reducer.levels[0]
    point = normalise_rows(embeddings[:1] + 0.01)
    indices, distances = graph_edges(point, reference, reducer.sigma, reducer.radius, 10)
    nudged = normalise_rows(point + np.random.default_rng(2).normal(scale=1e-6, size=point.shape))
    other_indices, other_weights = graph_edges(nudged, reference, reducer.sigma, reducer.radius, 10)
    weight = dict(zip(indices[0], distances[0], strict=True))
    other = dict(zip(other_indices[0], other_weights[0], strict=True))
    shared = set(weight) | set(other)
    assert max(abs(weight.get(j, 0.0) - other.get(j, 0.0)) for j in shared) < 1e-3


def test_smoothing_tightens_groups(embeddings):
    """What it is for: within-group spread falls relative to between-group spread."""
    from sklearn.metrics import silhouette_score

    groups = np.repeat(np.arange(6), 60)
    _, smoothed = fit_smoothed_pca(embeddings, SMOOTHING, PCA)
    from sklearn.decomposition import PCA as PlainPca

    plain = PlainPca(8, random_state=0).fit_transform(normalise_rows(embeddings))
    assert silhouette_score(smoothed, groups) > silhouette_score(plain, groups)


def test_too_few_tweets_or_components_are_one_clear_line(embeddings):
    from tweet_topics.errors import UserError

    with pytest.raises(UserError, match="smoothing needs more than 11 discovery tweets"):
        fit_smoothed_pca(embeddings[:8], SMOOTHING, PCA)
    with pytest.raises(UserError, match="pca.n_components is 64"):
        fit_smoothed_pca(embeddings, SMOOTHING, replace(PCA, n_components=64))


def test_a_few_rows_get_the_same_neighbourhood_scales_as_in_a_batch(embeddings):
    """A routed message's scale is found on Python floats (`_row_scale`); it has the bits of the batch's."""
    from tweet_topics.reduction.neighbours import FEW_ROWS, nearest_neighbours, neighbourhood_scales

    points = normalise_rows(embeddings)
    _, distances = nearest_neighbours(points[:200] + 0.05, points, 10)
    distances[:20, :4] = 0.0  # identical points weigh 1
    batch = neighbourhood_scales(distances)
    assert len(distances) > FEW_ROWS
    alone = np.concatenate([neighbourhood_scales(distances[i:i + 1]) for i in range(len(distances))])
    assert np.array_equal(alone, batch)
    assert np.array_equal(neighbourhood_scales(distances[:FEW_ROWS]), batch[:FEW_ROWS])


def test_smoothing_rows_a_few_at_a_time_gives_the_whole_arrays_bits(embeddings):
    """`smooth` works SMOOTH_ROWS rows at a time to keep its temporaries small; each row is its own sum, so the bits
    are those of the formula over all rows at once."""
    reducer, _ = fit_smoothed_pca(embeddings, replace(SMOOTHING, steps=2), PCA)
    points = normalise_rows(embeddings + 0.05)
    assert len(points) > 2 * SMOOTH_ROWS and len(points) % SMOOTH_ROWS
    indices, weights = graph_edges(points, reducer.levels[0], reducer.sigma, reducer.radius, 10)
    whole_weights = weights.astype(np.float32)
    total = 1.0 + whole_weights.sum(axis=1, keepdims=True)
    expected = points.astype(np.float32)
    for level in reducer.levels:
        expected = (expected + np.einsum("nk,nkd->nd", whole_weights, level[indices])) / total
    np.testing.assert_array_equal(smooth(points, indices, weights, reducer.levels), expected)
