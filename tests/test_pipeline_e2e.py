"""`dvc repro` on real tweets in a throwaway git + DVC copy of the project (a copy of the slow tier's shared small
run), then the experiment workflow."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests import dvc_project
from tests.conftest import CLINC150
from tweet_topics.discovery.descriptions import NO_WORDS

pytestmark = pytest.mark.slow
MAIN_PATH = ["ingest", "prepare", "preprocess", "featurize", "reduce", "cluster", "train", "evaluate"]
SWEEP_K = dvc_project.SMALL_RUN_PARAMS["sweep"]["k_values"]
N_TOPICS = dvc_project.SMALL_RUN_PARAMS["kmeans"]["n_clusters"]
N_TWEETS = dvc_project.SMALL_RUN_PARAMS["ingest"]["max_inbound"]


def run(args: list[str], cwd: Path) -> str:
    result = dvc_project.run(args, cwd)
    return result.stdout + result.stderr


def dvc(*args: str, cwd: Path) -> str:
    return run([sys.executable, "-m", "dvc", *args], cwd)


def stages_run(output: str) -> list[str]:
    return re.findall(r"Running stage '(?:[\w/.]+:)?(\w+)'", output)


@pytest.fixture(scope="module")
def project(small_run, tmp_path_factory) -> Path:
    """This module's own copy of the small run: the sample's first tweets (the default ingest.source), committed."""
    return dvc_project.copy_project(small_run.project, tmp_path_factory.mktemp("e2e") / "project")


@pytest.fixture(scope="module")
def first_repro(small_run) -> str:
    return small_run.repro_output


def test_repro_runs_every_stage_and_scores_are_sane(project, first_repro):
    ran = stages_run(first_repro)
    assert [stage for stage in ran if stage in MAIN_PATH] == MAIN_PATH
    assert sorted(set(ran) - set(MAIN_PATH)) == ["foreign", "handoff", "sweep"] and len(ran) == len(set(ran))
    assert ran.index("sweep") > ran.index("reduce")
    # the handoff reads the embeddings, the manifest holds the handoff, evaluate measures both
    assert ran.index("featurize") < ran.index("handoff") < ran.index("train")
    assert ran.index("foreign") < ran.index("evaluate")
    metrics = json.loads((project / "metrics" / "metrics.json").read_text())
    splits = {split: metrics[split] for split in ("discovery", "validation", "evaluation")}
    for split, scores in splits.items():
        for name in ("accuracy", "macro_f1", "weighted_f1"):
            assert 0 <= scores[name] <= 1, (split, name)
    assert metrics["evaluation"]["macro_f1"] >= 0.85
    assert sum(scores["n_tweets"] for scores in splits.values()) == N_TWEETS
    for name in ["models/reducer.npz", "metrics/plots/k_sweep.csv", "metrics/topic_changes.json",
                 "models/classifier.npz", "models/manifest.json", "reports/evaluation_predictions.csv",
                 "metrics/classification_report.json", "metrics/plots/confusion_evaluation.csv",
                 "metrics/plots/topic_sizes.csv", "metrics/plots/topic_map.csv", "models/topics.json",
                 "reports/report.md", "reports/topic_sizes.png", "reports/topic_map.png",
                 "reports/confusion_matrix.png",
                 "data/06_clustered/evaluation.parquet", "data/04_embeddings/discovery.npy"]:
        assert (project / name).stat().st_size > 0, name


def test_second_repro_runs_no_stage(project, first_repro):
    output = dvc("repro", cwd=project)
    assert stages_run(output) == []
    assert "up to date" in dvc("status", "dvc.yaml", cwd=project)  # the main path; labelled/ is optional


def test_topics_have_keywords_examples_and_labels_from_their_cluster(project, first_repro):
    topics = json.loads((project / "models" / "topics.json").read_text())
    discovery = pd.read_parquet(project / "data" / "06_clustered" / "discovery.parquet")
    topic_of = dict(zip(discovery["tweet_id"], discovery["topic_id"], strict=True))
    text_of = dict(zip(discovery["tweet_id"], discovery["text"], strict=True))
    assert topics["n_topics"] == N_TOPICS and len(topics["topics"]) == N_TOPICS
    worded = [topic for topic in topics["topics"] if topic["label"] != NO_WORDS]
    assert len(worded) >= N_TOPICS - 1  # at most one topic of tweets with no words (a link or an image only)
    for topic in worded:
        assert len(topic["keywords"]) == 10
        assert len(topic["examples"]) == 5
    for topic in topics["topics"]:
        for example in topic["examples"]:
            assert topic_of[example["tweet_id"]] == topic["topic"]
            assert text_of[example["tweet_id"]] == example["text"]
    assert abs(sum(topic["share"] for topic in topics["topics"]) - 1) < 1e-4
    names = {f"{topic['topic']}: {topic['label']}" for topic in topics["topics"]}
    confusion = pd.read_csv(project / "metrics" / "plots" / "confusion_evaluation.csv")
    assert set(confusion["actual"]) <= names and set(confusion["predicted"]) <= names
    assert all(f"{topic['topic']}: {topic['label']}" in (project / "reports" / "report.md").read_text()
               for topic in topics["topics"])


def test_cluster_quality_metrics_are_in_range(project, first_repro):
    clusters = json.loads((project / "metrics" / "metrics.json").read_text())["clusters"]
    assert -1 <= clusters["silhouette_cosine"] <= 1
    assert clusters["davies_bouldin"] > 0 and clusters["calinski_harabasz"] > 0
    assert 0 < clusters["min_topic_share"] <= 1 / N_TOPICS <= clusters["max_topic_share"] < 1
    assert -1 <= clusters["stability_ari"] <= 1


def test_sweep_has_one_row_per_k(project, first_repro):
    sweep = pd.read_csv(project / "metrics" / "plots" / "k_sweep.csv")
    assert sweep["k"].tolist() == SWEEP_K
    assert sweep["inertia"].is_monotonic_decreasing
    assert sweep[["silhouette_cosine", "stability_ari"]].abs().le(1).all().all()


def test_dvc_plots_render(project, first_repro):
    dvc("plots", "show", "-o", str(project / "plots_html"), cwd=project)
    html = (project / "plots_html" / "index.html").read_text()
    assert "k sweep" in html and "Topic sizes" in html and "Monitored batch" in html


@pytest.mark.parametrize("command", [["metrics", "show"], ["metrics", "diff", "HEAD~1"], ["plots", "show", "-o", "p"],
                                     ["plots", "diff", "HEAD", "-o", "p"]])
def test_metrics_and_plots_commands_print_no_warning(project, first_repro, command):
    """(`plots diff` against the first run's commit: HEAD~1, the bare project, has no plots to load.)"""
    output = dvc(*command, cwd=project)
    assert not re.search(r"(?i)failed to load|warning|^error", output, re.MULTILINE), output


def test_optional_labelled_stage_scores_clusters_and_trained_topics(project, first_repro):
    clinc = pd.read_csv(CLINC150)
    clinc = clinc[clinc["label"].isin(sorted(clinc["label"].unique())[:6])]
    (project / "data" / "labelled").mkdir(parents=True, exist_ok=True)
    clinc.to_csv(project / "data" / "labelled" / "six_intents.csv", index=False)
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["labelled"]["path"] = "data/labelled/six_intents.csv"
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    try:
        assert stages_run(dvc("repro", "labelled/dvc.yaml", cwd=project)) == ["labelled"]
    finally:
        run(["git", "checkout", "params.yaml"], project)
    scores = json.loads((project / "metrics" / "labelled.json").read_text())
    assert scores["k"] == 6 and scores["n_texts"] == 180
    for name in ("accuracy", "nmi", "ari", "homogeneity", "completeness"):
        assert 0 <= scores[name] <= 1, name
    assert 0 <= scores["trained_topics"]["nmi"] <= 1 and 0 < scores["trained_topics"]["purity"] <= 1


def test_predict_command_reproduces_the_evaluate_stage_exactly(project, first_repro, tmp_path):
    """The raw twcs rows of the evaluation split, through `python -m tweet_topics predict`, get exactly the
    evaluate stage's topics, and its probabilities up to float32 rounding: BLAS sums a matrix product in an order
    set by the batch's shape and the thread count (predict reduces on one thread), which moves a distance by about
    3e-7; the stability test shows topics hold under noise three times that size."""
    evaluated = pd.read_csv(project / "reports" / "evaluation_predictions.csv", dtype={"tweet_id": str})
    ingested = pd.read_parquet(project / "data" / "01_ingested" / "evaluation.parquet")
    raw = ingested.set_index("tweet_id").loc[evaluated["tweet_id"]].reset_index()  # the tweets prepare kept
    raw.drop(columns=["replied_by"]).to_csv(tmp_path / "evaluation.csv", index=False)
    run([sys.executable, "-m", "tweet_topics", "predict", str(tmp_path / "evaluation.csv"),
         "-o", str(tmp_path / "predicted.csv")], project)
    predicted = pd.read_csv(tmp_path / "predicted.csv", dtype={"id": str})
    assert predicted["id"].tolist() == evaluated["tweet_id"].tolist()
    assert predicted["topic_id"].tolist() == evaluated["topic_id"].tolist()
    assert predicted["topic_label"].tolist() == evaluated["topic_label"].tolist()
    assert (predicted["probability"] - evaluated["probability"]).abs().max() <= 1e-5
    assert predicted["topic_id"].nunique() > 1


def test_the_stages_predict_and_the_labelled_evaluation_run_one_composition(project, first_repro):
    """The same raw texts become the same vectors through featurize (the stages), through the router (predict, the
    score stage) and through the labelled evaluation; and the router's topics are the evaluate stage's."""
    import numpy as np

    from tweet_topics.chain.topic_chain import TopicChain
    from tweet_topics.params import CHAIN_SECTIONS, ChainParams, load_sections
    from tweet_topics.serving.router import Router

    evaluated = pd.read_csv(project / "reports" / "evaluation_predictions.csv", dtype={"tweet_id": str}).head(300)
    ingested = pd.read_parquet(project / "data" / "01_ingested" / "evaluation.parquet").set_index("tweet_id")
    texts = ingested.loc[evaluated["tweet_id"], "text"].tolist()  # raw, as the twcs file has them
    stage_ids = np.load(project / "data" / "04_embeddings" / "evaluation_ids.npy", allow_pickle=False).astype(str)
    rows = pd.Series(np.arange(len(stage_ids)), index=stage_ids).loc[evaluated["tweet_id"]].to_numpy()
    featurized = np.load(project / "data" / "04_embeddings" / "evaluation.npy")[rows]

    router = Router.load(project / "models")
    assert np.array_equal(router.messages.embed(texts), featurized)
    params = load_sections(*CHAIN_SECTIONS, path=project / "params.yaml")
    # the labelled evaluation's embeddings (stages/labelled.py): its chain's
    assert np.array_equal(TopicChain.from_params(ChainParams.from_sections(params)).embed(texts), featurized)
    topics = np.asarray(router.topics.topic_ids)[router.route(texts).argmax(axis=1)]
    assert topics.tolist() == evaluated["topic_id"].tolist()


def test_optional_score_stage_routes_a_new_file(project, first_repro):
    new = pd.DataFrame({"id": ["n1", "n2", "n3"], "message": ["my package never arrived", "refund please",
                                                                 "love the new update"]})
    (project / "data" / "new").mkdir(parents=True, exist_ok=True)
    new.to_json(project / "data" / "new" / "messages.jsonl", orient="records", lines=True)
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["score"].update(input="data/new/messages.jsonl", text_column="message")
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    try:
        assert stages_run(dvc("repro", "score/dvc.yaml:score", cwd=project)) == ["score"]
    finally:
        run(["git", "checkout", "params.yaml"], project)
    scored = pd.read_csv(project / "data" / "07_scored" / "predictions.csv")
    assert scored["id"].tolist() == ["n1", "n2", "n3"] and scored["probability"].between(0, 1).all()
    summary = json.loads((project / "metrics" / "score.json").read_text())
    assert summary["n_messages"] == 3 and abs(sum(summary["topic_share"].values()) - 1) < 1e-5


def test_the_monitor_stage_reports_an_injected_group_and_not_a_clean_batch(project, first_repro):
    """The run's own evaluation tweets are a clean batch; the same with 30 requests of one CLINC150 intent injected
    is not: the stage reports them as one emerging issue, and `dvc metrics diff` shows the change."""
    evaluation = pd.read_parquet(project / "data" / "01_ingested" / "evaluation.parquet", columns=["tweet_id", "text"])
    clinc = pd.read_csv(CLINC150)
    injected = pd.DataFrame({"tweet_id": [f"new{i}" for i in range(30)],
                             "text": clinc[clinc["label"] == "translate"]["text"].head(30).tolist()})
    (project / "data" / "new").mkdir(parents=True, exist_ok=True)
    evaluation.to_csv(project / "data" / "new" / "clean.csv", index=False)
    pd.concat([evaluation, injected]).to_csv(project / "data" / "new" / "injected.csv", index=False)
    params = yaml.safe_load((project / "params.yaml").read_text())
    try:
        for batch in ("clean", "injected"):
            params["monitor"]["input"] = f"data/new/{batch}.csv"
            (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
            assert stages_run(dvc("repro", "score/dvc.yaml:monitor", cwd=project)) == ["monitor"]
            summary = json.loads((project / "metrics" / "monitor.json").read_text())
            result = json.loads((project / "data" / "08_monitor" / "monitor.json").read_text())
            issues = result["periods"][0]["summary"]["emerging_issues"]
            # with the default smoothed-pca, whose reduced space draws a new message into the topics beside it
            assert result["periods"][0]["summary"]["space"] == "embedding"
            if batch == "clean":
                assert summary["emerging_issues"] == 0 and issues == []
                run(["git", "add", "-f", "metrics/monitor.json"], project)
                run(["git", "commit", "-qm", "the clean batch's monitor"], project)
                continue
            assert summary["emerging_issues"] == 1 and len(issues) == 1
            held = [identifier for identifier in issues[0]["message_ids"] if identifier.startswith("new")]
            assert len(held) >= 15 and len(held) >= 0.6 * issues[0]["messages"]
        assert "emerging_issues" in dvc("metrics", "diff", cwd=project)
        report = (project / "data" / "08_monitor" / "monitor.md").read_text()
        assert "**1. " in report and "**2. " not in report
    finally:
        run(["git", "checkout", "params.yaml"], project)


def test_a_stage_killed_mid_write_leaves_no_partial_output_and_the_next_repro_succeeds(project, first_repro):
    """SIGKILL to `dvc repro` and its stage while featurize writes. DVC removes a stage's outputs before running it,
    so the embeddings may be absent afterwards, but never partly written; the rerun completes with the same bytes.
    (featurize.device: cpu reruns featurize with identical output on a CPU machine.)"""
    embeddings = project / "data" / "04_embeddings"

    def contents() -> dict[str, bytes]:
        return {path.name: path.read_bytes() for path in embeddings.iterdir()} if embeddings.exists() else {}

    before = contents()
    cache = project / "data" / "embedding_cache"
    shutil.rmtree(cache)  # so that featurize embeds again, writing a cache shard: the long part
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["featurize"]["device"] = "cpu"
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    try:
        repro = subprocess.Popen([sys.executable, "-m", "dvc", "repro", "featurize"], cwd=project,
                                 env=dvc_project.command_env(), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + 300
            while not any(temp.is_dir() and any(temp.glob("*.npy")) for temp in cache.glob("*/.shard-*.tmp")):
                assert repro.poll() is None and time.monotonic() < deadline, "featurize never started writing"
                time.sleep(0.2)
            time.sleep(1.0)  # well inside the writing
        finally:
            os.killpg(repro.pid, signal.SIGKILL)
            repro.wait()
        assert contents() in ({}, before)  # absent or the old bytes: never a partial output
        assert not list(cache.glob("*/shard-*"))  # no shard was finished, so none may appear finished
        assert stages_run(dvc("repro", "featurize", cwd=project)) == ["featurize"]
        assert contents() == before
        assert not list((project / "data").glob(".04_*"))  # the killed run's temp folder is gone
        assert not list(cache.glob("*/.*.tmp")) and len(list(cache.glob("*/shard-*"))) == 1
        assert "up to date" in dvc("status", "featurize", cwd=project)  # (train records the device param)
    finally:  # back to the committed run: params and lock, then the outputs
        # from HEAD: DVC autostages the lock, so the index holds the killed test's version
        run(["git", "checkout", "HEAD", "--", "params.yaml", "dvc.lock"], project)
        dvc("checkout", cwd=project)
        assert "up to date" in dvc("status", "dvc.yaml", cwd=project)


def test_accepted_topics_keep_their_ids_and_names_through_a_retrain(project, first_repro, tmp_path):
    """Accept the topics, name the largest, fold another into it, retrain with another KMeans seed: the same tweets
    keep the same topic ids, the name stays with its topic, the merge applies, and predict and the report use it."""
    run([sys.executable, "-m", "tweet_topics", "topics", "accept"], project)
    topics = json.loads((project / "models" / "topics.json").read_text())["topics"]
    largest, other = sorted(topics, key=lambda topic: -topic["size"])[:2]
    (project / "topics" / "names.yaml").write_text(
        f"names:\n  {largest['topic']}: Our biggest topic\nmerge:\n  - [{largest['topic']}, {other['topic']}]\n")
    before = pd.read_parquet(project / "data" / "06_clustered" / "discovery.parquet", columns=["topic_id"])
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["kmeans"]["seed"] = 7
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    try:
        assert "cluster" in stages_run(dvc("repro", cwd=project))
        after = pd.read_parquet(project / "data" / "06_clustered" / "discovery.parquet", columns=["topic_id"])
        merged = before["topic_id"].replace({other["topic"]: largest["topic"]})
        assert (merged == after["topic_id"]).mean() >= 0.9  # the same tweets under the same ids
        retrained = json.loads((project / "models" / "topics.json").read_text())["topics"]
        named = next(topic for topic in retrained if topic["topic"] == largest["topic"])
        assert named["name"] == "Our biggest topic" and named["merged_from"] == [other["topic"]]
        assert other["topic"] not in {topic["topic"] for topic in retrained}
        assert f"{largest['topic']}: Our biggest topic" in (project / "reports" / "report.md").read_text()
        changes = json.loads((project / "metrics" / "topic_changes.json").read_text())
        assert changes["merges_applied"] == [[largest["topic"], other["topic"]]]
        (tmp_path / "in.txt").write_text(named["examples"][0]["text"] + "\n")
        routed = run([sys.executable, "-m", "tweet_topics", "predict", str(tmp_path / "in.txt"), "-q"], project)
        assert "Our biggest topic" in routed
    finally:  # back to the committed run
        run(["git", "checkout", "HEAD", "--", "params.yaml", "dvc.lock", "topics", "metrics"], project)
        run(["git", "clean", "-fdq", "topics"], project)
        dvc("checkout", cwd=project)
        assert "up to date" in dvc("status", "dvc.yaml", cwd=project)


# The experiments come last: `dvc exp run` leaves its params and results in the workspace.
def test_exp_run_new_k_reuses_embeddings_and_pca(project, first_repro):
    output = dvc("exp", "run", "-S", "kmeans.n_clusters=10", cwd=project)
    assert stages_run(output) == ["cluster", "train", "evaluate"]
    sizes = json.loads((project / "metrics" / "cluster_sizes.json").read_text())
    assert len(sizes) == 10
    diff = dvc("metrics", "diff", "--json", "--targets", "metrics/metrics.json", cwd=project)
    changed = json.loads(next(line for line in diff.splitlines() if line.startswith("{")))
    assert changed["metrics/metrics.json"]["evaluation.macro_f1"]["old"] != changed["metrics/metrics.json"][
        "evaluation.macro_f1"]["new"]


def test_changing_pca_reruns_reduce_and_after_but_not_featurize(project, first_repro):
    # with the default UMAP reduction PCA params change nothing downstream, so switch to the seed's PCA here
    output = dvc("exp", "run", "-S", "reduce.method=pca", "-S", "pca.n_components=20", cwd=project)
    assert sorted(stages_run(output)) == sorted(["reduce", "sweep", "cluster", "train", "evaluate"])


def test_changing_a_preprocess_param_reruns_preprocess_and_what_follows_only(project, first_repro):
    output = dvc("exp", "run", "-S", "preprocess.language=spanish", cwd=project)
    # The stopword language changes the keyword view only: featurize reruns and writes the same embeddings
    # (the embedding view is language-free), so reduce and sweep are skipped; topic keywords change downstream.
    # foreign embeds its messages with the same cleaner settings, so it reruns too and writes the same vectors.
    assert sorted(stages_run(output)) == sorted(["preprocess", "featurize", "foreign", "cluster", "train",
                                                 "evaluate"])
