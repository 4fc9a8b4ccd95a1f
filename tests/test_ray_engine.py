"""The Ray engines on a real local cluster (a head and one worker node, 127.0.0.1 only) give the local engines'
bytes: featurize's outputs, the embedding cache's reuse, and reduce's placement."""

import filecmp
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import REPO
from tweet_topics.errors import UserError
from tweet_topics.io.datasets import SPLITS
from tweet_topics.reduction.reduce import fit_reducer, reduce_embeddings
from tweet_topics.scale import ray_predict, ray_reduce
from tweet_topics.scale.ray_cluster import LOOPBACK, LocalCluster, require_ray

ROWS_PER_SPLIT = 120


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(workers=1, cpus=1) as running:
        yield running


def featurize_project(root: Path, texts: dict[str, list[str]], engine: str) -> Path:
    """A folder featurize can run in: params.yaml with `engine`, and preprocessed splits of `texts`."""
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["featurize"]["engine"] = engine
    root.mkdir(parents=True, exist_ok=True)
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    folder = root / "data" / "03_preprocessed"
    folder.mkdir(parents=True, exist_ok=True)
    for split, split_texts in texts.items():
        pd.DataFrame({"tweet_id": np.arange(len(split_texts)), "embedding_text": split_texts}).to_parquet(
            folder / f"{split}.parquet", index=False)
    return root


