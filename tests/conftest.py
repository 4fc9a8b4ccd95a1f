from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# the repository's own data: the tests need nothing beside the clone
TWCS_SAMPLE = REPO / "data" / "sample" / "twcs_sample.csv.xz"
CLINC150 = REPO / "data" / "labelled" / "clinc150" / "test.csv.xz"
# a test that needs a Ray cluster or the S3 server is in the slow tier (`pytest -m slow`): each starts a process tree
SLOW_FIXTURES = frozenset({"cluster", "store"})


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Mark the tests that use a SLOW_FIXTURES fixture slow, before `-m` selects the tier."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def minilm_with_one_tensor_changed(folder: Path) -> Path:
    """A copy of the packaged all-MiniLM-L6-v2 at `folder` whose first tensor is shifted by 1e-3."""
    import shutil

    import numpy as np
    from safetensors.numpy import load_file, save_file

    from tweet_topics.encoding.weights import resolve_model

    shutil.copytree(resolve_model("sentence-transformers/all-MiniLM-L6-v2"), folder)
    weights = load_file(folder / "model.safetensors")
    name = sorted(weights)[0]
    weights[name] = weights[name] + np.float32(1e-3)
    save_file(weights, folder / "model.safetensors")
    return folder


@pytest.fixture(scope="session", autouse=True)
def onnx_cache(tmp_path_factory):
    """The int8 models the tests export are kept in a folder of the session's, not in the user's cache."""
    with pytest.MonkeyPatch.context() as patch:
        folder = tmp_path_factory.mktemp("onnx-cache")
        patch.setenv("TWEET_TOPICS_ONNX_CACHE", str(folder))
        yield folder


@pytest.fixture(scope="session")
def twcs_sample() -> Path:
    """The committed excerpt of twcs.csv (xz; pandas and ingest read it as it is)."""
    assert TWCS_SAMPLE.is_file(), f"{TWCS_SAMPLE} is missing from the clone: `git checkout -- {TWCS_SAMPLE}`"
    return TWCS_SAMPLE


@dataclass(frozen=True)
class SmallRun:
    project: Path
    repro_output: str  # what `dvc repro` printed: the stages it ran, in order


@pytest.fixture(scope="session")
def small_run(tmp_path_factory) -> SmallRun:
    """The one small `dvc repro` from scratch (dvc_project.SMALL_RUN_PARAMS) that the slow tier's end-to-end tests
    share, committed. A test that changes the project works on its own copy (dvc_project.copy_project)."""
    from tests import dvc_project

    project = dvc_project.make_project(tmp_path_factory.mktemp("small") / "project", dvc_project.SMALL_RUN_PARAMS)
    result = dvc_project.dvc("repro", cwd=project)
    dvc_project.run(["git", "add", "-A"], project)
    dvc_project.run(["git", "commit", "-qm", "first run"], project)
    return SmallRun(project, result.stdout + result.stderr)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real S3 server (SeaweedFS) of the test module's own, stopped when the module is done."""
    from tests.s3_server import Server, free_port_block

    server = Server(tmp_path_factory.mktemp("s3") / "server", free_port_block())
    server.script("start")
    yield server
    server.script("stop")

@pytest.fixture
def store(server, monkeypatch):
    """The S3 server's keys and endpoint in the environment, as a user sets them to read s3:// inputs."""
    from tests.s3_server import forget_clients

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", server.keys["access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", server.keys["secret_access_key"])
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.endpoint)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    forget_clients()
    yield server
    forget_clients()


PREDICT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
PREDICT_TOPICS = 5


@pytest.fixture(scope="session")
def tweets(twcs_sample):
    """The first 400 inbound tweets of the sample."""
    import pandas as pd

    raw = pd.read_csv(twcs_sample, dtype=str, keep_default_na=False)
    return raw[raw["inbound"] == "True"].head(400).reset_index(drop=True)


@pytest.fixture(scope="session")
def models(tmp_path_factory, tweets):
    """A models/ folder trained the pipeline's way (PCA, KMeans on 400 real tweets) with the packaged encoder: what
predict's and the service's tests route with (trained once per test session)."""
    return trained_models(tmp_path_factory.mktemp("models"), tweets)


def trained_models(folder: Path, tweets) -> Path:
    """A models/ folder in `folder`, trained as the `models` fixture's on the rows of `tweets` (tweet_id, text)."""
    import json

    from tweet_topics.chain.topic_chain import TopicChain
    from tweet_topics.encoding.identity import model_identity
    from tweet_topics.params import ChainParams, validate_section
    from tweet_topics.paths import CLASSIFIER, HANDOFF, MANIFEST, REDUCER, TOPICS
    from tweet_topics.reduction.reduce import save_reducer
    from tweet_topics.training.classify import save_classifier, train_classifier
    from tweet_topics.training.handoff import fit_out_of_topic, save_out_of_topic
    from tweet_topics.training.manifest import build_manifest

    # featurize.dtype, featurize.engine and reduce.engine: the values the chain ran by before they were keys
    values = {"preprocess": {"language": "english", "handles": "keep"},
              "featurize": {"model": PREDICT_MODEL, "text_view": "embedding", "batch_size": 64, "device": "cpu",
                            "backend": "torch", "dtype": "float32", "engine": "local"},
              "reduce": {"method": "pca", "engine": "local"},
              "pca": {"n_components": 10, "whiten": False, "seed": 0, "max_fit_tweets": 200000},
              "umap": {"n_components": 5, "n_neighbors": 15, "min_dist": 0.0, "seed": 42, "max_fit_tweets": 50000},
              "smoothing": {"n_neighbors": 15, "steps": 2, "seed": 0, "max_fit_tweets": 50000},
              "kmeans": {"n_clusters": PREDICT_TOPICS, "seed": 42, "n_init": 3, "algorithm": "lloyd",
                         "max_fit_tweets": 200000},
              "train": {"C": 100.0, "class_weight": "balanced", "max_iter": 1000},
              "handoff": {"flag_rate": 0.05, "k": 5, "max_reference_tweets": 50000, "max_tweets": 20000, "seed": 0}}
    params = {name: validate_section(name, section) for name, section in values.items()}
    chain = TopicChain.from_params(ChainParams.from_sections(params))
    embeddings = chain.embed(tweets["text"])
    reducer, reduced = chain.topic_steps.fit_reducer(embeddings)
    kmeans = chain.topic_steps.fit_topics(reduced)  # all 400 rows fitted: labels_ covers every tweet
    encoder = chain.embedding.encoder.description()
    save_reducer(folder / REDUCER, reducer, model_identity(encoder))
    save_classifier(folder / CLASSIFIER, train_classifier(reduced, kmeans.labels_, params["train"]))
    save_out_of_topic(folder / HANDOFF, fit_out_of_topic(embeddings, embeddings, params["handoff"]))
    # each topic's share and mean embedding, as describe_topics writes them: what the monitor compares with
    topics = {"n_topics": PREDICT_TOPICS,
              "topics": [{"topic": i, "label": f"topic {i}", "share": float((kmeans.labels_ == i).mean()),
                          "centroid": embeddings[kmeans.labels_ == i].mean(axis=0).round(6).tolist()}
                         for i in range(PREDICT_TOPICS)]}
    (folder / TOPICS).write_text(json.dumps(topics))
    manifest = build_manifest(folder, params, encoder, tweets["tweet_id"].to_numpy(), kmeans.labels_)
    (folder / MANIFEST).write_text(json.dumps(manifest))
    return folder
