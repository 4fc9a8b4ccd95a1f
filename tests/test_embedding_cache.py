"""The embedding cache: exact vectors back, a new folder when the model changes, nothing half-written after a kill,
and featurize on an appended file embeds only the new texts and writes what a from-scratch run writes."""

import importlib.util

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import REPO, minilm_with_one_tensor_changed
from tweet_topics.encoding import embedding_cache
from tweet_topics.encoding.embed import embedding_recipe
from tweet_topics.encoding.embedding_cache import EmbeddingCache, embed_into, recipe_folder_name, text_keys
from tweet_topics.encoding.identity import describe_encoder
from tweet_topics.encoding.weights import load_encoder
from tweet_topics.io.datasets import write_frames

MODEL = "sentence-transformers/all-MiniLM-L6-v2"
RECIPE = {"name": "m", "fingerprint": "f" * 64, "dimension": 4, "batch_size": 8, "device": "cpu",
          "max_seq_length": 256, "backend": "torch"}


def vectors_for(keys: np.ndarray) -> np.ndarray:
    return np.random.default_rng(len(keys)).standard_normal((len(keys), 4)).astype(np.float32)


def test_vectors_come_back_bit_for_bit_after_reopening(tmp_path):
    cache = EmbeddingCache.open(tmp_path, RECIPE)
    first, second = text_keys(["a", "b", "c"]), text_keys(["d", "e"])
    v1, v2 = vectors_for(first), vectors_for(second)
    cache.add(first, lambda out: out.__setitem__(slice(None), v1))
    cache.add(second, lambda out: out.__setitem__(slice(None), v2))
    reopened = EmbeddingCache.open(tmp_path, RECIPE)
    assert len(reopened) == 5 and len(reopened.shards) == 2
    out = np.concatenate(list(reopened.blocks(text_keys(["e", "a", "c", "a"]))))
    assert np.array_equal(out, np.stack([v2[1], v1[0], v1[2], v1[0]]))


def test_missing_gives_the_first_occurrence_of_each_absent_text(tmp_path):
    cache = EmbeddingCache.open(tmp_path, RECIPE)
    cache.add(text_keys(["a"]), lambda out: out.fill(1))
    assert cache.missing(text_keys(["b", "a", "c", "b", "c", "d"])).tolist() == [0, 2, 5]
    with pytest.raises(KeyError, match="1 texts are not in the embedding cache"):
        list(cache.blocks(text_keys(["a", "zz"])))


def test_the_local_engine_embeds_the_missing_texts_in_shards_of_at_most_shard_texts(tmp_path, monkeypatch):
    class Encoder:  # an embed.Encoder's `embed`: the text's length in every column
        def embed(self, texts, out, progress=None):
            out[:] = np.array([[len(text)] * 4 for text in texts], dtype=np.float32)
            progress(len(texts))

    monkeypatch.setattr(embedding_cache, "SHARD_TEXTS", 2)
    cache = EmbeddingCache.open(tmp_path, RECIPE)
    texts = ["a", "bb", "a", "ccc", "dddd", "eeeee"]
    keys, done = text_keys(texts), []
    embed_into(cache, Encoder(), texts, keys, cache.missing(keys), done.append)
    assert len(cache.shards) == 3 and done == [2, 2, 1]
    assert np.concatenate(list(cache.blocks(keys)))[:, 0].tolist() == [1, 2, 1, 3, 4, 5]


def test_another_recipe_is_another_folder(tmp_path):
    cache = EmbeddingCache.open(tmp_path, RECIPE)
    cache.add(text_keys(["a"]), lambda out: out.fill(1))
    for change in ({"fingerprint": "0" * 64}, {"batch_size": 16}, {"device": "cuda"}, {"backend": "onnx-int8"}):
        other = EmbeddingCache.open(tmp_path, {**RECIPE, **change})
        assert len(other) == 0 and other.folder != cache.folder, change
    assert len(EmbeddingCache.open(tmp_path, dict(reversed(list(RECIPE.items()))))) == 1  # key order is no change