def run_featurize(project: Path, cache: Path | str, address: str) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "RAY_ADDRESS": address,
           "TWEET_TOPICS_EMBEDDING_CACHE": str(cache)}
    result = subprocess.run([sys.executable, str(REPO / "stages" / "featurize.py")], cwd=project, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout + result.stderr  # the count to embed, then the progress bar's


@pytest.fixture(scope="module")
def tweet_texts(twcs_sample) -> dict[str, list[str]]:
    frame = pd.read_csv(twcs_sample, usecols=["text", "inbound"])
    texts = frame.loc[frame["inbound"], "text"].drop_duplicates().tolist()[:len(SPLITS) * ROWS_PER_SPLIT + 40]
    return {split: texts[index * ROWS_PER_SPLIT:(index + 1) * ROWS_PER_SPLIT] for index, split in enumerate(SPLITS)}


@pytest.mark.slow
def test_featurize_on_ray_writes_the_local_engines_bytes_and_fills_the_cache(cluster, tweet_texts, tmp_path):
    local = featurize_project(tmp_path / "local", tweet_texts, "local")
    on_ray = featurize_project(tmp_path / "ray", tweet_texts, "ray")
    run_featurize(local, tmp_path / "local-cache", cluster.address)
    output = run_featurize(on_ray, tmp_path / "ray-cache", cluster.address)
    assert f"{len(SPLITS) * ROWS_PER_SPLIT:,} to embed on Ray" in output
    assert f"embed on Ray: {len(SPLITS) * ROWS_PER_SPLIT}tweet" in output
    names = sorted(path.name for path in (local / "data" / "04_embeddings").iterdir())
    assert names == sorted(path.name for path in (on_ray / "data" / "04_embeddings").iterdir())
    match, mismatch, errors = filecmp.cmpfiles(local / "data" / "04_embeddings", on_ray / "data" / "04_embeddings",
                                               names, shallow=False)
    assert mismatch == [] and errors == [] and len(match) == 2 * len(SPLITS) + 1

    # the workers wrote shards the local engine reads: appended tweets are all that is embedded again
    appended = {**tweet_texts, "evaluation": tweet_texts["evaluation"] + ["my card was charged twice, please help"]}
    local_again = featurize_project(tmp_path / "local-again", appended, "local")
    assert "1 to embed, the rest from the cache" in run_featurize(local_again, tmp_path / "ray-cache", cluster.address)
    on_ray_again = featurize_project(tmp_path / "ray-again", appended, "ray")
    assert "0 to embed on Ray" in run_featurize(on_ray_again, tmp_path / "ray-cache", cluster.address)
    assert filecmp.cmp(local_again / "data" / "04_embeddings" / "evaluation.npy",
                       on_ray_again / "data" / "04_embeddings" / "evaluation.npy", shallow=False)


@pytest.mark.slow
def test_featurize_on_ray_with_the_cache_in_a_store_embeds_on_the_workers_and_shares_their_shards(
        cluster, store, tweet_texts, tmp_path):
    """The actors upload their shards to the store (the cluster's processes have none of its keys: the driver's go
    with the actors); the driver's copy and another machine's are filled from there."""
    from tests.s3_server import BUCKET

    texts = {split: split_texts[:40] for split, split_texts in tweet_texts.items()}
    root = f"s3://{BUCKET}/ray-cache"
    on_ray = featurize_project(tmp_path / "ray", texts, "ray")
    assert f"{len(SPLITS) * 40:,} to embed on Ray" in run_featurize(on_ray, root, cluster.address)
    assert len(list((on_ray / "data" / "embedding_cache").glob("*/shard-*/keys.npy"))) >= 1
    local = featurize_project(tmp_path / "local", texts, "local")  # another machine: an empty local copy
    assert "0 to embed, the rest from the cache" in run_featurize(local, root, cluster.address)
    match, mismatch, errors = filecmp.cmpfiles(local / "data" / "04_embeddings", on_ray / "data" / "04_embeddings",
                                               [f"{split}.npy" for split in SPLITS], shallow=False)
    assert mismatch == [] and errors == []


@pytest.mark.parametrize("method", ["smoothed-pca", "pca"])
def test_reduce_on_ray_places_every_tweet_as_the_local_engine_does(cluster, method, monkeypatch):
    from tweet_topics.params import REDUCE_SECTIONS, ReductionParams, load_sections

    monkeypatch.setattr(ray_reduce, "SLICE_BATCHES", 1)  # several tasks, finishing in any order
    vectors = np.random.default_rng(7).normal(size=(6000, 48)).astype(np.float32)
    sections = load_sections(*REDUCE_SECTIONS)
    params = ReductionParams(reduce=replace(sections["reduce"], method=method),
                             pca=replace(sections["pca"], max_fit_tweets=1500, n_components=8),
                             umap=sections["umap"], smoothing=replace(sections["smoothing"], max_fit_tweets=1500))
    reducer, local = fit_reducer(vectors, params)
    _, on_ray = fit_reducer(vectors, params, ray_reduce.place_on_ray)
    assert np.array_equal(local, on_ray)
    assert np.array_equal(reduce_embeddings(reducer, vectors[:2500]), ray_reduce.place_on_ray(reducer, vectors[:2500]))


def test_the_local_cluster_listens_on_loopback_only(cluster):
    import psutil

    from tweet_topics.scale.ray_cluster import connect

    ray = connect()
    assert {node["NodeManagerAddress"] for node in ray.nodes()} == {LOOPBACK}

    def is_ray(process) -> bool:
        name, command = process.info["name"] or "", " ".join(process.info["cmdline"] or [])
        return name.startswith("ray::") or name in ("raylet", "gcs_server") or "site-packages/ray/" in command

    ray_processes = {process.pid for process in psutil.process_iter(["name", "cmdline"]) if is_ray(process)}
    listening = {connection.laddr.ip for connection in psutil.net_connections("tcp")
                 if connection.status == psutil.CONN_LISTEN and connection.pid in ray_processes}
    assert listening and listening <= {LOOPBACK, "::ffff:127.0.0.1"}


def test_an_engine_of_ray_without_ray_installed_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(UserError, match=r"Ray is not installed: pip install -e '\.\[ray\]'"):
        require_ray()


def joined_parts(folder: Path, stem: str) -> list[str]:
    """The rows of a file's output parts, in order, with the header once."""
    rows = []
    for index, part in enumerate(sorted(folder.glob(f"{stem}-*.csv"))):
        lines = part.read_text(encoding="utf-8").splitlines()
        rows += lines if index == 0 else lines[1:]
    return rows


@pytest.mark.slow
def assert_parts_are_the_local_rows(models: Path, sources: list[Path], parts: Path) -> None:
    """Each source's parts in `parts`, read in order, are the rows predict_stream writes for it in batches of 50."""
    from tweet_topics.serving.messages import input_format, read_batches
    from tweet_topics.serving.predict import predict_stream
    from tweet_topics.serving.router import Router, TrainedTopics

    topics = TrainedTopics.load(models)
    router = Router.load(models, None, None, topics)
    for source in sources:
        local = parts.parent / f"{source.stem}-local.csv"
        predict_stream(topics, router.assess, read_batches(source, input_format(source, None), "text", None, 50),
                       local, "csv", progress=False)
        assert joined_parts(parts, source.stem) == local.read_text().splitlines(), source.name


def test_predict_on_ray_writes_the_rows_the_local_command_writes(cluster, models, tweets, tmp_path, capsys):
    from tweet_topics.cli import main

    tweets[["tweet_id", "text"]][:300].to_csv(tmp_path / "messages.csv", index=False)
    main(["predict", str(tmp_path / "messages.csv"), "--engine", "ray", "-o", str(tmp_path / "routed"),
          "--models", str(models)])
    assert "300 messages from 1 files" in capsys.readouterr().err
    main(["predict", str(tmp_path / "messages.csv"), "-o", str(tmp_path / "local.csv"), "--models", str(models),
          "-q"])
    assert filecmp.cmp(tmp_path / "local.csv", tmp_path / "routed" / "messages-00000.csv", shallow=False)

    # a folder of files (CSV and Parquet), each in several parts of several batches: each file's parts are its local
    # rows, in order
    folder = tmp_path / "inbox"
    folder.mkdir()
    tweets[["tweet_id", "text"]][:230].to_csv(folder / "monday.csv", index=False)
    tweets[["tweet_id", "text"]][230:300].to_parquet(folder / "tuesday.parquet", index=False)
    job = ray_predict.RouteJob(str(models))
    summary = ray_predict.predict_on_ray(job, folder, tmp_path / "parts", batch_size=50, part_batches=2)
    assert summary["files"] == {"monday.csv": 230, "tuesday.parquet": 70}
    assert len(list((tmp_path / "parts").glob("monday-*.csv"))) == 3  # 5 batches of at most 50, 2 per part
    assert_parts_are_the_local_rows(models, [folder / "monday.csv", folder / "tuesday.parquet"], tmp_path / "parts")


def test_predict_on_ray_routes_a_folder_of_s3_objects_into_s3(cluster, store, models, tweets, tmp_path):
    """The driver lists and reads the objects under an s3:// prefix; the actors upload their parts under another,
    with the driver's keys (the cluster started without them); each object's parts are its local rows."""
    from tests.s3_server import BUCKET, upload
    from tweet_topics.io.remote import download, remote_files

    tweets[["tweet_id", "text"]][:120].to_csv(tmp_path / "monday.csv", index=False)
    tweets[["tweet_id", "text"]][120:150].to_parquet(tmp_path / "tuesday.parquet", index=False)
    for name in ("monday.csv", "tuesday.parquet"):
        upload(f"s3://{BUCKET}/inbox/{name}", (tmp_path / name).read_bytes())
    job = ray_predict.RouteJob(str(models))
    summary = ray_predict.predict_on_ray(job, f"s3://{BUCKET}/inbox/", f"s3://{BUCKET}/outbox", batch_size=50,
                                         part_batches=2)
    assert summary["files"] == {"monday.csv": 120, "tuesday.parquet": 30}
    parts = remote_files(f"s3://{BUCKET}/outbox/", (".csv",))
    assert [url.rsplit("/", 1)[1] for url in parts] == ["monday-00000.csv", "monday-00001.csv", "tuesday-00000.csv"]
    (tmp_path / "parts").mkdir()
    for url in parts:
        download(url, tmp_path / "parts" / url.rsplit("/", 1)[1])
    assert_parts_are_the_local_rows(models, [tmp_path / "monday.csv", tmp_path / "tuesday.parquet"],
                                    tmp_path / "parts")


def run_score(project: Path, engine: str, address: str) -> None:
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["score"].update(engine=engine, input="inbox/new.csv")
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "RAY_ADDRESS": address}
    result = subprocess.run([sys.executable, str(REPO / "stages" / "score.py")], cwd=project, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]


