"""A user error in a stage is one line on stderr and exit code 2, before any output is written."""

import subprocess
import sys

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
        "error: params.yaml: unknown key 'kmeans.n_cluster' (known keys: n_clusters, n_init, seed);"
        " check the spelling in params.yaml or in `dvc exp run -S`"]
    assert not (tmp_path / "metrics").exists() and not (tmp_path / "models").exists()


def test_missing_input_says_to_run_the_pipeline(tmp_path, params):
    result = run_stage("train", tmp_path, params)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: data/05_reduced/discovery.npy not found: run `dvc repro` (or `dvc pull`) to produce it"]
