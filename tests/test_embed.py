from pathlib import Path

import numpy as np
import pytest

from tweet_topics.encoding.embed import embed_texts, fixed_shape_batches
from tweet_topics.encoding.tokens import TokenisedTexts, Tokeniser, starts_of
from tweet_topics.encoding.weights import load_encoder, resolve_model
from tweet_topics.errors import UserError

TEXTS = ["my card was charged twice", "the app crashes when I log in", "where is my parcel", "thanks!", ""] * 3


@pytest.fixture(scope="module")
def tweet_texts(twcs_sample) -> list[str]:
    import pandas as pd

    raw = pd.read_csv(twcs_sample, dtype=str, keep_default_na=False, nrows=400)
    return raw.loc[raw["inbound"] == "True", "text"].head(120).tolist()


@pytest.fixture(scope="module")
def encoder():
    return load_encoder("sentence-transformers/all-MiniLM-L6-v2", "cpu")


def test_default_model_resolves_to_packaged_weights():
    path = Path(resolve_model("sentence-transformers/all-MiniLM-L6-v2"))
    assert path.is_dir() and (path / "config.json").is_file()
    assert resolve_model(str(path)) == str(path)


def test_unreachable_model_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # the hub reads the variable when it is imported: once another test has imported it, only its constant counts
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    with pytest.raises(UserError, match=r"featurize.model 'no-such-org/no-such-model' could not be loaded"):
        load_encoder("no-such-org/no-such-model", "cpu")


def test_npy_through_a_memory_map_equals_one_shot_encoding_bit_for_bit(encoder, tmp_path):
    out = np.lib.format.open_memmap(tmp_path / "e.npy", mode="w+", dtype=np.float32, shape=(len(TEXTS), 384))
    embed_texts(encoder, TEXTS, batch_size=4, out=out)
    out.flush()
    del out
    streamed = np.load(tmp_path / "e.npy")
    assert streamed.dtype == np.float32 and streamed.shape == (len(TEXTS), 384)
    assert np.array_equal(streamed, embed_texts(encoder, TEXTS, batch_size=4))
    np.testing.assert_allclose(np.linalg.norm(streamed, axis=1), 1, atol=1e-4)


def test_embeddings_equal_sentence_transformers_encode(encoder, tweet_texts):
    ours = embed_texts(encoder, tweet_texts, batch_size=16)
    reference = encoder.encode(tweet_texts, batch_size=64, convert_to_numpy=True)
    np.testing.assert_allclose(ours, reference, atol=2e-6)


def test_a_vector_depends_on_its_text_alone(encoder, tweet_texts):
    """Alone, reversed, or beside other texts: the same bits (sentence-transformers' batching changed them)."""
    together = embed_texts(encoder, tweet_texts, batch_size=8)
    assert np.array_equal(embed_texts(encoder, tweet_texts[::-1], batch_size=8)[::-1], together)
    assert np.array_equal(embed_texts(encoder, tweet_texts[:37] + ["a newcomer"], batch_size=8)[:37], together[:37])
    alone = np.stack([embed_texts(encoder, [text], batch_size=8)[0] for text in tweet_texts[:12]])
    assert np.array_equal(alone, together[:12])


def tokenised(lengths: list[int], first_row: int = 0) -> TokenisedTexts:
    """Text i's tokens are 1000 * i + position, so a batch's inputs show which texts and tokens it holds."""
    lengths = np.array(lengths)
    ids = np.concatenate([1000 * (first_row + i) + np.arange(n) for i, n in enumerate(lengths)])
    return TokenisedTexts(lengths, starts_of(lengths), {"input_ids": ids, "attention_mask": np.ones_like(ids)})


