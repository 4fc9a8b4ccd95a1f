"""End-to-end stability: refits with other seeds and float-sized noise agree on real structure and not on noise."""

from dataclasses import replace

import numpy as np
import pytest

from tweet_topics.chain.topics import TopicSteps
from tweet_topics.evaluation.stability import end_to_end_stability, perturbed, stability_sample
from tweet_topics.params import ReductionParams, validate_section

PARAMS = {"reduce": {"method": "smoothed-pca", "engine": "local"},
          "pca": {"n_components": 5, "whiten": False, "seed": 0, "max_fit_tweets": 200000},
          "umap": {"n_components": 2, "n_neighbors": 10, "min_dist": 0.0, "seed": 42, "max_fit_tweets": 50000},
          "smoothing": {"n_neighbors": 10, "steps": 2, "seed": 0, "max_fit_tweets": 50000},
          "kmeans": {"n_clusters": 4, "seed": 42, "n_init": 5, "algorithm": "lloyd", "max_fit_tweets": 200000}}
STEPS = TopicSteps(ReductionParams.from_sections(PARAMS), validate_section("kmeans", PARAMS["kmeans"]))
STABILITY = validate_section("stability", {"refits": 3, "noise": 1e-6, "max_tweets": 20000})


def blobs(n_per_blob: int = 100, dimension: int = 24) -> np.ndarray:
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(4, dimension))
    return (np.repeat(centres, n_per_blob, axis=0) + rng.normal(scale=0.2, size=(4 * n_per_blob, dimension))
            ).astype(np.float32)


def test_refits_shift_every_seed_and_draw_their_own_noise():
    shifted = STEPS.reseeded(2)
    reduction = shifted.reduction
    assert [section.seed for section in (reduction.pca, reduction.umap, reduction.smoothing, shifted.kmeans)] == [
        2000, 2042, 2000, 2042]
    assert STEPS.kmeans.seed == 42  # the caller's params are left alone
    x = np.zeros((500, 20), dtype=np.float32)
    assert perturbed(x, 1e-6, 1).std() == pytest.approx(1e-6, rel=0.05)
    assert np.array_equal(perturbed(x, 1e-6, 1), perturbed(x, 1e-6, 1))
    assert not np.array_equal(perturbed(x, 1e-6, 1), perturbed(x, 1e-6, 2))


def test_stability_sample_is_fixed_and_bounded():
    x = np.arange(100, dtype=np.float32).reshape(50, 2)
    assert len(stability_sample(x, replace(STABILITY, max_tweets=20), seed=1)) == 20
    assert np.array_equal(stability_sample(x, replace(STABILITY, max_tweets=20), 1),
                          stability_sample(x, replace(STABILITY, max_tweets=20), 1))


@pytest.mark.parametrize("method", ["smoothed-pca", "pca"])
def test_real_groups_give_the_same_topics_in_every_refit(method):
    steps = replace(STEPS, reduction=replace(STEPS.reduction, reduce=replace(STEPS.reduction.reduce, method=method)))
    assert end_to_end_stability(blobs(), steps, STABILITY, 4) == 1.0


def test_noise_has_no_stable_topics():
    noise = np.random.default_rng(0).normal(size=(400, 24)).astype(np.float32)
    # noise large enough to move points: each refit's partition of structureless data is its own
    assert end_to_end_stability(noise, STEPS, replace(STABILITY, noise=0.5), 8) < 0.5
