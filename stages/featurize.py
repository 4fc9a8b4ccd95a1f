"""featurize: sentence-transformers embeddings of one text view, a float32 .npy per split plus its tweet ids, and
encoder.json: which model (name, weight fingerprint) made them.

Texts embedded by an earlier run with the same recipe come from the embedding cache, so appending tweets embeds
only the new ones. The cache is not a DVC output: a cached vector is bit-identical to embedding its text again, so
it can change how long featurize takes but never what it writes, and a clone without it (after `dvc pull`) is
up to date. It lives in data/embedding_cache, or where TWEET_TOPICS_EMBEDDING_CACHE points: a shared disk, or an
object store (s3://bucket/prefix) that every machine shares, with this machine's copy in data/embedding_cache.

featurize.engine: ray embeds the new texts on a Ray cluster instead (scale/ray_embed.py), into the same cache."""

import os

import numpy as np
from tqdm import tqdm

from tweet_topics.encoding.backends import load_text_encoder
from tweet_topics.encoding.embedding_cache import EmbeddingCache, embed_into, text_keys
from tweet_topics.encoding.spec import EncoderSpec
from tweet_topics.io.atomic import atomic_dir, write_json
from tweet_topics.io.datasets import read_frames, save_array_blocks
from tweet_topics.io.remote import path_or_url
from tweet_topics.params import load_section
from tweet_topics.paths import EMBEDDING_CACHE, EMBEDDINGS, ENCODER, PREPROCESSED
from tweet_topics.stage import run_stage

CACHE_ROOT = path_or_url(os.environ.get("TWEET_TOPICS_EMBEDDING_CACHE", str(EMBEDDING_CACHE)))


def main() -> None:
    params = load_section("featurize")
    column = f"{params.text_view}_text"
    frames = read_frames(PREPROCESSED, columns=["tweet_id", column])
    texts = {split: frame[column].tolist() for split, frame in frames.items()}
    keys = {split: text_keys(split_texts) for split, split_texts in texts.items()}
    all_texts, all_keys = [text for split in texts.values() for text in split], np.concatenate(list(keys.values()))
    spec = EncoderSpec.from_params(params)
    if params.engine == "ray":
        from tweet_topics.scale.ray_embed import embed_on_ray

        with tqdm(unit="tweet", desc="embed on Ray") as bar:  # the count to embed is printed first
            cache, description, _ = embed_on_ray(spec, CACHE_ROOT, all_texts, all_keys, bar.update, EMBEDDING_CACHE)
    else:
        encoder = load_text_encoder(spec)
        cache = EmbeddingCache.open(CACHE_ROOT, encoder.recipe(), EMBEDDING_CACHE)
        new = cache.missing(all_keys)
        print(f"featurize: {len(all_keys):,} texts, {len(new):,} to embed, the rest from the cache", flush=True)
        with tqdm(total=len(new), unit="tweet", desc="embed") as bar:
            embed_into(cache, encoder, all_texts, all_keys, new, bar.update)
        description = encoder.description()
    with atomic_dir(EMBEDDINGS) as tmp:
        for split, frame in frames.items():
            save_array_blocks(tmp / f"{split}.npy", (len(frame), cache.dimension), cache.blocks(keys[split]))
            np.save(tmp / f"{split}_ids.npy", frame["tweet_id"].to_numpy())
        write_json(tmp / ENCODER, description)


if __name__ == "__main__":
    run_stage("featurize", main)
