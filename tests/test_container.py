"""The container: the Dockerfile passes hadolint, the build context holds the project and no secret, and the image's
entrypoint runs the pipeline outside Docker with the image's environment (no Docker engine runs here)."""

import csv
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.dvc_project import SMALL_RUN_PARAMS, command_env, output_hashes, project_files, run

DOCKERFILE = REPO / "Dockerfile"
ENTRYPOINT = "scripts/docker-entrypoint.sh"
HADOLINT = Path(sys.executable).parent / "hadolint"


def hadolint(path: Path) -> subprocess.CompletedProcess:
    assert HADOLINT.is_file(), f"{HADOLINT} is missing: run `bash scripts/setup.sh` (requirements-dev.txt)"
    return subprocess.run([str(HADOLINT), "--no-color", str(path)], capture_output=True, text=True, timeout=60)


def test_dockerfile_passes_hadolint():
    result = hadolint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_hadolint_flags_what_our_dockerfile_avoids(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y git\nRUN pip install torch\n"
                   "COPY . /app\nRUN cd /app && python -m pip install -e .\n")
    result = hadolint(bad)
    assert result.returncode != 0
    for rule in ("DL3007", "DL3015", "DL3013", "DL3003"):  # :latest, recommends, unpinned pip, cd
        assert rule in result.stdout, result.stdout