def test_fixed_shape_batches_hold_one_token_count_each_and_every_row_once():
    lengths = [5, 3, 5, 5, 3, 9, 5, 5]
    batches = list(fixed_shape_batches([tokenised(lengths)], 3))
    assert [rows.tolist() for rows, _ in batches] == [[0, 2, 3], [1, 4], [6, 7], [5]]
    for rows, inputs in batches:
        assert inputs["input_ids"].shape == (3, lengths[rows[0]])  # a short batch is filled to batch_size
        expected = 1000 * np.concatenate([rows, np.repeat(rows[-1:], 3 - len(rows))])[:, None]
        assert np.array_equal(inputs["input_ids"], expected + np.arange(lengths[rows[0]]))


def test_short_passes_are_filled_only_to_min_pass_tokens():
    from tweet_topics.encoding.embed import MIN_PASS_TOKENS

    lengths = [40, 3, 40, 40, 3, 9, 40, 40, 40] + [16] * 5
    batches = list(fixed_shape_batches([tokenised(lengths)], 4, short_passes=True))
    assert [rows.tolist() for rows, _ in batches] == [[9, 10, 11, 12], [0, 2, 3, 6], [1, 4], [5], [13], [7, 8]]
    # the short ones: 2 rows of 3 tokens filled to 4 rows, 1 of 9 to 4, 1 of 16 to 2, 2 of 40 left as they are
    assert [inputs["input_ids"].shape for _, inputs in batches] == [(4, 16), (4, 40), (4, 3), (4, 9), (2, 16),
                                                                    (2, 40)]
    assert all(inputs["input_ids"].size >= min(MIN_PASS_TOKENS, 4 * inputs["input_ids"].shape[1])
               for _, inputs in batches)
    for rows, inputs in batches:
        expected = np.concatenate([rows, np.repeat(rows[-1:], len(inputs["input_ids"]) - len(rows))])
        assert np.array_equal(inputs["input_ids"], 1000 * expected[:, None] + np.arange(lengths[rows[0]]))


def embedded_with(encoder, texts, batch_size, monkeypatch, short_passes_match) -> tuple[np.ndarray, bool]:
    """Vectors of `texts` with the check of short passes replaced, and whether it let them run short."""
    import weakref

    import tweet_topics.encoding.embed as embed

    monkeypatch.setattr(embed, "_PASSES", weakref.WeakKeyDictionary())
    monkeypatch.setattr(embed, "_SHORT_PASSES", {})
    monkeypatch.setattr(embed, "short_passes_match", short_passes_match)
    vectors = embed_texts(encoder, texts, batch_size=batch_size)
    return vectors, embed.passes_for(encoder, batch_size).short


def test_the_check_of_short_passes_runs_once_per_weights_not_once_per_load(monkeypatch, tmp_path):
    """Loading the same weights again (each `predict` call in a process) reuses the check's answer; other weights,
    or another batch size, are checked anew."""
    import tweet_topics.encoding.embed as embed
    from tests.conftest import minilm_with_one_tensor_changed

    checked = []
    monkeypatch.setattr(embed, "_SHORT_PASSES", {})
    monkeypatch.setattr(embed, "short_passes_match", lambda encoder, tokeniser, size: checked.append(size) or True)
    for _ in range(2):
        embed.passes_for(load_encoder("sentence-transformers/all-MiniLM-L6-v2", "cpu"), 16)
    assert checked == [16]
    embed.passes_for(load_encoder("sentence-transformers/all-MiniLM-L6-v2", "cpu"), 8)
    embed.passes_for(load_encoder(str(minilm_with_one_tensor_changed(tmp_path / "other")), "cpu"), 16)
    assert checked == [16, 8, 16]


