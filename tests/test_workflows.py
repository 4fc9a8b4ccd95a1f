"""The GitHub workflows: actionlint passes them (and catches a broken one), CI runs what .ci/run runs, and the
retrain workflow's steps do what docs/CI_CD_CT.md says, its shell logic run here with a recording `dvc`."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

WORKFLOWS = REPO / ".github" / "workflows"
ACTIONLINT = REPO / "scripts" / "actionlint.py"


def actionlint(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ACTIONLINT), *map(str, paths)], capture_output=True, text=True,
                          timeout=180)


def workflow(name: str) -> dict:
    loaded = yaml.safe_load((WORKFLOWS / name).read_text())
    loaded["on"] = loaded.pop(True)  # YAML 1.1 reads the key `on` as true
    return loaded


def steps(job: dict) -> list[dict]:
    return job["steps"]


def step(job: dict, name: str) -> dict:
    matches = [s for s in steps(job) if s.get("name") == name]
    assert len(matches) == 1, f"no single step named {name!r}"
    return matches[0]


def test_workflows_pass_actionlint():
    result = actionlint()
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_actionlint_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    timeout-minute: 5\n    steps:\n"
                      "      - run: echo ${{ matrix.python }}\n      - uses: actions/checkout@v4\n")
    result = actionlint(broken)
    assert result.returncode == 1
    assert 'property "python" is not defined' in result.stdout, result.stdout
    assert 'unexpected key "timeout-minute"' in result.stdout, result.stdout


def test_actionlint_without_the_file_says_so(tmp_path):
    result = actionlint(tmp_path / "absent.yml")
    assert result.returncode == 2
    assert result.stderr.strip() == f"actionlint: no such file: {tmp_path / 'absent.yml'}"


def test_ci_lints_and_runs_the_readme_tests_with_a_pip_cache():
    ci = workflow("ci.yml")
    assert set(ci["on"]) == {"push", "pull_request"}
    runs = [s.get("run", "") for job in ci["jobs"].values() for s in steps(job)]
    for command in ("ruff check .", "hadolint Dockerfile", "python scripts/actionlint.py", "bash .ci/run"):
        assert any(command in run for run in runs), command
    for job in ("lint", "test"):
        setup = [s for s in steps(ci["jobs"][job]) if s.get("uses", "").startswith("actions/setup-python")]
        assert setup and setup[0]["with"]["cache"] == "pip", job
    assert "docker build" in " ".join(runs)


def test_retrain_is_manual_with_inputs_and_scheduled():
    retrain = workflow("retrain.yml")
    inputs = retrain["on"]["workflow_dispatch"]["inputs"]
    assert {"n_clusters", "log_level"} <= set(inputs)
    assert inputs["log_level"]["type"] == "choice"
    assert retrain["on"]["schedule"][0]["cron"]


def test_retrain_pulls_reruns_pushes_reports_builds_and_uploads_in_order():
    job = workflow("retrain.yml")["jobs"]["retrain"]
    order = [s.get("name") for s in steps(job)]
    expected = ["Set up", "Pull what the remote has", "Retrain", "Metrics diff into the job summary",
                "Push the outputs to the S3 remote", "Build the image for this run",
                "Upload metrics, report and models"]
    positions = [order.index(name) for name in expected]
    assert positions == sorted(positions), order
    assert "dvc pull" in step(job, "Pull what the remote has")["run"]
    summary = step(job, "Metrics diff into the job summary")["run"]
    assert "dvc metrics diff --md" in summary and '>> "$GITHUB_STEP_SUMMARY"' in summary
    assert step(job, "Push the outputs to the S3 remote")["run"] == "dvc push"
    assert "${GITHUB_RUN_ID}" in step(job, "Build the image for this run")["run"]
    uploaded = step(job, "Upload metrics, report and models")["with"]["path"].split()
    assert {"metrics/", "reports/", "models/"} <= set(uploaded)
    # the keys come from secrets, never from the file, and only the steps that talk to the bucket see them
    assert not any("KEY" in name for name in job["env"])
    for name in ("Pull what the remote has", "Push the outputs to the S3 remote"):
        assert step(job, name)["env"]["AWS_SECRET_ACCESS_KEY"] == "${{ secrets.AWS_SECRET_ACCESS_KEY }}"
    assert "env" not in step(job, "Set up")


def test_retrain_lists_the_topic_changes_in_the_pull_request():
    job = workflow("retrain.yml")["jobs"]["retrain"]
    names = [entry.get("name") for entry in job["steps"]]
    changes = names.index("Topic changes into the job summary (and so into the pull request)")
    assert changes < names.index("Propose the retrained pipeline as a pull request")
    assert "tweet-topics topics changes" in job["steps"][changes]["run"]
    assert '--body-file "$GITHUB_STEP_SUMMARY"' in step(job, "Propose the retrained pipeline as a pull request")["run"]


@pytest.mark.parametrize(("n_clusters", "log_level", "raw_url", "expected"), [
    ("", "info", "", "repro"),
    ("", "quiet", "", "repro -q"),
    ("10", "info", "", "exp run -S kmeans.n_clusters=10"),
    ("12", "verbose", "", "exp run -v -S kmeans.n_clusters=12"),
    ("", "info", "s3://b/x.csv", "exp run -S ingest.source=file -S ingest.raw_path=data/00_raw/twcs.csv"),
    ("9", "info", "s3://b/x.csv",
     "exp run -S ingest.source=file -S ingest.raw_path=data/00_raw/twcs.csv -S kmeans.n_clusters=9"),
])
def test_retrain_step_runs_the_dvc_command_its_inputs_ask_for(tmp_path, n_clusters, log_level, raw_url, expected):
    result = run_retrain_step(tmp_path, n_clusters, log_level, raw_url)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "dvc.args").read_text().strip() == expected


def test_retrain_step_refuses_an_n_clusters_that_is_not_a_number(tmp_path):
    result = run_retrain_step(tmp_path, "10; rm -rf ~", "info")
    assert result.returncode == 2
    assert "::error::n_clusters must be a whole number, got '10; rm -rf ~'" in result.stdout
    assert not (tmp_path / "dvc.args").exists()


def run_retrain_step(tmp_path: Path, n_clusters: str, log_level: str, raw_url: str = "") -> subprocess.CompletedProcess:
    """The Retrain step's script, as the runner runs it (bash -e), with a `dvc` that records its arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    recorder = bin_dir / "dvc"
    recorder.write_text(f'#!/bin/sh\necho "$*" > {tmp_path / "dvc.args"}\n')
    recorder.chmod(0o755)
    script = step(workflow("retrain.yml")["jobs"]["retrain"], "Retrain")["run"]
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "N_CLUSTERS": n_clusters, "LOG_LEVEL": log_level, "RAW_URL": raw_url}
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], env=env,
                          capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("changed", [False, True])
