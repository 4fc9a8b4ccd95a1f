from pathlib import Path

import numpy as np
import pytest

from tweet_topics.embed import embed_texts, embed_to_npy, load_encoder, resolve_model
from tweet_topics.errors import UserError

TEXTS = ["my card was charged twice", "the app crashes when I log in", "where is my parcel", "thanks!", ""] * 3


@pytest.fixture(scope="module")
def encoder():
    return load_encoder("sentence-transformers/all-MiniLM-L6-v2", "cpu")


def test_default_model_resolves_to_packaged_weights():
    path = Path(resolve_model("sentence-transformers/all-MiniLM-L6-v2"))
    assert path.is_dir() and (path / "config.json").is_file()
    assert resolve_model(str(path)) == str(path)


def test_unreachable_model_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(UserError, match=r"featurize.model 'no-such-org/no-such-model' could not be loaded"):
        load_encoder("no-such-org/no-such-model", "cpu")


def test_chunked_npy_equals_one_shot_encoding(encoder, tmp_path):
    embed_to_npy(encoder, TEXTS, tmp_path / "e.npy", batch_size=4, chunk_size=4, show_progress=False)
    chunked = np.load(tmp_path / "e.npy")
    assert chunked.dtype == np.float32 and chunked.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(chunked, embed_texts(encoder, TEXTS, batch_size=64), atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(chunked, axis=1), 1, atol=1e-4)
