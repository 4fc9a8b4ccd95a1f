"""The embedding cache in an object store (TWEET_TOPICS_EMBEDDING_CACHE=s3://…), on a real S3 server (SeaweedFS on
127.0.0.1): machines that share the store share the vectors, bit for bit; a shard whose upload stopped before its keys
is never read; featurize on a second machine embeds only what the first did not; the store's refusal is one line."""

import numpy as np
import pytest

from tests.s3_server import BUCKET, forget_clients, upload
from tests.test_embedding_cache import RECIPE, run_featurize, split_frames, vectors_for
from tweet_topics.encoding.embedding_cache import EmbeddingCache, recipe_folder_name, shard_name, text_keys
from tweet_topics.errors import UserError


def fill(vectors: np.ndarray):
    return lambda out: out.__setitem__(slice(None), vectors)


def test_machines_sharing_a_store_share_its_vectors_bit_for_bit(store, tmp_path):
    root = f"s3://{BUCKET}/shared-{tmp_path.name}"
    first, second, third = text_keys(["a", "b", "c"]), text_keys(["d", "e"]), text_keys(["f"])
    v1, v2, v3 = vectors_for(first), vectors_for(second), vectors_for(third)
    one = EmbeddingCache.open(root, RECIPE, tmp_path / "machine-1")
    one.add(first, fill(v1))
    one.add(second, fill(v2))
    assert sorted(path.name for path in one.shards) == sorted([shard_name(first), shard_name(second)])

    two = EmbeddingCache.open(root, RECIPE, tmp_path / "machine-2")  # an empty local copy: every shard downloaded
    assert two.folder == tmp_path / "machine-2" / recipe_folder_name(RECIPE) and len(two) == 5
    out = np.concatenate(list(two.blocks(text_keys(["e", "a", "c"]))))
    assert np.array_equal(out, np.stack([v2[1], v1[0], v1[2]]))
    two.add(third, fill(v3))

    again = EmbeddingCache.open(root, RECIPE, tmp_path / "machine-1")  # the first machine gets the second's shard
    assert len(again) == 6 and np.array_equal(next(again.blocks(third)), v3)
    assert len(EmbeddingCache.open(root, {**RECIPE, "fingerprint": "0" * 64}, tmp_path / "machine-1")) == 0


def test_a_shard_whose_upload_stopped_before_its_keys_is_never_read(store, tmp_path):
    root = f"s3://{BUCKET}/stopped-{tmp_path.name}"
    cache = EmbeddingCache.open(root, RECIPE, tmp_path / "machine-1")
    cache.add(text_keys(["a"]), fill(vectors_for(text_keys(["a"]))))
    # a machine killed between the two uploads of a shard: its vectors are there, its keys are not
    upload(f"{root}/{recipe_folder_name(RECIPE)}/shard-0123456789abcdef0123/vectors.npy", b"not a whole shard")
    other = EmbeddingCache.open(root, RECIPE, tmp_path / "machine-2")
    assert len(other) == 1 and [path.name for path in other.shards] == [shard_name(text_keys(["a"]))]


def test_a_store_that_refuses_is_one_line_naming_the_url(store, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-key")
    forget_clients()
    root = f"s3://{BUCKET}/refused"
    with pytest.raises(UserError, match=r"^s3://tweet-topics/refused/[0-9a-f]{16}/recipe\.json: .*AWS_ACCESS_KEY_ID"):
        EmbeddingCache.open(root, RECIPE, tmp_path / "machine")


@pytest.mark.slow
def test_featurize_on_a_second_machine_embeds_only_what_the_first_did_not(store, tmp_path, twcs_sample, monkeypatch,
                                                                           capsys):
    import pandas as pd

    raw = pd.read_csv(twcs_sample, dtype=str, keep_default_na=False, nrows=600)
    texts = list(dict.fromkeys(raw.loc[raw["inbound"] == "True", "text"]))[:61]
    monkeypatch.setenv("TWEET_TOPICS_EMBEDDING_CACHE", f"s3://{BUCKET}/featurize-{tmp_path.name}")
    first, second = tmp_path / "machine-1", tmp_path / "machine-2"
    first.mkdir()
    second.mkdir()
    assert "60 texts, 60 to embed" in run_featurize(first, split_frames(texts[:60]), monkeypatch, capsys)
    assert "61 texts, 1 to embed" in run_featurize(second, split_frames(texts), monkeypatch, capsys)
    monkeypatch.delenv("TWEET_TOPICS_EMBEDDING_CACHE")
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    assert "61 texts, 61 to embed" in run_featurize(fresh, split_frames(texts), monkeypatch, capsys)
    for name in ("discovery.npy", "validation.npy", "evaluation.npy", "encoder.json"):
        assert ((second / "data" / "04_embeddings" / name).read_bytes()
                == (fresh / "data" / "04_embeddings" / name).read_bytes()), name