def test_the_score_stage_on_ray_writes_the_local_stages_file_and_summary(cluster, models, tweets, tmp_path):
    """score.engine ray: the stage's predictions and metrics/score.json are what the local stage writes (predict_file),
    and no parts are left behind; a file in several parts is joined in order, its tallies into predict's summary."""
    from tweet_topics.io.atomic import write_json
    from tweet_topics.serving.messages import read_batches
    from tweet_topics.serving.predict import predict_file, predict_stream
    from tweet_topics.serving.router import Router, TrainedTopics

    project = tmp_path / "ray"
    (project / "inbox").mkdir(parents=True)
    source = project / "inbox" / "new.csv"
    tweets[["tweet_id", "text"]][:300].to_csv(source, index=False)
    (project / "models").symlink_to(models, target_is_directory=True)
    run_score(project, "ray", cluster.address)
    write_json(tmp_path / "local.json", predict_file(models, source, tmp_path / "local.csv", progress=False))
    assert filecmp.cmp(tmp_path / "local.csv", project / "data" / "07_scored" / "predictions.csv", shallow=False)
    assert filecmp.cmp(tmp_path / "local.json", project / "metrics" / "score.json", shallow=False)
    assert sorted(path.name for path in (project / "data" / "07_scored").iterdir()) == ["predictions.csv"]

    job = ray_predict.RouteJob(str(models))
    summary = ray_predict.score_on_ray(job, source, tmp_path / "joined.csv", batch_size=50, part_batches=2)
    topics = TrainedTopics.load(models)
    router = Router.load(models, None, None, topics)
    local = predict_stream(topics, router.assess, read_batches(source, "csv", "text", None, 50),
                           tmp_path / "local-50.csv", "csv", progress=False)
    assert filecmp.cmp(tmp_path / "joined.csv", tmp_path / "local-50.csv", shallow=False) and summary == local


