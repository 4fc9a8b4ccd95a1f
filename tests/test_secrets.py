"""No credential is ever committed: remote keys live in .dvc/config.local or the AWS environment variables."""

import re
import subprocess

import pytest

from tests.conftest import REPO

# what a leaked secret looks like in a text file
SECRET_PATTERNS = {
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA)[0-9A-Z]{16}\b"),
    "key assignment": re.compile(
        r"(?im)^\s*(?:aws_)?(?:secret_access_key|access_key_id|session_token)\s*[=:]\s*['\"]?[A-Za-z0-9/+]{16,}"),
    "AWS secret in an env line": re.compile(r"(?m)AWS_SECRET_ACCESS_KEY\s*[=:]\s*['\"]?[A-Za-z0-9/+]{30,}"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "Kaggle key": re.compile(r"\"key\"\s*:\s*\"[0-9a-f]{32}\""),
}


def committed_files() -> list[str]:
    return subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()


def leaks(text: str) -> list[str]:
    return [name for name, pattern in SECRET_PATTERNS.items() if pattern.search(text)]


def test_no_committed_file_holds_a_credential():
    found = {}
    for name in committed_files():
        path = REPO / name
        if not path.is_file() or path.stat().st_size > 5_000_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if leaks(text):
            found[name] = leaks(text)
    assert found == {}


# built from pieces, so that this file does not hold what the scan looks for
@pytest.mark.parametrize("text", [
    "['remote \"storage\"']\n    access_key" + "_id = LOCAL0123456789ABCDEF\n",
    "    secret_access" + "_key = 2f5a8396b4179cf91a45c89f63e9aa18460a3c1e\n",
    "export AWS_SECRET_ACCESS" + "_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    "key: AKIA" + "IOSFODNN7EXAMPLE\n",
    '{"username": "someone", "key"' + ': "0123456789abcdef0123456789abcdef"}',
])
def test_the_scan_recognises_a_leaked_credential(text):
    assert leaks(text)


def test_the_remote_is_declared_without_keys_and_local_settings_stay_out_of_git():
    config = (REPO / ".dvc" / "config").read_text()
    assert "remote = storage" in config and "url = s3://" in config
    assert not leaks(config) and "endpointurl" not in config
    for private in (".dvc/config.local", ".s3_local/credentials.json"):
        assert subprocess.run(["git", "check-ignore", "-q", private], cwd=REPO).returncode == 0, private