def dockerignore_rules() -> list[tuple[bool, re.Pattern]]:
    """(excludes, pattern) per line of .dockerignore, with Docker's meaning: `*` stays within a path segment, `**`
    spans any number of them, a pattern also covers everything below what it matches, and the last match wins."""
    rules = []
    for line in (REPO / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        excludes = not line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = ""
        for part in re.split(r"(\*\*/|\*\*|\*|\?)", pattern):
            regex += {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(part, re.escape(part))
        rules.append((excludes, re.compile(f"{regex}(?:/.*)?")))
    return rules


def in_build_context(name: str, rules=None) -> bool:
    included = True
    for excludes, pattern in rules or dockerignore_rules():
        if pattern.fullmatch(name):
            included = not excludes
    return included


def build_context() -> list[str]:
    """The project files that `COPY . .` puts into /app."""
    rules = dockerignore_rules()
    return [name for name in project_files() if in_build_context(name, rules)]


def test_build_context_holds_the_project_and_no_secret_or_data():
    context = set(build_context())
    for name in ("dvc.yaml", "dvc.lock", "params.yaml", "requirements.txt", "pyproject.toml", ".dvc/config",
                 "stages/featurize.py", "src/tweet_topics/serving/router.py", ENTRYPOINT, "score/dvc.yaml",
                 "labelled/dvc.yaml", "data/00_raw/.gitkeep", "data/sample/twcs_sample.csv.xz",
                 "data/labelled/clinc150/test.csv.xz"):
        assert name in context, name
    assert not any(name.startswith(("tests/", "bench/", "research/", ".github/")) for name in context)
    for name in (".dvc/config.local", ".s3_local/credentials.json", ".git/config", ".venv/bin/python",
                 "data/00_raw/twcs.csv", "data/04_embeddings/discovery.npy", "models/classifier.npz",
                 "metrics/metrics.json", ".dvc/cache/files/md5/00/11", "src/tweet_topics/__pycache__/x.pyc"):
        assert not in_build_context(name), name


def dockerfile_env() -> dict[str, str]:
    """The ENV instructions of the Dockerfile, in order, with $VAR expanded as Docker does at build time."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            for key, value in re.findall(r"(\w+)=(\S+)", line[4:]):
                env[key] = re.sub(r"\$(\w+)", lambda m: env.get(m[1], f"${m[1]}"), value)
    return env


def container_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The image's environment on this machine: its paths mapped to this virtualenv and its NLTK data."""
    image_paths = {"/opt/venv": sys.prefix, "/opt/nltk_data": str(Path(sys.prefix) / "nltk_data"),
                   "/tmp/numba_cache": str(tmp / "numba_cache")}
    env = command_env()
    for key, value in dockerfile_env().items():
        for image_path, local_path in image_paths.items():
            value = value.replace(image_path, local_path)
        env[key] = value.replace("$PATH", os.environ["PATH"])
    assert Path(env["NLTK_DATA"]).is_dir(), env["NLTK_DATA"]
    return {**env, **extra}


def test_dockerfile_env_is_read_as_docker_reads_it(tmp_path):
    env = dockerfile_env()
    assert env["PATH"].startswith("/opt/venv/bin:")
    assert env["HF_HUB_OFFLINE"] == "1" and env["NLTK_DATA"] == "/opt/nltk_data"
    assert container_env(tmp_path)["PATH"].startswith(f"{sys.prefix}/bin:")


def image_copy(root: Path) -> Path:
    """What the image holds at /app: the build context, with no git repository."""
    for name in build_context():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, root / name)
    assert not (root / ".git").exists()
    return root


def digests(root: Path, folder: str) -> dict[str, str]:
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted((root / folder).rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def entrypoint_run(tmp_path_factory, server):
    """`docker run IMAGE` outside Docker: the entrypoint's default command, with push, in a copy of the image's /app
    with the small run's params (dvc_project.SMALL_RUN_PARAMS); the project, the remote's settings and its stderr."""
    tmp_path = tmp_path_factory.mktemp("container")
    app = image_copy(tmp_path / "app")  # the image runs its embedded sample (the default ingest.source)
    params = yaml.safe_load((app / "params.yaml").read_text())
    for section, keys in SMALL_RUN_PARAMS.items():
        params[section].update(keys)
    (app / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    remote = {"DVC_REMOTE_URL": "s3://tweet-topics/container", "DVC_REMOTE_ENDPOINT": server.endpoint,
              "AWS_ACCESS_KEY_ID": server.keys["access_key_id"],
              "AWS_SECRET_ACCESS_KEY": server.keys["secret_access_key"]}
    result = run([str(app / ENTRYPOINT)], app, timeout=1200,
                 env=container_env(tmp_path, **remote, TWEET_TOPICS_PUSH="1"))
    return app, remote, result


@pytest.mark.slow
def test_entrypoint_runs_the_pipeline_pushes_it_and_routes_messages(entrypoint_run, tmp_path):
    app, remote, result = entrypoint_run
    assert "entrypoint: dvc push" in result.stderr
    assert "evaluation.macro_f1" in result.stdout or "macro_f1" in result.stdout, result.stdout
    assert (app / "models" / "manifest.json").is_file()
    assert not (app / ".git").exists()
    assert "no_scm = true" in (app / ".dvc" / "config.local").read_text()
    status = run([sys.executable, "-m", "dvc", "status", "dvc.yaml"], app, env=container_env(tmp_path))
    assert "Data and pipelines are up to date" in status.stdout, status.stdout

    # docker run IMAGE tweet-topics predict ...: a given command, in the project
    messages = app / "data" / "new" / "messages.csv"
    messages.write_text("text\nmy card was charged twice\nwhere is my parcel\nthe app keeps crashing\n")
    routed = tmp_path / "routed.csv"
    run([str(app / ENTRYPOINT), "tweet-topics", "predict", "data/new/messages.csv", "-o", str(routed)], app,
        env=container_env(tmp_path))
    rows = list(csv.DictReader(routed.open()))
    topics = {topic["topic"] for topic in yaml.safe_load((app / "models" / "topics.json").read_text())["topics"]}
    assert len(rows) == 3 and all(int(row["topic_id"]) in topics for row in rows), rows

    # another container on fresh volumes, with the same dvc.lock, pulls exactly what the first one pushed
    fresh = image_copy(tmp_path / "fresh")
    shutil.copy2(app / "dvc.lock", fresh / "dvc.lock")
    shutil.copy2(app / "params.yaml", fresh / "params.yaml")
    run([str(fresh / ENTRYPOINT), "dvc", "pull"], fresh, env=container_env(tmp_path, **remote))
    for folder in ("models", "data/04_embeddings", "data/06_clustered"):
        assert digests(fresh, folder) == digests(app, folder) != {}, folder


@pytest.mark.slow
def test_two_runs_from_scratch_in_two_places_give_identical_outputs(entrypoint_run, small_run):
    """Determinism: the container's run and the slow tier's small run, each from scratch in a copy of its own (one
    with git, one without), with the same params, give byte-identical outputs: every stage's, models and reports."""
    app, _, _ = entrypoint_run
    container, small = output_hashes(app), output_hashes(small_run.project)
    assert len(small) >= 20
    assert container == small


def test_the_image_exposes_the_service_port():
    assert re.search(r"^EXPOSE 8000$", DOCKERFILE.read_text(), re.MULTILINE)


@pytest.mark.slow
def test_entrypoint_serve_runs_the_service_on_every_interface_without_dvc(tmp_path):
    """`docker run IMAGE serve`: the entrypoint execs `tweet-topics serve --host 0.0.0.0 --port 8000`. The test never
    listens beyond loopback: it holds the port on 127.0.0.1, so the service's bind to 0.0.0.0 fails at once, and
    that one line names the address it tried, before the models are read and without touching DVC."""
    app = image_copy(tmp_path / "app")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run([str(app / ENTRYPOINT), "serve"], app, check=False, timeout=120,
                     env=container_env(tmp_path, TWEET_TOPICS_PORT=str(port)))
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (f"error: cannot listen on 0.0.0.0:{port} (Address already in use): pick another"
                                     " port with --port, or stop what holds it")
    assert not (app / ".dvc" / "config.local").exists()  # no `dvc config`: serve needs no DVC

    # the address comes from the environment, and arguments after `serve` reach the command (here --models)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    result = run([str(app / ENTRYPOINT), "serve", "--models", "nowhere"], app, check=False, timeout=120,
                 env=container_env(tmp_path, TWEET_TOPICS_HOST="127.0.0.1", TWEET_TOPICS_PORT=str(port)))
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: nowhere/manifest.json not found: run `dvc repro`"), result.stderr
