"""A step swapped without touching the package: a toy encoder and a toy reducer (tests/toy_steps.py), registered
by name, run the whole chain, in this process and as an installed package's entry points through `dvc repro` and
`predict`."""

import dataclasses
import json
import shutil
import sys

import numpy as np
import pytest
import yaml

from tests import toy_steps
from tests.conftest import REPO
from tweet_topics.chain.topic_chain import TopicChain
from tweet_topics.encoding.backends import ENCODERS
from tweet_topics.errors import UserError
from tweet_topics.io.artifacts import load_arrays
from tweet_topics.params import CHAIN_SECTIONS, ChainParams
from tweet_topics.reduction.methods import REDUCERS
from tweet_topics.reduction.reduce import fit_reducer, load_reducer, save_reducer

TOY_PARAMS = {"featurize": {"backend": "hashed-words"}, "reduce": {"method": "leading-coordinates"},
              "pca": {"n_components": 8}}


def toy_chain_params() -> ChainParams:
    values = yaml.safe_load((REPO / "params.yaml").read_text())
    return ChainParams.from_sections({name: {**values[name], **TOY_PARAMS.get(name, {})} for name in CHAIN_SECTIONS})


@pytest.fixture
def registered():
    ENCODERS.register("hashed-words", toy_steps.HashedWordsEncoder)
    REDUCERS.register("leading-coordinates", toy_steps.LeadingCoordinatesReducer)
    yield
    ENCODERS.unregister("hashed-words")
    REDUCERS.unregister("leading-coordinates")


def test_registered_steps_run_the_whole_chain(registered, tweets, tmp_path):
    chain = TopicChain.from_params(toy_chain_params())
    fits = toy_steps.LeadingCoordinatesReducer.fits
    topics = chain.message_topics(tweets["text"].tolist(), 4)
    assert isinstance(chain.embedding.encoder, toy_steps.HashedWordsEncoder)
    assert toy_steps.LeadingCoordinatesReducer.fits == fits + 1
    assert topics.shape == (len(tweets),) and set(topics) == {0, 1, 2, 3}
    # the saved reducer comes back as the toy, through the registry, and places tweets as it did
    embeddings = chain.embed(tweets["text"].tolist())
    reducer, reduced = fit_reducer(embeddings, chain.topic_steps.reduction)
    save_reducer(tmp_path / "reducer.npz", reducer, {"name": "toy", "fingerprint": "0", "dimension": 64})
    loaded, meta = load_reducer(tmp_path / "reducer.npz")
    assert isinstance(loaded, toy_steps.LeadingCoordinatesReducer) and meta["method"] == "leading-coordinates"
    assert np.array_equal(loaded.transform(embeddings), reduced)


def test_an_unknown_step_names_the_key_and_the_known_ones(registered):
    params = toy_chain_params()
    unknown = dataclasses.replace(params.reduction, reduce=dataclasses.replace(params.reduction.reduce,
                                                                               method="tsne"))
    with pytest.raises(UserError, match=r"'reduce\.method' is 'tsne'; it must be one of .*'leading-coordinates'"
                                        r".*'pca', 'smoothed-pca', 'umap'"):
        fit_reducer(np.zeros((10, 4), dtype=np.float32), unknown)
    with pytest.raises(UserError, match=r"'featurize\.backend' is 'word2vec'"):
        ENCODERS.get("word2vec")


def installed_plugin(folder) -> str:
    """tests/toy_steps.py as an installed package would be: the module and a dist-info declaring its entry points;
    returns the folder to put on PYTHONPATH."""
    shutil.copy(REPO / "tests" / "toy_steps.py", folder / "toy_steps.py")
    info = folder / "toy_steps-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-steps\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[tweet_topics.encoders]\nhashed-words = toy_steps:HashedWordsEncoder\n\n"
        "[tweet_topics.reducers]\nleading-coordinates = toy_steps:LeadingCoordinatesReducer\n")
    return str(folder)


@pytest.mark.slow
def test_dvc_repro_and_predict_run_through_installed_steps(tmp_path):
    """The toy steps as another package's entry points: `dvc repro` fits every stage with them, and `predict`
    routes new messages with the toy encoder and reducer it reads back from models/."""
    from tests import dvc_project

    env = dvc_project.command_env(PYTHONPATH=installed_plugin(tmp_path))
    params = {**dvc_project.SMALL_RUN_PARAMS, **TOY_PARAMS}
    project = dvc_project.make_project(tmp_path / "project", params)
    dvc_project.dvc("repro", cwd=project, env=env)
    meta = json.loads((project / "data/04_embeddings/encoder.json").read_text())
    assert meta["dimension"] == toy_steps.DIMENSION and meta["encoded_with"]["backend"] == "hashed-words"
    assert load_arrays(project / "models/reducer.npz", "reducer")[1]["method"] == "leading-coordinates"
    metrics = json.loads((project / "metrics/metrics.json").read_text())
    assert 0 < metrics["evaluation"]["macro_f1"] <= 1
    (project / "new.csv").write_text("text\nmy card was charged twice\nthe app keeps crashing\n")
    dvc_project.run([sys.executable, "-m", "tweet_topics", "predict", "new.csv", "-o", "routed.csv", "-q"], project,
                    env=env)
    rows = (project / "routed.csv").read_text().splitlines()
    assert len(rows) == 3 and "topic" in rows[0]
