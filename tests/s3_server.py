"""A real S3 server (SeaweedFS via scripts/s3_local.py) on free loopback ports, for the tests that push and pull."""

import json
import socket
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.dvc_project import command_env, run

S3_LOCAL = REPO / "scripts" / "s3_local.py"
BUCKET = "tweet-topics"  # created by scripts/s3_local.py start


def free_port_block() -> int:
    """An S3 port P with P..P+3 and their gRPC ports (+10000) free on 127.0.0.1."""
    for port in range(21000, 29000, 17):
        try:
            for candidate in [port + offset + grpc for offset in range(4) for grpc in (0, 10000)]:
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", candidate))
            return port
        except OSError:
            continue
    pytest.skip("no free block of ports for the S3 server")


class Server:
    def __init__(self, directory: Path, port: int) -> None:
        self.directory, self.port = directory, port

    def script(self, action: str, check: bool = True):
        return run([sys.executable, str(S3_LOCAL), action, "--dir", str(self.directory), "--port", str(self.port)],
                   REPO, check=check, timeout=120)

    @property
    def keys(self) -> dict:
        return json.loads((self.directory / "credentials.json").read_text())

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, **override: str) -> dict[str, str]:
        """The AWS environment variables a CI job would set (here for the clones)."""
        keys = {"AWS_ACCESS_KEY_ID": self.keys["access_key_id"],
                "AWS_SECRET_ACCESS_KEY": self.keys["secret_access_key"]}
        return command_env(**{**keys, **override})



def forget_clients() -> None:
    """fsspec keeps one S3 client per set of arguments, made with the environment of its time."""
    from s3fs import S3FileSystem

    S3FileSystem.clear_instance_cache()


def upload(url: str, content: bytes) -> str:
    import fsspec

    filesystem, path = fsspec.core.url_to_fs(url)
    with filesystem.open(path, "wb") as handle:
        handle.write(content)
    filesystem.invalidate_cache()
    return url
