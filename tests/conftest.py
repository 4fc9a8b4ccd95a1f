from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# the repository's own data: the tests need nothing beside the clone
TWCS_SAMPLE = REPO / "data" / "sample" / "twcs_sample.csv.xz"
CLINC150 = REPO / "data" / "labelled" / "clinc150" / "test.csv.xz"


def minilm_with_one_tensor_changed(folder: Path) -> Path:
    """A copy of the packaged all-MiniLM-L6-v2 at `folder` whose first tensor is shifted by 1e-3."""
    import shutil

    import numpy as np
    from safetensors.numpy import load_file, save_file

    from tweet_topics.encoding.encoder import resolve_model

    shutil.copytree(resolve_model("sentence-transformers/all-MiniLM-L6-v2"), folder)
    weights = load_file(folder / "model.safetensors")
    name = sorted(weights)[0]
    weights[name] = weights[name] + np.float32(1e-3)
    save_file(weights, folder / "model.safetensors")
    return folder


@pytest.fixture(scope="session", autouse=True)
def onnx_cache(tmp_path_factory):
    """The int8 models the tests export are kept in a folder of the session's, not in the user's cache."""
    with pytest.MonkeyPatch.context() as patch:
        folder = tmp_path_factory.mktemp("onnx-cache")
        patch.setenv("TWEET_TOPICS_ONNX_CACHE", str(folder))
        yield folder


@pytest.fixture(scope="session")
def twcs_sample() -> Path:
    """The committed excerpt of twcs.csv (xz; pandas and ingest read it as it is)."""
    assert TWCS_SAMPLE.is_file(), f"{TWCS_SAMPLE} is missing from the clone: `git checkout -- {TWCS_SAMPLE}`"
    return TWCS_SAMPLE


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real S3 server (SeaweedFS) of the test module's own, stopped when the module is done."""
    from tests.s3_server import Server, free_port_block

    server = Server(tmp_path_factory.mktemp("s3") / "server", free_port_block())
    server.script("start")
    yield server
    server.script("stop")
