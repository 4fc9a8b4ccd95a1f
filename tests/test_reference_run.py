"""The committed run, from a copy of the repository alone: `dvc repro` on the embedded sample reproduces the committed
dvc.lock and metrics, and the topics survive float-sized noise on the embeddings (what another CPU gives)."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import adjusted_rand_score

from tests import dvc_project
from tests.conftest import REPO

pytestmark = pytest.mark.slow
CPU_INDEPENDENT = ("ingest", "prepare", "preprocess")  # text processing: the same bytes on any machine
NOISE = 1e-6  # the size of the differences between two CPUs' embeddings of the same text (ENVIRONMENT.md)
DOWNSTREAM = ("reduce", "cluster", "train", "evaluate")
SPLITS = ("discovery", "validation", "evaluation")
# fitted values, not scores: the temperature undoes the scale of the classifier's scores, which C = 100 leaves loosely
# set, so float noise moved it from 0.530 to 0.551 on an Intel Xeon while the calibrated probabilities it gives
# stayed put; those are compared (calibration.ece_evaluation, calibration.mean_top_probability_evaluation)
FITTED = ("calibration.temperature",)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A copy of the project with its default params (the embedded sample), reproduced from scratch, and the optional
    score stage run on its committed example batch."""
    project = dvc_project.make_project(tmp_path_factory.mktemp("reference"), {})
    dvc_project.dvc("repro", cwd=project, timeout=3600)
    dvc_project.dvc("repro", "score/dvc.yaml", cwd=project, timeout=600)
    return project


def outs(lock_file) -> dict[str, dict[str, str]]:
    """Stage -> output path -> md5."""
    stages = yaml.safe_load(lock_file.read_text())["stages"]
    return {name: {out["path"]: out["md5"] for out in stage.get("outs", [])} for name, stage in stages.items()}


def committed_metrics_files() -> list[str]:
    return subprocess.run(["git", "ls-files", "metrics"], cwd=REPO, capture_output=True, text=True,
                          check=True).stdout.split()


def metrics_within_tolerance(expected: dict, actual: dict, prefix: str = "") -> list[str]:
    """Scores in [0, 1] within 0.01, other numbers within 2%: what the stability issue allows another CPU; the
    FITTED values are not compared."""
    problems = []
    for key, value in expected.items():
        if f"{prefix}{key}" in FITTED:
            continue
        if isinstance(value, dict):
            problems += metrics_within_tolerance(value, actual[key], f"{prefix}{key}.")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            other = actual[key]
            if 0 <= value <= 1 and 0 <= other <= 1:
                ok = abs(other - value) <= 0.01
            else:
                ok = abs(other - value) <= 0.02 * abs(value)
            if not ok:
                problems.append(f"{prefix}{key}: {value} -> {other}")
    return problems


def test_a_fresh_repro_gives_the_committed_outputs(run):
    """Byte for byte where the embeddings are the committed ones (the machine that made the run); on another CPU
    the text stages still match and the metrics stay within the stability issue's tolerance."""
    committed, fresh = outs(REPO / "dvc.lock"), outs(run / "dvc.lock")
    assert set(committed) == set(fresh)
    for stage in CPU_INDEPENDENT:
        assert fresh[stage] == committed[stage], stage
    if fresh["featurize"] == committed["featurize"]:  # what `git status` would show: no change to either
        assert (run / "dvc.lock").read_bytes() == (REPO / "dvc.lock").read_bytes()
        assert (run / "score" / "dvc.lock").read_bytes() == (REPO / "score" / "dvc.lock").read_bytes()
        names = committed_metrics_files()
        assert {"metrics/metrics.json", "metrics/score.json"} <= set(names)
        for name in names:
            if name != "metrics/labelled.json":  # the optional labelled stage's, which this run does not repeat
                assert (run / name).read_bytes() == (REPO / name).read_bytes(), name
        # every pipeline, the optional ones too: nothing a newcomer would read as missing or broken
        assert "up to date" in dvc_project.dvc("status", cwd=run).stdout
    else:  # another CPU: its embeddings differ in their last bits
        expected = json.loads((REPO / "metrics" / "metrics.json").read_text())
        assert not metrics_within_tolerance(expected, json.loads((run / "metrics" / "metrics.json").read_text()))
    assert "up to date" in dvc_project.dvc("status", "dvc.yaml", cwd=run).stdout


def test_topics_survive_float_noise_on_the_embeddings(run, tmp_path):
    """Another machine, simulated: Gaussian noise of 1e-6 on every embedding, then reduce -> cluster -> train ->
    evaluate again. The topics keep their ids (ARI >= 0.95 on every split) and the metrics stay within tolerance."""
    noisy = tmp_path / "noisy"
    shutil.copytree(run, noisy, ignore=shutil.ignore_patterns(".dvc", ".git", "embedding_cache"), symlinks=True)
    rng = np.random.default_rng(12345)
    for split in SPLITS:
        path = noisy / "data" / "04_embeddings" / f"{split}.npy"
        vectors = np.load(path)
        np.save(path, (vectors + rng.normal(0.0, NOISE, vectors.shape)).astype(np.float32))
    for stage in DOWNSTREAM:
        result = subprocess.run([sys.executable, f"stages/{stage}.py"], cwd=noisy, env=dvc_project.command_env(),
                                capture_output=True, text=True, timeout=1800)
        assert result.returncode == 0, result.stderr[-2000:]
    for split in SPLITS:
        before = pd.read_parquet(run / "data" / "06_clustered" / f"{split}.parquet", columns=["topic_id"])
        after = pd.read_parquet(noisy / "data" / "06_clustered" / f"{split}.parquet", columns=["topic_id"])
        assert adjusted_rand_score(before["topic_id"], after["topic_id"]) >= 0.95, split
    routed = [pd.read_csv(folder / "reports" / "evaluation_predictions.csv")["topic_id"] for folder in (run, noisy)]
    assert adjusted_rand_score(*routed) >= 0.95
    expected, actual = (json.loads((folder / "metrics" / "metrics.json").read_text()) for folder in (run, noisy))
    assert not metrics_within_tolerance(expected, actual)


def test_the_tolerance_check_catches_a_moved_score():
    assert metrics_within_tolerance({"a": {"acc": 0.90, "n": 100}}, {"a": {"acc": 0.905, "n": 101}}) == []
    assert metrics_within_tolerance({"acc": 0.90, "ch": 1000.0}, {"acc": 0.92, "ch": 1030.0}) == [
        "acc: 0.9 -> 0.92", "ch: 1000.0 -> 1030.0"]
    moved = {"calibration": {"temperature": 0.55, "ece_evaluation": 0.02}}
    assert metrics_within_tolerance({"calibration": {"temperature": 0.53, "ece_evaluation": 0.004}}, moved) == [
        "calibration.ece_evaluation: 0.004 -> 0.02"]