def test_retrain_proposes_a_pull_request_only_when_something_changed(tmp_path, changed):
    """The last step, run in a real git repo with a bare origin, with a `gh` that records its arguments."""
    origin, repo, bin_dir = tmp_path / "origin.git", tmp_path / "repo", tmp_path / "bin"
    git = ["git", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q", "--bare", str(origin)], check=True)
    subprocess.run([*git, "init", "-q", str(repo)], check=True)
    (repo / "metrics").mkdir()
    for name in ("dvc.lock", "params.yaml", "metrics/metrics.json"):
        (repo / name).write_text("before\n")
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "GITHUB_RUN_ID": "4242",
           "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), "N_CLUSTERS": "10",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for command in (["add", "-A"], ["commit", "-qm", "base"], ["remote", "add", "origin", str(origin)]):
        subprocess.run(["git", *command], cwd=repo, env=env, check=True)
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(f'#!/bin/sh\necho "$*" > {tmp_path / "gh.args"}\n')
    (bin_dir / "gh").chmod(0o755)
    (tmp_path / "summary.md").write_text("## Metrics\n")
    if changed:
        (repo / "metrics" / "metrics.json").write_text("after\n")

    script = step(workflow("retrain.yml")["jobs"]["retrain"], "Propose the retrained pipeline as a pull request")
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script["run"]], cwd=repo,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    branches = subprocess.run(["git", "branch", "--list", "retrain/*"], cwd=origin, capture_output=True,
                              text=True).stdout
    if changed:
        assert "retrain/4242" in branches
        assert (tmp_path / "gh.args").read_text().startswith("pr create --head retrain/4242")
    else:
        assert branches == "" and not (tmp_path / "gh.args").exists()
        assert "Nothing changed" in (tmp_path / "summary.md").read_text()
