"""Fitted models are plain arrays and JSON: they round-trip exactly, load without running code, and a manifest ties
them together so that a mixed or missing set is refused with one line."""

import json
import pickle
from dataclasses import replace

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression

from tweet_topics.errors import UserError
from tweet_topics.io.artifacts import load_arrays, save_arrays
from tweet_topics.params import ReductionParams, TrainParams, validate_section
from tweet_topics.paths import CLASSIFIER, HANDOFF, MANIFEST, REDUCER, TOPICS
from tweet_topics.reduction.pca import PcaReducer
from tweet_topics.reduction.reduce import fit_reducer, load_reducer, save_reducer
from tweet_topics.reduction.smoothing import SmoothedPcaReducer
from tweet_topics.reduction.umap_reducer import UmapReducer
from tweet_topics.serving.router import TrainedTopics
from tweet_topics.training.classify import load_classifier, save_classifier, train_classifier
from tweet_topics.training.handoff import fit_out_of_topic, save_out_of_topic
from tweet_topics.training.manifest import build_manifest, read_manifest

PARAMS = {name: validate_section(name, values) for name, values in {
          "preprocess": {"language": "english", "handles": "leading"},
          "featurize": {"model": "sentence-transformers/all-MiniLM-L6-v2", "text_view": "embedding",
                        "batch_size": 64, "device": "auto", "backend": "torch", "dtype": "float32",
                        "engine": "local"},
          "reduce": {"method": "pca", "engine": "local"}, "pca": {"n_components": 4, "whiten": False, "seed": 0,
                                                                  "max_fit_tweets": 200000},
          "umap": {"n_components": 5, "n_neighbors": 15, "min_dist": 0.0, "seed": 42, "max_fit_tweets": 50000},
          "smoothing": {"n_neighbors": 5, "steps": 2, "seed": 0, "max_fit_tweets": 50000},
          "kmeans": {"n_clusters": 3, "seed": 42, "n_init": 1, "algorithm": "lloyd", "max_fit_tweets": 200000},
          "train": {"C": 1.0, "class_weight": "balanced", "max_iter": 200},
          "handoff": {"flag_rate": 0.05, "k": 5, "max_reference_tweets": 50000, "max_tweets": 20000, "seed": 0},
}.items()}
REDUCTION = ReductionParams.from_sections(PARAMS)
ENCODER = {"name": "sentence-transformers/all-MiniLM-L6-v2", "fingerprint": "0" * 64, "dimension": 12}


def payload(marker):
    """An object whose unpickling creates `marker`: what a malicious model file could carry."""
    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))
    return Payload()


def test_a_pickled_object_in_a_model_file_is_refused_without_running(tmp_path):
    marker = tmp_path / "code_ran"
    path = tmp_path / "classifier.npz"
    np.savez(path, coef=np.array([payload(marker)], dtype=object),
             __meta__=np.array(json.dumps({"kind": "classifier"})))
    with pytest.raises(UserError, match=r"classifier\.npz is not a model file this version can read"):
        load_classifier(path)
    assert not marker.exists()
    pickle.loads(pickle.dumps(payload(marker)))  # the payload does run when unpickled
    assert marker.exists()


def test_arrays_and_meta_round_trip_exactly(tmp_path):
    arrays = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([1.5, -2.25])}
    save_arrays(tmp_path / "x.npz", arrays, {"kind": "thing", "n": 3})
    loaded, meta = load_arrays(tmp_path / "x.npz", "thing")
    assert meta == {"kind": "thing", "n": 3}
    for name, array in arrays.items():
        assert loaded[name].dtype == array.dtype and np.array_equal(loaded[name], array)
    assert [p.name for p in tmp_path.iterdir()] == ["x.npz"]  # no temp file left behind


