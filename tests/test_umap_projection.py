"""Placing new points into a fitted UMAP layout from arrays: neighbourhoods kept, one point independent of its batch."""

import numpy as np
import pytest

from tweet_topics.reduction.neighbours import NEIGHBOUR_BLOCK, membership_strengths, nearest_neighbours
from tweet_topics.reduction.umap_projection import project

A, B = 1.929, 0.7915  # umap-learn's curve for min_dist 0, spread 1
CENTRES_2D = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])


def fitted(seed=0, per_cluster=100, dimension=16):
    """Reference embeddings in three tight directions and a layout that puts each group at its own centre."""
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(3, dimension))
    groups = np.repeat(np.arange(3), per_cluster)
    reference = directions[groups] + 0.15 * rng.normal(size=(len(groups), dimension))
    reference /= np.linalg.norm(reference, axis=1, keepdims=True)
    layout = CENTRES_2D[groups] + 0.5 * rng.normal(size=(len(groups), 2))
    return directions, reference.astype(np.float32), layout.astype(np.float32), groups


def place(points, reference, layout, n_neighbors=15):
    return project(points, reference, layout, A, B, n_neighbors, n_epochs=100, negative_sample_rate=5,
                   learning_rate=1.0, repulsion_strength=1.0, seed=42)


def test_new_points_land_in_their_neighbours_region():
    directions, reference, layout, _ = fitted()
    rng = np.random.default_rng(1)
    groups = rng.integers(0, 3, size=200)
    points = directions[groups] + 0.15 * rng.normal(size=(200, directions.shape[1]))
    placed = place(points, reference, layout)
    nearest_centre = np.linalg.norm(placed[:, None, :] - CENTRES_2D[None], axis=2).argmin(axis=1)
    assert (nearest_centre == groups).all()
    assert placed.dtype == np.float32 and placed.shape == (200, 2)


def test_a_point_is_placed_the_same_alone_or_in_a_batch():
    directions, reference, layout, _ = fitted()
    points = directions[np.arange(60) % 3] + 0.3 * np.random.default_rng(2).normal(size=(60, directions.shape[1]))
    together = place(points, reference, layout)
    alone = np.vstack([place(points[i:i + 1], reference, layout) for i in range(len(points))])
    # A one-row product rounds differently from a block (1e-7); that can move an edge's sampling by one epoch,
    # which moves the point by about 0.01 here, a thousandth of the layout's span. Nothing batch-wide is involved.
    np.testing.assert_allclose(alone, together, atol=0.02)


def test_whole_blocks_give_bit_identical_results_however_the_batch_is_cut():
    directions, reference, layout, _ = fitted()
    rng = np.random.default_rng(3)
    n = 2 * NEIGHBOUR_BLOCK + 50
    points = directions[rng.integers(0, 3, n)] + 0.3 * rng.normal(size=(n, directions.shape[1]))
    whole = place(points, reference, layout)
    cut = np.vstack([place(points[:NEIGHBOUR_BLOCK], reference, layout),
                     place(points[NEIGHBOUR_BLOCK:], reference, layout)])
    assert np.array_equal(whole, cut)


def test_a_reference_point_starts_on_its_own_position_and_stays_near_it():
    _, reference, layout, _ = fitted()
    placed = place(reference[:30], reference, layout)
    assert np.linalg.norm(placed - layout[:30], axis=1).max() < 3.0


def test_no_points_give_an_empty_layout():
    _, reference, layout, _ = fitted()
    assert place(np.empty((0, 16), dtype=np.float32), reference, layout).shape == (0, 2)


def test_neighbours_are_exact_and_nearest_first():
    _, reference, _, _ = fitted()
    points = np.random.default_rng(4).normal(size=(20, 16)).astype(np.float32)
    indices, distances = nearest_neighbours(points, reference, 10)
    unit = points / np.linalg.norm(points, axis=1, keepdims=True)
    brute = 1.0 - unit @ reference.T
    np.testing.assert_array_equal(indices[:, 0], brute.argmin(axis=1))
    np.testing.assert_allclose(distances, np.sort(brute, axis=1)[:, :10], atol=1e-5)
    assert (np.diff(distances, axis=1) >= 0).all()


@pytest.mark.parametrize("k", [5, 15, 30])
def test_membership_strengths_sum_to_log2_k_beyond_the_nearest(k):
    distances = np.sort(np.random.default_rng(k).uniform(0.05, 0.8, size=(50, k)), axis=1)
    weights = membership_strengths(distances)
    np.testing.assert_allclose(weights[:, 1:].sum(axis=1), np.log2(k), atol=1e-4)
    assert ((weights > 0) & (weights <= 1)).all()
    assert (np.diff(weights, axis=1) <= 0).all()  # nearer neighbours weigh more
