"""The stand-in embeddings that time reduce at full scale: unit rows near the sample's, the same for a seed."""

import numpy as np

from tweet_topics.reduction.stand_in import NUDGE, perturbed_copies


def test_copies_are_unit_rows_near_the_sample_and_fixed_by_their_seed():
    sample = np.random.default_rng(0).normal(size=(30, 16)).astype(np.float32)
    sample /= np.linalg.norm(sample, axis=1, keepdims=True)
    copies = perturbed_copies(sample, 500, seed=3)
    assert copies.shape == (500, 16) and copies.dtype == np.float32
    assert np.allclose(np.linalg.norm(copies, axis=1), 1.0, atol=1e-6)
    nearest = (copies @ sample.T).max(axis=1)  # each copy's cosine to the row it was drawn from, at least
    assert nearest.min() > 1 - 16 * NUDGE**2 * 4
    assert np.array_equal(copies, perturbed_copies(sample, 500, seed=3))
    assert not np.array_equal(copies, perturbed_copies(sample, 500, seed=4))