def test_short_passes_give_the_bits_of_filled_passes_on_this_cpu(encoder, tweet_texts, monkeypatch):
    """float32 on the CPU passes the check (what makes a message cheap), and then a text alone, texts short of a
    batch and the real tweets get the bits they get in passes filled to 16 rows; very short texts too (passes of
    under MIN_PASS_TOKENS tokens are where this CPU's kernels differed)."""
    from tweet_topics.encoding.embed import short_passes_match

    assert short_passes_match(encoder, Tokeniser(encoder), 16)
    filled, short = embedded_with(encoder, tweet_texts, 16, monkeypatch, lambda *_: False)
    assert not short
    ours, short = embedded_with(encoder, tweet_texts, 16, monkeypatch, short_passes_match)
    assert short and np.array_equal(ours, filled)
    alone = np.stack([embed_texts(encoder, [text], batch_size=16)[0] for text in tweet_texts[:10]])
    assert np.array_equal(alone, filled[:10])
    tiny = ["", "hi", "ok thanks", "where is my parcel", "my card was charged twice"]
    filled, _ = embedded_with(encoder, tiny * 20, 16, monkeypatch, lambda *_: False)
    ours, _ = embedded_with(encoder, tiny, 16, monkeypatch, short_passes_match)
    assert np.array_equal(ours, filled[:5])
    assert np.array_equal(np.stack([embed_texts(encoder, [text], batch_size=16)[0] for text in tiny]), filled[:5])


def test_a_model_whose_rows_depend_on_the_row_count_keeps_filling(encoder, tweet_texts, monkeypatch):
    """A stand-in for a device whose kernels change with the row count: the check fails, passes stay filled, and
    a text alone still gets its bits from among others."""
    import tweet_topics.encoding.embed as embed
    from tweet_topics.encoding.embed import short_passes_match

    real_forward = embed.forward

    def row_count_dependent(model, inputs, extras):
        vectors = real_forward(model, inputs, extras)
        return vectors + 1e-6 * len(next(iter(inputs.values())))

    monkeypatch.setattr(embed, "forward", row_count_dependent)
    assert not short_passes_match(encoder, Tokeniser(encoder), 16)
    together, short = embedded_with(encoder, tweet_texts[:30], 16, monkeypatch, short_passes_match)
    assert not short
    alone = np.stack([embed_texts(encoder, [text], batch_size=16)[0] for text in tweet_texts[:5]])
    assert np.array_equal(alone, together[:5])


def test_fixed_shape_batches_do_not_depend_on_the_chunking():
    lengths = [4, 2, 4, 4, 2, 7, 4, 4, 2, 2, 4, 7, 7]
    whole = list(fixed_shape_batches([tokenised(lengths)], 3))
    chunked = list(fixed_shape_batches([tokenised(lengths[:4]), tokenised(lengths[4:9], 4),
                                        tokenised(lengths[9:], 9)], 3))

    def passes(batches):
        return sorted((rows.tolist(), inputs["input_ids"].tolist()) for rows, inputs in batches)
    assert passes(chunked) == passes(whole)


def test_the_rust_tokenizer_gives_preprocess_inputs_on_real_tweets(encoder, tweet_texts):
    texts = tweet_texts + ["", "word " * 600, "😡 café 你好"]
    tokeniser = Tokeniser(encoder)
    assert tokeniser.rust is not None
    fast = tokeniser(texts)
    tokeniser.rust = None
    slow = tokeniser(texts)
    assert np.array_equal(fast.lengths, slow.lengths) and fast.lengths.max() == encoder.max_seq_length
    assert all(np.array_equal(fast.columns[name], slow.columns[name]) for name in tokeniser.names)


class PromptedEncoder:
    """A model whose preprocess adds a prompt: its Rust tokenizer alone would not."""

    def __init__(self, encoder) -> None:
        self.tokenizer, self.max_seq_length = encoder.tokenizer, encoder.max_seq_length
        self.preprocess = lambda texts: encoder.preprocess(["query: " + text for text in texts])


def test_a_tokenizer_that_disagrees_with_preprocess_is_not_used(encoder, tweet_texts):
    tokeniser = Tokeniser(PromptedEncoder(encoder))
    assert tokeniser.rust is None
    prompted, plain = tokeniser(tweet_texts[:20]), Tokeniser(encoder)(tweet_texts[:20])
    assert np.array_equal(prompted.lengths, np.minimum(plain.lengths + 2, encoder.max_seq_length))