def test_other_model_weights_give_another_recipe(tmp_path):
    """The recipe holds the weights' fingerprint: one tensor changed by 1e-3 is a cache miss for every text."""
    other = minilm_with_one_tensor_changed(tmp_path / "other-model")
    recipes = []
    for source in (MODEL, str(other)):
        encoder = load_encoder(source, "cpu")
        recipes.append(embedding_recipe(describe_encoder(MODEL, encoder), encoder, 8))
    assert recipes[0]["fingerprint"] != recipes[1]["fingerprint"]
    assert recipe_folder_name(recipes[0]) != recipe_folder_name(recipes[1])


def test_a_shard_left_by_a_killed_run_is_removed_and_never_read(tmp_path):
    cache = EmbeddingCache.open(tmp_path, RECIPE)
    cache.add(text_keys(["a"]), lambda out: out.fill(1))
    killed = cache.folder / ".shard-00001.x1y2.tmp"
    killed.mkdir()
    np.save(killed / "keys.npy", text_keys(["b"]))

    def die(out):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cache.add(text_keys(["c"]), die)
    reopened = EmbeddingCache.open(tmp_path, RECIPE)
    assert len(reopened) == 1 and not list(cache.folder.glob(".*.tmp"))
    assert sorted(path.name for path in cache.folder.iterdir()) == ["recipe.json", "shard-00000"]


def run_featurize(workdir, frames: dict[str, pd.DataFrame], monkeypatch, capsys, backend: str = "torch") -> str:
    """stages/featurize.py's main in `workdir`, on these preprocessed frames; what it printed."""
    (workdir / "data" / "03_preprocessed").mkdir(parents=True, exist_ok=True)
    write_frames(workdir / "data" / "03_preprocessed", frames)
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["featurize"]["batch_size"] = 8
    params["featurize"]["backend"] = backend
    (workdir / "params.yaml").write_text(yaml.safe_dump(params))
    spec = importlib.util.spec_from_file_location("featurize_stage", REPO / "stages" / "featurize.py")
    stage = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stage)
    monkeypatch.chdir(workdir)
    stage.main()
    return capsys.readouterr().out


def split_frames(texts: list[str]) -> dict[str, pd.DataFrame]:
    frame = pd.DataFrame({"tweet_id": np.arange(len(texts), dtype=np.int64) + 1000, "embedding_text": texts,
                          "keyword_text": texts})
    return {split: frame.iloc[offset::3].reset_index(drop=True)
            for offset, split in enumerate(("discovery", "validation", "evaluation"))}


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["torch", "onnx-int8"])
def test_appending_tweets_embeds_only_the_new_ones_and_writes_what_a_fresh_run_writes(tmp_path, twcs_sample, backend,
                                                                                        monkeypatch, capsys):
    raw = pd.read_csv(twcs_sample, dtype=str, keep_default_na=False, nrows=1200)
    texts = raw.loc[raw["inbound"] == "True", "text"].head(220).tolist()
    texts[5] = texts[3]  # a repeated text is embedded once
    incremental, fresh = tmp_path / "incremental", tmp_path / "fresh"
    incremental.mkdir()
    fresh.mkdir()
    new = len(set(texts) - set(texts[:200]))
    assert new >= 15
    printed = run_featurize(incremental, split_frames(texts[:200]), monkeypatch, capsys, backend)
    assert f"200 texts, {len(set(texts[:200]))} to embed" in printed, printed
    printed = run_featurize(incremental, split_frames(texts), monkeypatch, capsys, backend)
    assert f"220 texts, {new} to embed" in printed, printed
    printed = run_featurize(fresh, split_frames(texts), monkeypatch, capsys, backend)
    assert f"220 texts, {len(set(texts))} to embed" in printed, printed
    for name in ("discovery.npy", "validation.npy", "evaluation.npy", "discovery_ids.npy", "encoder.json"):
        ours = (incremental / "data" / "04_embeddings" / name).read_bytes()
        assert ours == (fresh / "data" / "04_embeddings" / name).read_bytes(), name
