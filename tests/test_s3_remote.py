"""The team workflow against a real S3 server (SeaweedFS, started by scripts/s3_local.py): push, pull into a clone,
experiments through a git remote, and the failures a team meets (wrong keys, server down, server lost mid-push)."""

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.dvc_project import command_env, copy_project, dvc, run
from tests.s3_server import Server

pytestmark = pytest.mark.slow


def point_remote_at(project: Path, endpoint: str, keys: dict | None = None) -> None:
    dvc("remote", "modify", "--local", "storage", "endpointurl", endpoint, cwd=project)
    if keys:
        dvc("remote", "modify", "--local", "storage", "access_key_id", keys["access_key_id"], cwd=project)
        dvc("remote", "modify", "--local", "storage", "secret_access_key", keys["secret_access_key"], cwd=project)


@pytest.fixture(scope="module")
def origin(tmp_path_factory) -> Path:
    bare = tmp_path_factory.mktemp("origin") / "project.git"
    run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], bare.parent)
    return bare


@pytest.fixture(scope="module")
def pushed(small_run, tmp_path_factory, server, origin) -> Path:
    """A copy of the slow tier's small run, committed, pushed to the git origin and to S3."""
    project = copy_project(small_run.project, tmp_path_factory.mktemp("team") / "first")
    point_remote_at(project, server.endpoint, server.keys)  # keys in .dvc/config.local, never committed
    run(["git", "remote", "add", "origin", str(origin)], project)
    run(["git", "push", "-q", "origin", "main"], project)
    dvc("push", cwd=project)
    return project


def clone(origin: Path, where: Path, server: Server) -> Path:
    run(["git", "clone", "-q", str(origin), str(where)], where.parent)
    point_remote_at(where, server.endpoint)  # the keys come from the AWS environment variables
    return where


def lock_outputs(project: Path) -> list[str]:
    outputs = []
    for stage in yaml.safe_load((project / "dvc.lock").read_text())["stages"].values():
        outputs += [out["path"] for out in stage.get("outs", [])]
    return outputs


def digests(project: Path, paths: list[str]) -> dict[str, str]:
    """sha256 of every file under `paths`, by relative path."""
    result = {}
    for path in paths:
        files = [project / path] if (project / path).is_file() else sorted((project / path).rglob("*"))
        for file in files:
            if file.is_file():
                result[file.relative_to(project).as_posix()] = hashlib.sha256(file.read_bytes()).hexdigest()
    return result


def test_pull_in_a_clone_gives_byte_identical_outputs_and_a_clean_status(pushed, origin, server, tmp_path):
    second = clone(origin, tmp_path / "second", server)
    dvc("pull", cwd=second, env=server.env())
    assert "Data and pipelines are up to date" in dvc("status", "dvc.yaml", cwd=second).stdout
    outputs = lock_outputs(pushed)
    first_files, second_files = digests(pushed, outputs), digests(second, outputs)
    assert any(name.startswith("data/04_embeddings/") for name in first_files)
    assert any(name.startswith("models/") for name in first_files)
    assert second_files == first_files
    assert "are in sync" in dvc("status", "--cloud", cwd=second, env=server.env()).stdout


