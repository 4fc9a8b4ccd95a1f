"""featurize.engine: ray. The texts the embedding cache lacks are embedded by a pool of Ray actors (Ray Data's
`map_batches`), each loading the encoder once and writing its vectors into the cache as shards of their own; featurize
then writes its outputs from the cache, as the local engine does. A vector depends on its text alone
(embed.embed_texts), so which actor embeds which texts cannot change a bit: on the same hardware the outputs are the
local engine's bytes.

The actors and the driver share the cache: on one machine its folder, data/embedding_cache; on a cluster,
TWEET_TOPICS_EMBEDDING_CACHE points to an object store (s3://bucket/prefix) that the actors upload their shards to
and the driver downloads them from, or to a disk every node mounts."""

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from tweet_topics.encoding.backends import load_text_encoder
from tweet_topics.encoding.embed import encoding_on
from tweet_topics.encoding.embedding_cache import EmbeddingCache, shard_name
from tweet_topics.encoding.spec import EncoderSpec
from tweet_topics.io.remote import store_environment
from tweet_topics.scale.ray_cluster import cluster_gpus, connect, ray_settings, worker_slots

ACTOR_TEXTS = 8192  # texts per actor call, and per cache shard


class EmbedIntoCache:
    """A Ray actor: the encoder, loaded once, embedding batches of texts into shards of the cache."""

    def __init__(self, spec: EncoderSpec, folder: str, recipe: dict, store: str | None = None) -> None:
        self.encoder = load_text_encoder(spec)
        if self.encoder.recipe() != recipe:  # a node with other hardware or library versions
            raise RuntimeError(f"this worker embeds by {self.encoder.recipe()}, the run by {recipe}: give the"
                               " cluster's nodes one kind of hardware and one environment")
        self.folder, self.store, self.dimension = Path(folder), store, int(recipe["dimension"])

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        keys, texts = batch["key"].astype("S32"), batch["text"].tolist()
        if self.store:  # the shard goes to the store; this node keeps no copy
            with tempfile.TemporaryDirectory(prefix="embedding-shard-") as scratch:
                self._add(EmbeddingCache(Path(scratch), self.dimension, self.store), keys, texts)
        else:
            self._add(EmbeddingCache(self.folder, self.dimension), keys, texts)
        return {"embedded": np.array([len(keys)])}

    def _add(self, cache: EmbeddingCache, keys: np.ndarray, texts: list[str]) -> None:
        cache.add(keys, lambda out: self.encoder.embed(texts, out=out), name=shard_name(keys))


def embed_on_ray(spec: EncoderSpec, cache_root: Path | str, texts: Sequence[str], keys: np.ndarray,
                 progress: Callable[[int], object] | None = None,
                 local_root: Path | None = None) -> tuple[EmbeddingCache, dict, int]:
    """The cache holding every text of `texts` (keys: `text_keys`), encoder.json's description, and how many texts
    were embedded now: the distinct ones the cache lacked, on Ray. With `cache_root` a store's URL, `local_root`
    holds the driver's copy (EmbeddingCache.open)."""
    import pandas as pd

    ray = connect()
    settings = ray_settings()
    gpus = 1 if cluster_gpus(ray) and not spec.device.startswith("cpu") and spec.backend == "torch" else 0
    if gpus and spec.device == "auto":
        spec = replace(spec, device="cuda")
    resources = {"num_cpus": settings.cpus_per_worker, "num_gpus": gpus}
    # the recipe (the cache's folder) the workers embed by, worked out here: the actors check it when they load
    resolved, recipe, description = encoding_on(spec)
    cache = EmbeddingCache.open(cache_root, recipe, local_root)
    new = cache.missing(keys)
    print(f"featurize: {len(keys):,} texts, {len(new):,} to embed on Ray, the rest from the cache", flush=True)
    if len(new):
        workers = max(1, cluster_gpus(ray)) if gpus else worker_slots(ray, resources["num_cpus"])
        per_call = min(ACTOR_TEXTS, -(-len(new) // workers))  # every actor has work, even for a few texts
        frame = pd.DataFrame({"key": list(keys[new]), "text": [texts[i] for i in new]})
        blocks = [frame.iloc[start:start + per_call] for start in range(0, len(frame), per_call)]
        # one call in flight per actor: with more, the actor that started first took every block
        pool = ray.data.ActorPoolStrategy(size=workers, max_tasks_in_flight_per_actor=1)
        embedded = ray.data.from_pandas(blocks).map_batches(
            EmbedIntoCache, fn_constructor_kwargs={"spec": resolved, "folder": str(cache.folder), "recipe": recipe,
                                                   "store": cache.store},
            batch_size=per_call, batch_format="numpy", compute=pool, **resources,
            # the driver's keys and endpoint, so that the actors write where it reads
            **({"runtime_env": {"env_vars": store_environment()}} if cache.store else {}))
        for batch in embedded.iter_batches(batch_size=None, batch_format="numpy"):
            if progress:
                progress(int(batch["embedded"].sum()))
    return EmbeddingCache.open(cache_root, recipe, local_root), description, len(new)