def test_float16_keeps_the_fingerprint_and_gets_its_own_cache_recipe(encoder, tweet_texts):
    import torch

    from tweet_topics.encoding.embed import embedding_recipe
    from tweet_topics.encoding.identity import describe_encoder, encoder_fingerprint

    half = load_encoder("sentence-transformers/all-MiniLM-L6-v2", "cpu", dtype="float16")
    assert next(half.parameters()).dtype == torch.float16
    assert encoder_fingerprint(half) == encoder_fingerprint(encoder)  # the same weights, so predict accepts them
    description = describe_encoder("m", encoder)
    assert embedding_recipe(description, half, 16)["dtype"] == "float16"
    assert embedding_recipe(description, encoder, 16)["dtype"] == "float32"
    vectors, reference = embed_texts(half, tweet_texts[:6], 4), embed_texts(encoder, tweet_texts[:6], 4)
    cosine = (vectors * reference).sum(axis=1) / np.linalg.norm(vectors, axis=1)
    assert vectors.dtype == np.float32 and cosine.min() > 0.9999 and not np.array_equal(vectors, reference)


def test_auto_is_float32_and_16_rows_a_pass_on_the_cpu_and_float16_and_1024_on_a_gpu():
    from tweet_topics.encoding.spec import EncoderSpec

    def resolved(**settings) -> tuple:
        spec = EncoderSpec("m", **settings).resolved()
        return spec.device, spec.dtype, spec.batch_size

    assert resolved(device="cpu") == ("cpu", "float32", 16)
    assert resolved(device="cuda:1") == ("cuda:1", "float16", 1024)
    assert resolved(device="cpu", dtype="float16", batch_size=64) == ("cpu", "float16", 64)
    assert resolved(device="auto", backend="onnx-int8") == ("cpu", "int8", 1)


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_encoding_on_gives_what_loading_the_encoder_gives_without_a_forward_pass(dtype, monkeypatch):
    """scale/ray_embed.py works out a GPU worker's recipe on the driver's CPU: here the CPU is that device too."""
    from tweet_topics.encoding import embed
    from tweet_topics.encoding.sentence_encoder import SentenceEncoder
    from tweet_topics.encoding.spec import EncoderSpec

    spec = EncoderSpec("sentence-transformers/all-MiniLM-L6-v2", "cpu", dtype=dtype, batch_size=4)
    loaded = SentenceEncoder.load(spec)
    monkeypatch.setattr(embed, "forward", None)  # no pass: the driver has no GPU to run one on
    assert embed.encoding_on(spec) == (loaded.spec, loaded.recipe(), loaded.description())


def test_encoding_on_a_gpu_is_worked_out_without_one(encoder):
    from tweet_topics.encoding.embed import encoding_on
    from tweet_topics.encoding.identity import encoder_fingerprint
    from tweet_topics.encoding.spec import EncoderSpec

    resolved, recipe, description = encoding_on(EncoderSpec("sentence-transformers/all-MiniLM-L6-v2", "cuda"))
    assert (resolved.device, resolved.dtype, resolved.batch_size) == ("cuda", "float16", 1024)
    assert (recipe["device"], recipe["dtype"], recipe["batch_size"]) == ("cuda", "float16", 1024)
    assert recipe["fingerprint"] == description["fingerprint"] == encoder_fingerprint(encoder)
    assert description["encoded_with"] == resolved.record()


def test_int8_in_float16_is_a_clear_error():
    with pytest.raises(UserError, match=r"featurize.backend onnx-int8 computes in int8 and float32, and"
                                        r" featurize.dtype is float16: set featurize.dtype to auto"):
        load_encoder("sentence-transformers/all-MiniLM-L6-v2", "cpu", "onnx-int8", "float16")