def test_experiment_pushed_through_git_and_s3_is_pulled_with_its_metrics(pushed, origin, server, tmp_path):
    dvc("exp", "run", "-S", "kmeans.n_clusters=10", cwd=pushed)
    experiments = dvc("exp", "list", "--name-only", cwd=pushed).stdout.split()
    assert len(experiments) == 1, experiments
    exp = experiments[0]
    metrics = json.loads((pushed / "metrics" / "metrics.json").read_text())
    sizes = json.loads((pushed / "metrics" / "cluster_sizes.json").read_text())
    assert len(sizes) == 10  # keyed by topic id: ids the accepted topics do not hold are new numbers
    dvc("exp", "push", "origin", exp, cwd=pushed)

    second = clone(origin, tmp_path / "second", server)
    assert dvc("exp", "list", "--name-only", "origin", cwd=second).stdout.split() == [exp]
    dvc("exp", "pull", "origin", exp, cwd=second, env=server.env())
    shown = json.loads(dvc("exp", "show", "--json", cwd=second).stdout)
    runs = [rev for baseline in shown for experiment in (baseline.get("experiments") or [])
            for rev in experiment.get("revs", [])]
    pulled = next(rev for rev in runs if rev.get("name") == exp)
    pulled_metrics = pulled["data"]["metrics"]["metrics/metrics.json"]["data"]
    assert pulled_metrics["evaluation"]["macro_f1"] == metrics["evaluation"]["macro_f1"]
    assert pulled["data"]["params"]["params.yaml"]["data"]["kmeans"]["n_clusters"] == 10
    dvc("exp", "apply", exp, cwd=second, env=server.env())
    dvc("checkout", cwd=second, env=server.env())
    assert json.loads((second / "metrics" / "cluster_sizes.json").read_text()) == sizes
    assert (second / "models" / "classifier.npz").is_file()


def test_wrong_credentials_fail_clearly_and_delete_nothing(pushed, origin, server, tmp_path):
    second = clone(origin, tmp_path / "second", server)
    dvc("pull", cwd=second, env=server.env())
    (second / "extra.txt").write_text("new data to share\n")
    dvc("add", "extra.txt", cwd=second)
    before = digests(second, ["data", "models", "extra.txt", ".dvc/cache"])
    result = dvc("push", cwd=second, check=False, timeout=120,
                 env=server.env(AWS_SECRET_ACCESS_KEY="wrong" + server.keys["secret_access_key"][5:]))
    assert result.returncode != 0
    assert re.search(r"ERROR: .*(push|storage|remote|credential|Forbidden|Access|Signature)", result.stderr,
                     re.IGNORECASE), result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert digests(second, ["data", "models", "extra.txt", ".dvc/cache"]) == before


def test_a_server_that_is_down_fails_in_bounded_time(pushed, server, tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    project = tmp_path / "down"
    shutil.copytree(pushed, project, ignore=shutil.ignore_patterns(".dvc/tmp"))
    point_remote_at(project, f"http://127.0.0.1:{closed}")
    (project / "extra.txt").write_text("more\n")
    dvc("add", "extra.txt", cwd=project)
    start = time.monotonic()
    result = dvc("push", cwd=project, check=False, timeout=180)
    elapsed = time.monotonic() - start
    assert result.returncode != 0 and elapsed < 90, elapsed
    assert re.search(r"ERROR: .*(connect|endpoint|unable|failed)", result.stderr, re.IGNORECASE), result.stderr[-2000:]
    assert "Traceback" not in result.stderr


def test_server_lost_mid_push_then_restarted_push_completes_and_a_fresh_pull_verifies(pushed, origin, server,
                                                                                       tmp_path):
    big = pushed / "data" / "shared_blob.bin"
    big.write_bytes(os.urandom(160 * 1024 * 1024))
    for index in range(40):  # many files too, so the push is under way across many requests
        (pushed / "data" / "shared_many").mkdir(exist_ok=True)
        (pushed / "data" / "shared_many" / f"{index}.bin").write_bytes(os.urandom(256 * 1024))
    dvc("add", "data/shared_blob.bin", "data/shared_many", cwd=pushed)
    run(["git", "add", "-A"], pushed)
    run(["git", "commit", "-qm", "big data"], pushed)
    run(["git", "push", "-q", "origin", "main"], pushed)

    push = subprocess.Popen([sys.executable, "-m", "dvc", "push", "-j", "2"], cwd=pushed, env=command_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    assert push.poll() is None, "the push ended before the server could be stopped: make the data larger"
    server.script("stop")
    _, stderr = push.communicate(timeout=300)
    assert push.returncode != 0 and "Traceback" not in stderr

    server.script("start")
    dvc("push", cwd=pushed)
    fresh = clone(origin, tmp_path / "fresh", server)
    dvc("pull", cwd=fresh, env=server.env())
    names = ["data/shared_blob.bin", "data/shared_many"] + lock_outputs(pushed)
    assert digests(fresh, names) == digests(pushed, names)
