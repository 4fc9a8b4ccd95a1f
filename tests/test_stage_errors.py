"""A user error in a stage is one line on stderr and exit code 2, before any output is written."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import REPO


def run_stage(name: str, cwd, params: dict) -> subprocess.CompletedProcess:
    (cwd / "params.yaml").write_text(yaml.safe_dump(params))
    return subprocess.run([sys.executable, str(REPO / "stages" / f"{name}.py")], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def params():
    return yaml.safe_load((REPO / "params.yaml").read_text())


def test_mistyped_experiment_key_is_named(tmp_path, params):
    params["kmeans"]["n_cluster"] = 10  # what `dvc exp run -S kmeans.n_cluster=10` leaves in params.yaml
    result = run_stage("cluster", tmp_path, params)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: params.yaml: unknown key 'kmeans.n_cluster'"
        " (known keys: algorithm, max_fit_tweets, n_clusters, n_init, seed);"
        " check the spelling in params.yaml or in `dvc exp run -S`"]
    assert not (tmp_path / "metrics").exists() and not (tmp_path / "models").exists()


def test_missing_input_says_to_run_the_pipeline(tmp_path, params):
    result = run_stage("train", tmp_path, params)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: data/05_reduced/discovery.npy not found: run `dvc repro` (or `dvc pull`) to produce it"]


def test_ill_typed_experiment_value_is_named(tmp_path, params):
    params["kmeans"]["n_clusters"] = "ten"  # `dvc exp run -S kmeans.n_clusters=ten`
    result = run_stage("cluster", tmp_path, params)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: params.yaml: 'kmeans.n_clusters' is 'ten'; it must be an integer >= 2"]


def write_split_arrays(directory, rows: int, dimension: int) -> None:
    directory.mkdir(parents=True)
    for index, split in enumerate(("discovery", "validation", "evaluation")):
        vectors = np.random.default_rng(index).normal(size=(rows, dimension)).astype(np.float32)
        np.save(directory / f"{split}.npy", vectors)
        np.save(directory / f"{split}_ids.npy", np.arange(rows) + 100 * index)


def test_pca_components_beyond_the_data_stop_reduce_before_any_work(tmp_path, params):
    write_split_arrays(tmp_path / "data" / "04_embeddings", rows=5, dimension=8)
    (tmp_path / "data" / "04_embeddings" / "encoder.json").write_text('{"name": "m", "fingerprint": "f"}')
    params["reduce"]["method"] = "pca"
    result = run_stage("reduce", tmp_path, params)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: pca.n_components is 50 but the discovery split allows at most 5 (5 tweets x 8 dimensions):"
        " lower pca.n_components"]
    assert not (tmp_path / "models").exists() and not (tmp_path / "data" / "05_reduced").exists()


def test_more_topics_than_tweets_stops_cluster_before_any_work(tmp_path, params):
    write_split_arrays(tmp_path / "data" / "05_reduced", rows=3, dimension=5)
    text = tmp_path / "data" / "03_preprocessed"
    text.mkdir(parents=True)
    for index, split in enumerate(("discovery", "validation", "evaluation")):
        pd.DataFrame({"tweet_id": np.arange(3) + 100 * index}).to_parquet(text / f"{split}.parquet")
    result = run_stage("cluster", tmp_path, params)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: kmeans.n_clusters is 8 but the discovery split has only 3 tweets: lower kmeans.n_clusters or raise"
        " ingest.max_inbound"]
    assert not (tmp_path / "models").exists() and not (tmp_path / "data" / "06_clustered").exists()


def test_an_empty_split_stops_ingest(tmp_path, params):
    (tmp_path / "raw.csv").write_text("tweet_id,author_id,inbound,created_at,text\n1,a,True,x,only one tweet\n")
    params["ingest"].update(source="file", raw_path="raw.csv")
    result = run_stage("ingest", tmp_path, params)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and "split is empty (1 inbound tweets kept)" in result.stderr
    assert not (tmp_path / "data").exists()


def test_a_score_input_with_no_message_stops_the_score_stage(tmp_path, params, models):
    import shutil

    shutil.copytree(models, tmp_path / "models")
    (tmp_path / "new.csv").write_text("text\n")
    params["score"].update(input="new.csv", engine="local")
    result = run_stage("score", tmp_path, params)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["error: new.csv: no messages to route: a header and no rows; nothing was"
                                          " written"]
    assert not (tmp_path / "data").exists() and not (tmp_path / "metrics").exists()