def test_predict_embeds_in_the_dtype_its_models_were_trained_with(encoder, tweet_texts):
    import torch

    from tweet_topics.encoding.identity import describe_encoder
    from tweet_topics.encoding.spec import EncoderSpec
    from tweet_topics.serving.router import Router, TrainedTopics

    featurize = {"model": "sentence-transformers/all-MiniLM-L6-v2", "text_view": "embedding", "batch_size": 16,
                 "device": "auto", "backend": "torch"}
    recorded = EncoderSpec(featurize["model"], "cpu", "torch", "float16", 16)  # what featurize resolved and ran
    manifest = {"embedding_model": describe_encoder(featurize["model"], encoder), "encoder": recorded.record(),
                "params": {"preprocess": {"language": "english"}, "featurize": featurize}}

    def routed(manifest: dict) -> Router:
        return Router.load(None, topics=TrainedTopics(manifest, None, None, [], []))

    router = routed(manifest)
    assert next(router.messages.encoder.model.parameters()).dtype == torch.float16 and router.note is None
    assert router.messages.encoder.spec == recorded
    del manifest["encoder"]  # trained before the manifest recorded the encoder: featurize's params say
    manifest["params"]["featurize"]["dtype"] = "float16"
    assert next(routed(manifest).messages.encoder.model.parameters()).dtype == torch.float16
    del manifest["params"]["featurize"]["dtype"]  # trained before featurize.dtype existed: float32
    assert next(routed(manifest).messages.encoder.model.parameters()).dtype == torch.float32


def test_a_model_embedded_on_a_gpu_is_routed_on_this_cpu_in_its_dtype_with_a_note(monkeypatch):
    import tweet_topics.serving.router as router

    recorded = {"model": "m", "device": "cuda", "backend": "torch", "dtype": "float16", "batch_size": 1024}
    manifest = {"encoder": recorded, "params": {"featurize": {}}}
    monkeypatch.setattr(router, "_cuda_available", lambda: False)
    spec, note = router.routing_spec(manifest, None, None)
    assert (spec.device, spec.dtype, spec.batch_size) == ("cpu", "float16", 1024)
    assert note.startswith("the models were trained on embeddings made on cuda in float16; these are made on cpu")
    spec, note = router.routing_spec(manifest, "cuda", "/models/m")  # asked for: no fallback, the same device
    assert (spec.device, spec.model, note) == ("cuda", "/models/m", None)
    monkeypatch.setattr(router, "_cuda_available", lambda: True)
    assert router.routing_spec(manifest, None, None) == (router.EncoderSpec(**recorded), None)


def test_texts_tokenised_a_chunk_ahead_give_the_same_bits(encoder, tweet_texts, monkeypatch):
    import tweet_topics.encoding.embed as embed

    whole = embed_texts(encoder, tweet_texts[:40], batch_size=4)
    monkeypatch.setattr(embed, "TOKENISE_CHUNK", 7)  # 6 chunks, each tokenised while the model runs the one before
    assert np.array_equal(embed_texts(encoder, tweet_texts[:40], batch_size=4), whole)


def test_cpu_passes_run_side_by_side_on_one_torch_thread_each(encoder, tweet_texts, monkeypatch):
    """Each CPU pass runs on one torch thread, several passes at once: torch is left on one thread (a pass's bits
    depended on torch's thread count on a 16-core machine), the passes' threads are as many as torch had, and the
    vectors are those of passes one after another."""
    import torch

    import tweet_topics.encoding.embed as embed

    embed_texts(encoder, tweet_texts[:5], batch_size=16)
    assert torch.get_num_threads() == 1
    pool_sizes = []
    real_pool = embed.ThreadPoolExecutor
    monkeypatch.setattr(embed, "ThreadPoolExecutor", lambda size: pool_sizes.append(size) or real_pool(size))
    monkeypatch.setattr(embed, "cpu_pass_threads", lambda: 3)
    side_by_side = embed_texts(encoder, tweet_texts, batch_size=16)
    assert 3 in pool_sizes
    monkeypatch.setattr(embed, "cpu_pass_threads", lambda: 1)
    one_after_another = embed_texts(encoder, tweet_texts, batch_size=16)
    assert np.array_equal(side_by_side, one_after_another)