def refused_on_ray(models, tmp_path, capsys, second_file: str) -> tuple[int, str]:
    """`predict --engine ray` on a folder of a good a.csv and `second_file` as b.csv: its exit code and stderr."""
    from tweet_topics.cli import main

    shards = tmp_path / "shards"
    shards.mkdir()
    (shards / "a.csv").write_text("tweet_id,text\n1,my card was declined\n")
    (shards / "b.csv").write_text(second_file)
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", str(shards), "--engine", "ray", "-o", str(tmp_path / "routed"), "--models", str(models)])
    return exit_info.value.code, capsys.readouterr().err.strip()


def test_predict_on_ray_refuses_a_bad_file_in_one_line_before_routing(cluster, models, tmp_path, capsys):
    from tweet_topics.cli import main

    code, error = refused_on_ray(models, tmp_path, capsys, "tweet_id,message\n2,where is my refund\n")
    assert code == 2 and "b.csv" in error and "text" in error and len(error.splitlines()) == 1
    assert not (tmp_path / "routed").exists()
    with pytest.raises(SystemExit):
        main(["predict", str(tmp_path / "shards"), "--engine", "ray", "--models", str(models)])
    assert "writes a folder (-o)" in capsys.readouterr().err


def test_predict_on_ray_refuses_a_file_with_no_message_before_any_actor_starts(models, tmp_path, capsys):
    """As the local engine does: one line naming the file, exit code 2, no output folder (no cluster is needed to
    see it: the files are read before Ray is reached)."""
    code, error = refused_on_ray(models, tmp_path, capsys, "tweet_id,text\n")
    assert code == 2 and len(error.splitlines()) == 1
    assert "b.csv: no messages to route: a header and no rows" in error
    assert not (tmp_path / "routed").exists()


def test_outside_the_project_the_ray_settings_are_the_defaults(tmp_path, monkeypatch):
    from tweet_topics.scale.ray_cluster import DEFAULT_SETTINGS, ray_settings

    assert ray_settings().as_dict() == yaml.safe_load((REPO / "params.yaml").read_text())["ray"]
    monkeypatch.chdir(tmp_path)
    assert ray_settings() == DEFAULT_SETTINGS
