"""Stand-in embeddings at a scale the committed sample does not reach, to time reduce at full size: the sample's
vectors drawn with replacement, each nudged by Gaussian noise and re-normalised. Fitting a reducer and placing a
tweet cost what the reference's size makes them cost, not what it holds, so these time it as real tweets would."""

import numpy as np

from tweet_topics.reduction.neighbours import normalise_rows

FULL_SCALE_PLACED = 1_450_000  # the tweets a run of 1.5M places: all but the 50,000 its reducer is fitted on
NUDGE = 0.02  # the noise's standard deviation in each dimension, before the rows are re-normalised


def perturbed_copies(embeddings: np.ndarray, size: int, seed: int) -> np.ndarray:
    """`size` unit rows: rows of `embeddings` drawn by `seed`, each plus its own noise (one draw per seed)."""
    rows = np.random.default_rng(seed).integers(0, len(embeddings), size=size)
    noise = np.random.default_rng(seed + 1).normal(0.0, NUDGE, size=(size, embeddings.shape[1]))
    return normalise_rows(embeddings[rows] + noise.astype(np.float32))