def test_the_same_arrays_give_the_same_bytes_at_another_time(tmp_path):
    import time

    arrays = {"a": np.arange(10, dtype=np.float32)}
    save_arrays(tmp_path / "first.npz", arrays, {"kind": "thing"})
    time.sleep(2.1)  # zip timestamps have a 2-second resolution
    save_arrays(tmp_path / "second.npz", arrays, {"kind": "thing"})
    assert (tmp_path / "first.npz").read_bytes() == (tmp_path / "second.npz").read_bytes()


def test_loading_the_wrong_kind_or_a_missing_file_says_what_to_run(tmp_path):
    save_arrays(tmp_path / "x.npz", {"a": np.zeros(2)}, {"kind": "kmeans"})
    with pytest.raises(UserError, match="holds a 'kmeans', not a 'reducer'"):
        load_reducer(tmp_path / "x.npz")
    with pytest.raises(UserError, match=r"missing\.npz not found: run `dvc repro`.*`dvc pull`"):
        load_classifier(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(UserError, match="not a model file"):
        load_classifier(tmp_path / "junk.npz")


@pytest.mark.parametrize("n_topics", [2, 3, 5])
def test_classifier_weights_give_sklearns_probabilities(tmp_path, n_topics):
    rng = np.random.default_rng(n_topics)
    features = rng.normal(size=(300, 4))
    labels = (features[:, 0] * 10).astype(int) % n_topics
    classifier = train_classifier(features, labels, TrainParams(C=1.0, class_weight="balanced", max_iter=500))
    reference = LogisticRegression(C=1.0, class_weight="balanced", max_iter=500).fit(features, labels)
    save_classifier(tmp_path / "c.npz", classifier)
    loaded = load_classifier(tmp_path / "c.npz")
    np.testing.assert_allclose(loaded.probabilities(features), reference.predict_proba(features), atol=1e-10)
    assert np.array_equal(loaded.predict(features), reference.predict(features))


def test_pca_reducer_matches_sklearn_and_round_trips(tmp_path):
    embeddings = np.random.default_rng(0).normal(size=(200, 12)).astype(np.float32)
    for whiten in (False, True):
        pca = validate_section("pca", {"n_components": 4, "whiten": whiten, "seed": 0, "max_fit_tweets": 200000})
        reducer, reduced = fit_reducer(embeddings, replace(REDUCTION, pca=pca))
        expected = PCA(n_components=4, whiten=whiten, random_state=0).fit(embeddings).transform(embeddings)
        np.testing.assert_allclose(reduced, expected, atol=1e-4)
        save_reducer(tmp_path / "r.npz", reducer, ENCODER)
        loaded, meta = load_reducer(tmp_path / "r.npz")
        assert isinstance(loaded, PcaReducer) and meta["embedding_model"] == ENCODER
        assert np.array_equal(loaded.transform(embeddings), reducer.transform(embeddings))


def test_umap_reducer_round_trips_exactly(tmp_path):
    rng = np.random.default_rng(0)
    reference = rng.normal(size=(60, 8)).astype(np.float32)
    reference /= np.linalg.norm(reference, axis=1, keepdims=True)
    reducer = UmapReducer(reference=reference, layout=rng.normal(size=(60, 3)).astype(np.float32),
                          fitted_rows=np.arange(60), a=1.9, b=0.79, n_neighbors=5, seed=7)
    save_reducer(tmp_path / "r.npz", reducer, ENCODER)
    loaded, _ = load_reducer(tmp_path / "r.npz")
    new = rng.normal(size=(10, 8)).astype(np.float32)
    assert np.array_equal(loaded.transform(new), reducer.transform(new))


def test_smoothed_pca_reducer_round_trips_exactly(tmp_path):
    embeddings = np.random.default_rng(0).normal(size=(80, 12)).astype(np.float32)
    smoothed = replace(REDUCTION, reduce=replace(PARAMS["reduce"], method="smoothed-pca"))
    reducer, reduced = fit_reducer(embeddings, smoothed)
    save_reducer(tmp_path / "r.npz", reducer, ENCODER)
    loaded, meta = load_reducer(tmp_path / "r.npz")
    assert isinstance(loaded, SmoothedPcaReducer) and meta["method"] == "smoothed-pca" and loaded.steps == 2
    new = np.random.default_rng(1).normal(size=(10, 12)).astype(np.float32)
    assert np.array_equal(loaded.transform(new), reducer.transform(new))
    assert reduced.shape == (80, 4)


@pytest.fixture
def models(tmp_path):
    """A complete, consistent models/ folder (PCA, 3 topics) on random data."""
    rng = np.random.default_rng(0)
    embeddings = rng.normal(size=(90, 12)).astype(np.float32)
    labels = np.repeat(np.arange(3), 30)
    reducer, reduced = fit_reducer(embeddings, REDUCTION)
    save_reducer(tmp_path / REDUCER, reducer, ENCODER)
    train = TrainParams(C=1.0, class_weight=None, max_iter=200)
    save_classifier(tmp_path / CLASSIFIER, train_classifier(reduced, labels, train))
    save_out_of_topic(tmp_path / HANDOFF, fit_out_of_topic(embeddings, embeddings, PARAMS["handoff"]))
    topics = {"n_topics": 3, "topics": [{"topic": i, "label": f"word{i} / other"} for i in range(3)]}
    (tmp_path / TOPICS).write_text(json.dumps(topics))
    manifest = build_manifest(tmp_path, PARAMS, ENCODER, np.arange(90).astype(str), labels)
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    return tmp_path


def test_manifest_records_model_params_labels_and_data(models):
    manifest = read_manifest(models)
    assert manifest["embedding_model"] == ENCODER
    assert manifest["params"]["featurize"]["text_view"] == "embedding"
    assert manifest["params"]["kmeans"]["n_clusters"] == 3
    assert manifest["labels"] == ["0: word0 / other", "1: word1 / other", "2: word2 / other"]
    assert manifest["training_data"]["discovery_tweets"] == 90 and len(manifest["training_data"]["fingerprint"]) == 64
    assert set(manifest["artifacts"]) == {REDUCER, CLASSIFIER, TOPICS, HANDOFF}
    assert manifest["package_version"]
    assert "encoder" not in manifest  # ENCODER has no `encoded_with`: the featurize params say how to embed
    trained = TrainedTopics.load(models)
    assert trained.probabilities(np.zeros((2, 12), dtype=np.float32)).shape == (2, 3)
    routing = trained.assess(np.ones((2, 12), dtype=np.float32))
    assert routing.out_of_topic.shape == (2,) and routing.needs_human.dtype == bool


def test_the_engines_are_not_recorded_so_a_ray_run_makes_the_same_manifest(models):
    on_ray = {**PARAMS, "featurize": replace(PARAMS["featurize"], engine="ray"),
              "reduce": replace(PARAMS["reduce"], engine="ray")}
    labels = np.repeat(np.arange(3), 30)
    assert build_manifest(models, on_ray, ENCODER, np.arange(90).astype(str), labels) == read_manifest(models)


def test_an_artifact_from_another_run_is_refused(models):
    save_classifier(models / CLASSIFIER, train_classifier(np.eye(4)[[0, 1, 2, 3, 0, 1]], np.array([0, 1, 2] * 2),
                                                         TrainParams(C=1.0, class_weight=None, max_iter=200)))
    with pytest.raises(UserError, match=r"classifier\.npz is not the file .*manifest\.json was trained with"):
        TrainedTopics.load(models)


def test_missing_manifest_or_artifact_says_run_dvc_repro_or_pull(models):
    (models / CLASSIFIER).unlink()
    with pytest.raises(UserError, match=r"classifier\.npz not found: run `dvc repro`.* or `dvc pull`"):
        TrainedTopics.load(models)
    (models / MANIFEST).unlink()
    with pytest.raises(UserError, match=r"manifest\.json not found: run `dvc repro`.* or `dvc pull`"):
        TrainedTopics.load(models)


def test_no_model_file_is_a_pickle(models):
    for path in models.iterdir():
        with pytest.raises(pickle.UnpicklingError):
            pickle.loads(path.read_bytes())
