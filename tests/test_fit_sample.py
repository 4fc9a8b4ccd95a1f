"""PCA, smoothing and KMeans fitted on a fixed sample (max_fit_tweets) or in mini-batches, then applied to every
row."""

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score

from tweet_topics.discovery.cluster import fit_kmeans
from tweet_topics.params import ReductionParams, validate_section
from tweet_topics.reduction.reduce import fit_reducer, reduce_embeddings
from tweet_topics.reduction.sampling import fit_rows

PCA_PARAMS = {"n_components": 3, "whiten": False, "seed": 0}
KMEANS_PARAMS = {"seed": 42, "n_init": 3, "algorithm": "lloyd"}
# the sections a method does not read: ReductionParams holds every reducer's
UNUSED = {"umap": {"n_components": 2, "n_neighbors": 15, "min_dist": 0.0, "seed": 42, "max_fit_tweets": 50000},
          "smoothing": {"n_neighbors": 15, "steps": 1, "seed": 0, "max_fit_tweets": 50000}}


def reduction(method: str, **sections: dict) -> ReductionParams:
    """ReductionParams for `method` with the sections given (plain dicts, checked), the others UNUSED's."""
    return ReductionParams.from_sections({**UNUSED, "reduce": {"method": method, "engine": "local"}, **sections})


def kmeans(n_clusters: int, **values):
    return validate_section("kmeans", {**KMEANS_PARAMS, "n_clusters": n_clusters, **values})


@pytest.fixture(scope="module")
def blobs() -> np.ndarray:
    """600 rows in 12 dimensions around 4 well-separated centres."""
    rng = np.random.default_rng(7)
    centres = rng.normal(scale=10, size=(4, 12))
    return (centres[np.arange(600) % 4] + rng.normal(size=(600, 12))).astype(np.float32)


def test_fit_rows_is_a_fixed_sorted_sample_or_every_row():
    assert fit_rows(5, 10, seed=1).tolist() == [0, 1, 2, 3, 4]
    rows = fit_rows(1000, 100, seed=1)
    assert len(rows) == 100 and len(set(rows.tolist())) == 100 and np.all(np.diff(rows) > 0)
    assert np.array_equal(rows, fit_rows(1000, 100, seed=1))
    assert not np.array_equal(rows, fit_rows(1000, 100, seed=2))


def test_pca_on_a_sample_is_the_pca_of_those_rows_applied_to_every_row(blobs, tmp_path):
    np.save(tmp_path / "embeddings.npy", blobs)
    embeddings = np.load(tmp_path / "embeddings.npy", mmap_mode="r")  # as the stage reads them
    reducer, reduced = fit_reducer(embeddings, reduction("pca", pca={**PCA_PARAMS, "max_fit_tweets": 150}))
    sample = blobs[fit_rows(600, 150, seed=0)]
    expected = PCA(n_components=3, random_state=0).fit(sample)
    np.testing.assert_allclose(reducer.mean, expected.mean_, atol=1e-5)
    np.testing.assert_allclose(np.abs(reducer.components), np.abs(expected.components_), atol=1e-4)
    assert reduced.shape == (600, 3)
    np.testing.assert_array_equal(reduced, reduce_embeddings(reducer, blobs))
    full, _ = fit_reducer(blobs, reduction("pca", pca={**PCA_PARAMS, "max_fit_tweets": 600}))
    assert not np.allclose(full.mean, reducer.mean)  # the sample was really a sample


def test_kmeans_on_a_sample_is_the_kmeans_of_those_rows(blobs):
    model = fit_kmeans(blobs, kmeans(4, max_fit_tweets=120))
    expected = KMeans(n_clusters=4, random_state=42, n_init=3).fit(blobs[fit_rows(600, 120, seed=42)])
    np.testing.assert_allclose(model.cluster_centers_, expected.cluster_centers_, atol=1e-5)
    assert len(model.labels_) == 120  # labels_ covers the sample; every row is assigned with predict
    full = fit_kmeans(blobs, kmeans(4, max_fit_tweets=600)).predict(blobs)
    assert adjusted_rand_score(full, model.predict(blobs)) == 1.0  # separated blobs: the same partition


def test_minibatch_kmeans_finds_the_same_partition_of_separated_blobs(blobs):
    model = fit_kmeans(blobs, kmeans(4, algorithm="minibatch", max_fit_tweets=600))
    assert type(model).__name__ == "MiniBatchKMeans"
    truth = np.arange(600) % 4
    assert adjusted_rand_score(truth, model.predict(blobs)) == 1.0
    again = fit_kmeans(blobs, kmeans(4, algorithm="minibatch", max_fit_tweets=600))
    np.testing.assert_array_equal(again.cluster_centers_, model.cluster_centers_)


def test_smoothing_on_a_sample_keeps_the_fitted_rows_and_transforms_the_rest(blobs):
    params = reduction("smoothed-pca", pca={**PCA_PARAMS, "max_fit_tweets": 600},
                       smoothing={"n_neighbors": 10, "steps": 2, "seed": 3, "max_fit_tweets": 200})
    reducer, reduced = fit_reducer(blobs, params)
    fitted = fit_rows(600, 200, seed=3)
    assert np.array_equal(reducer.fitted_rows, fitted) and reducer.levels.shape == (2, 200, 12)
    others = np.setdiff1d(np.arange(600), fitted)
    # placed as a message is placed (one BLAS thread: with more, the products' last bits move with the thread count)
    np.testing.assert_array_equal(reduced[others], reduce_embeddings(reducer, blobs[others]))
    # the four blobs stay four groups after smoothing
    found = fit_kmeans(reduced, kmeans(4, max_fit_tweets=600)).predict(reduced)
    assert adjusted_rand_score(np.arange(600) % 4, found) == 1.0
