"""The NLTK data check (tweet_topics.text.nltk_resources) and the installer's no-network fast path."""

import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import nltk
import pytest

from tweet_topics.errors import UserError
from tweet_topics.text.nltk_resources import WORDNET_FILES, require_nltk_resources

REPO = Path(__file__).resolve().parents[1]
INSTALLER = REPO / "scripts" / "install_nltk_data.py"
VENV_NLTK_DATA = Path(sys.prefix) / "nltk_data"  # where scripts/setup.sh installs the data


def private(path: Path) -> Path:
    """NLTK 3.10 ignores data that is group/world-writable, whatever the umask made it."""
    for root, _dirs, files in os.walk(path):
        os.chmod(root, 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)
    return path


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty nltk_data directory that is the only one NLTK searches."""
    root = tmp_path / "nltk_data"
    (root / "corpora").mkdir(parents=True)
    monkeypatch.setattr(nltk.data, "path", [str(root)])
    return root


@pytest.fixture(scope="session")
def installed_stopwords() -> Path:
    """The installed stopwords corpus, found before any test narrows ``nltk.data.path``."""
    return Path(str(nltk.data.find("corpora/stopwords")))


@pytest.fixture
def with_stopwords(installed_stopwords: Path, data_dir: Path) -> Path:
    """``data_dir`` holding a copy of the installed stopwords and nothing else."""
    shutil.copytree(installed_stopwords, data_dir / "corpora" / "stopwords")
    return private(data_dir)


@pytest.mark.parametrize("language", ["english", "spanish"])
def test_installed_data_passes(language: str) -> None:
    require_nltk_resources(language)


def test_installed_stopwords_are_real_lists() -> None:
    from nltk.corpus import stopwords

    assert len(stopwords.words("english")) >= 150 and "the" in stopwords.words("english")
    assert "de" in stopwords.words("spanish")


def test_missing_stopwords_names_resource_language_and_setup(data_dir: Path) -> None:
    with pytest.raises(UserError) as caught:
        require_nltk_resources("spanish")
    message = str(caught.value)
    assert "'corpora/stopwords' (spanish) not found" in message
    assert "bash scripts/setup.sh" in message
    assert "\n" not in message


def test_missing_wordnet_names_wordnet(with_stopwords: Path) -> None:
    with pytest.raises(UserError, match=r"'corpora/wordnet' not found: run `bash scripts/setup\.sh`"):
        require_nltk_resources("english")


def test_missing_wordnet_file_is_named(with_stopwords: Path) -> None:
    root = with_stopwords
    wordnet = root / "corpora" / "wordnet"
    wordnet.mkdir()
    for name in WORDNET_FILES:
        if name != "index.sense":
            (wordnet / name).write_text("00\tadj.all\t3\n")
    private(root)
    with pytest.raises(UserError, match=r"'corpora/wordnet/index\.sense' not found"):
        require_nltk_resources("english")


def test_damaged_lexnames_is_reported(with_stopwords: Path) -> None:
    root = with_stopwords
    wordnet = root / "corpora" / "wordnet"
    wordnet.mkdir()
    for name in WORDNET_FILES:
        (wordnet / name).write_text("")
    private(root)
    with pytest.raises(UserError, match=r"'corpora/wordnet/lexnames' is damaged"):
        require_nltk_resources("english")


def test_group_writable_data_is_reported_not_as_missing(with_stopwords: Path) -> None:
    root = with_stopwords
    spanish = root / "corpora" / "stopwords" / "spanish"
    spanish.chmod(spanish.stat().st_mode | stat.S_IWGRP)
    with pytest.raises(UserError, match=r"'corpora/stopwords' \(spanish\) is not readable.*chmod go-w"):
        require_nltk_resources("spanish")


def test_unknown_language_lists_the_available_ones() -> None:
    with pytest.raises(UserError) as caught:
        require_nltk_resources("klingon")
    message = str(caught.value)
    assert "unknown stopword language 'klingon'" in message
    assert "english" in message and "spanish" in message


def run_installer(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """The installer with no npm or apt-get on PATH and NLTK's downloader off: it cannot fetch anything."""
    env = {**os.environ, "PATH": "/nonexistent"}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(INSTALLER), "--download-timeout", "0", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    return result, time.monotonic() - started


def test_installer_fast_path_on_installed_data() -> None:
    first, _ = run_installer("--dir", str(VENV_NLTK_DATA))  # verifies in full unless its stamp is current
    assert first.returncode == 0, first.stdout + first.stderr
    assert "already installed" in first.stdout and "[2/4]" not in first.stdout

    again, seconds = run_installer("--dir", str(VENV_NLTK_DATA))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "unchanged since verified" in again.stdout
    assert seconds < 5, f"the fast path took {seconds:.1f}s"


@pytest.mark.slow
def test_installer_verifies_a_populated_copy_without_network(tmp_path: Path) -> None:
    """A copy has no stamp yet: the first run loads and verifies it in full (WordNet: ~10 s), offline."""
    target = tmp_path / "nltk_data"
    shutil.copytree(VENV_NLTK_DATA / "corpora", target / "corpora")
    (target / ".install_nltk_data.json").unlink(missing_ok=True)
    private(target)

    first, _ = run_installer("--dir", str(target))
    assert first.returncode == 0, first.stdout + first.stderr
    assert "already installed" in first.stdout and "english=" in first.stdout
    assert "[2/4]" not in first.stdout and "[3/4]" not in first.stdout

    again, seconds = run_installer("--dir", str(target))
    assert again.returncode == 0 and "unchanged since verified" in again.stdout
    assert seconds < 5


def test_installer_check_fails_in_one_line_on_an_empty_dir(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result, _ = run_installer("--check", "--dir", str(empty))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        line for line in result.stdout.splitlines() if line.startswith(("missing stopwords:", "missing wordnet:"))
    ]
    assert len(result.stdout.splitlines()) == 2 and "Traceback" not in result.stderr
