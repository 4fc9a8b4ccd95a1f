"""featurize.backend: onnx-int8, against the torch vectors of the same model on real tweets."""

import numpy as np
import pytest

from tweet_topics.encoding.embed import embed_texts, embedding_recipe
from tweet_topics.encoding.identity import describe_encoder
from tweet_topics.encoding.onnx_encoder import OnnxInt8Encoder
from tweet_topics.encoding.weights import load_encoder
from tweet_topics.errors import UserError

MODEL = "sentence-transformers/all-MiniLM-L6-v2"


@pytest.fixture(scope="module")
def tweets(twcs_sample) -> list[str]:
    import pandas as pd

    raw = pd.read_csv(twcs_sample, dtype=str, keep_default_na=False, nrows=1000)
    texts = raw.loc[raw["inbound"] == "True", "text"].head(200).tolist()
    assert len(texts) == 200
    return texts


@pytest.fixture(scope="module")
def int8():
    return load_encoder(MODEL, "auto", "onnx-int8")


@pytest.fixture(scope="module")
def int8_vectors(int8, tweets) -> np.ndarray:
    return embed_texts(int8, tweets, batch_size=16)


def test_int8_vectors_are_within_the_cosine_bound_of_torch_on_200_real_tweets(int8_vectors, tweets):
    torch_vectors = embed_texts(load_encoder(MODEL, "cpu"), tweets, batch_size=16)
    cosine = (int8_vectors * torch_vectors).sum(axis=1)  # both unit length
    np.testing.assert_allclose(np.linalg.norm(int8_vectors, axis=1), 1, atol=1e-5)
    assert cosine.mean() >= 0.98, cosine.mean()
    assert cosine.min() >= 0.9, cosine.min()
    assert cosine.mean() < 0.9999  # int8 really ran: the vectors are close to torch's, not torch's


def test_an_int8_vector_depends_on_its_text_alone(int8, int8_vectors, tweets):
    """Alone, reversed or beside a newcomer, and loaded again: the same bits, as the cache needs."""
    assert np.array_equal(embed_texts(int8, tweets[::-1], batch_size=16)[::-1], int8_vectors)
    assert np.array_equal(embed_texts(int8, tweets[:37] + ["a newcomer"], batch_size=16)[:37], int8_vectors[:37])
    alone = np.stack([embed_texts(int8, [text], batch_size=16)[0] for text in tweets[:10]])
    assert np.array_equal(alone, int8_vectors[:10])
    again = load_encoder(MODEL, "cpu", "onnx-int8")
    assert np.array_equal(embed_texts(again, tweets[:50], batch_size=16), int8_vectors[:50])


def test_the_int8_model_is_exported_once_and_loaded_from_the_cache_at_the_next_start(int8_vectors, tweets,
                                                                                     monkeypatch, tmp_path):
    """A fresh export gives the same bits (so a machine without the cache agrees); the next load reads the kept
    model and exports nothing."""
    import tweet_topics.encoding.onnx_encoder as onnx_encoder

    monkeypatch.setenv(onnx_encoder.CACHE_ENV, str(tmp_path / "cache"))
    exported = load_encoder(MODEL, "cpu", "onnx-int8")
    assert exported.model_path.parent == tmp_path / "cache" and list((tmp_path / "cache").iterdir()) == [
        exported.model_path]
    assert np.array_equal(embed_texts(exported, tweets[:50], batch_size=16), int8_vectors[:50])

    def no_export(source):
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_encoder, "_int8_model", no_export)
    kept = load_encoder(MODEL, "cpu", "onnx-int8")
    assert kept.model_path == exported.model_path
    assert np.array_equal(embed_texts(kept, tweets[:50], batch_size=16), int8_vectors[:50])


def test_the_cache_key_changes_with_the_weights_and_the_versions(int8, monkeypatch):
    import onnxruntime

    from tweet_topics.encoding.onnx_encoder import export_key

    key = export_key(int8.source)
    monkeypatch.setattr(onnxruntime, "__version__", "0.0.1")
    assert export_key(int8.source) != key
    monkeypatch.undo()
    monkeypatch.setattr(int8.source, "loaded_fingerprint", "0" * 64, raising=False)
    assert export_key(int8.source) != key


def test_int8_and_torch_share_the_fingerprint_but_not_the_recipe(int8):
    torch_encoder = int8.source
    assert describe_encoder(MODEL, int8) == describe_encoder(MODEL, torch_encoder)
    ours = embedding_recipe(describe_encoder(MODEL, int8), int8, 16)
    theirs = embedding_recipe(describe_encoder(MODEL, torch_encoder), torch_encoder, 16)
    assert ours["backend"].startswith("onnxruntime ") and "int8" in ours["backend"]
    assert theirs["backend"].startswith("torch ")
    assert ours["batch_size"] == 1  # one text per run, whatever featurize.batch_size says


def test_int8_on_a_gpu_device_is_a_clear_error():
    with pytest.raises(UserError, match=r"featurize.backend onnx-int8 runs on the CPU, and featurize.device is"
                                        r" 'cuda': set featurize.device to cpu or auto"):
        load_encoder(MODEL, "cuda", "onnx-int8")


def test_a_model_without_mean_pooling_is_a_clear_error(int8):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import Pooling

    transformer = int8.source[0]
    cls_pooling = SentenceTransformer(modules=[transformer, Pooling(384, pooling_mode="cls")], device="cpu")
    with pytest.raises(UserError, match=r"runs Transformer \+ mean Pooling \(\+ Normalize\) models, and this one"
                                        r" is Transformer \+ Pooling \(pooling cls\): use featurize.backend: torch"):
        OnnxInt8Encoder(cls_pooling)


def test_predict_embeds_with_the_backend_its_models_were_trained_with(int8, int8_vectors, tweets):
    """A manifest that records featurize.backend onnx-int8 gives predict the int8 encoder, and the same vectors."""
    from tweet_topics.encoding.spec import EncoderSpec
    from tweet_topics.params import validate_section
    from tweet_topics.serving.router import Router, TrainedTopics

    featurize = {"model": MODEL, "text_view": "embedding", "batch_size": 16, "device": "auto", "backend": "onnx-int8"}
    manifest = {"embedding_model": describe_encoder(MODEL, int8),
                "encoder": EncoderSpec.from_params(validate_section(
                    "featurize", {**featurize, "dtype": "auto", "engine": "local"})).resolved().record(),
                "params": {"preprocess": {"language": "english"}, "featurize": featurize}}
    router = Router.load(None, "auto", topics=TrainedTopics(manifest, None, None, [], []))
    assert isinstance(router.messages.encoder.model, OnnxInt8Encoder)
    assert np.array_equal(router.messages.encoder.embed(tweets[:20]), int8_vectors[:20])
