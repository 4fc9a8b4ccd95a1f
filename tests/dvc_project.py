"""A throwaway git + DVC copy of this project, and helpers to run git, DVC and the package's command in it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import REPO

OUTPUT_DIRS = ("data/", "models/", "metrics/", "reports/")
# the small run the slow tier's end-to-end tests share (tests/conftest.py: small_run): the sample's first 600
# customer tweets, 6 topics, a sweep of two k
SMALL_RUN_PARAMS = {"ingest": {"max_inbound": 600}, "kmeans": {"n_clusters": 6}, "sweep": {"k_values": [4, 6]}}


def command_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "DVC_NO_ANALYTICS": "1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.com",
            "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.com", **extra}


def run(args: list[str], cwd: Path, check: bool = True, timeout: float = 900,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=cwd, env=env or command_env(), capture_output=True, text=True,
                            timeout=timeout)
    if check:
        assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def dvc(*args: str, cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "dvc", *args], cwd, **kwargs)


def project_files() -> list[str]:
    """The committed files, and new files not yet committed except pipeline outputs of this working tree."""
    def git_files(*args: str) -> list[str]:
        return subprocess.run(["git", "ls-files", *args], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.splitlines()

    new = [name for name in git_files("--others", "--exclude-standard") if not name.startswith(OUTPUT_DIRS)]
    return [name for name in git_files("--cached") + new if (REPO / name).is_file()]


def make_project(root: Path, params: dict[str, dict]) -> Path:
    """Copy the project to `root`, override `params` (section -> keys), and commit it to a new git repo."""
    for name in project_files():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, root / name)
    values = yaml.safe_load((root / "params.yaml").read_text())
    for section, keys in params.items():
        values[section].update(keys)
    (root / "params.yaml").write_text(yaml.safe_dump(values, sort_keys=False))
    run(["git", "init", "-q", "-b", "main"], root)
    run(["git", "add", "-A"], root)
    run(["git", "commit", "-qm", "project"], root)
    return root


def copy_project(project: Path, root: Path) -> Path:
    """A private copy of a project that has run (its git history, DVC cache and outputs), for a test to change."""
    shutil.copytree(project, root, symlinks=True, ignore=shutil.ignore_patterns("tmp"))
    return root


def output_hashes(project: Path) -> dict[str, str]:
    """Every output's md5 in the project's dvc.lock (the timings, which always differ, are not outputs)."""
    return {f"{name}:{out['path']}": out["md5"]
            for name, stage in yaml.safe_load((project / "dvc.lock").read_text())["stages"].items()
            for out in stage.get("outs", [])}
