from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
TWCS_SAMPLE = SHARED_DATA / "twcs_sample.csv"


@pytest.fixture(scope="session")
def twcs_sample() -> Path:
    if not TWCS_SAMPLE.is_file():
        pytest.skip(f"{TWCS_SAMPLE} is absent (the shared data folder must sit beside the repository)")
    return TWCS_SAMPLE


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real S3 server (SeaweedFS) of the test module's own, stopped when the module is done."""
    from tests.s3_server import Server, free_port_block

    server = Server(tmp_path_factory.mktemp("s3") / "server", free_port_block())
    server.script("start")
    yield server
    server.script("stop")
