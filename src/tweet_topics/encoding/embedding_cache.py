"""Embeddings kept between featurize runs, by text: a text embedded once is not embedded again.

One folder per recipe (the model's weight fingerprint and how vectors are computed: backend, device, batch shape);
a change of any of these starts an empty folder, so a stale vector is never served. Inside, vectors are keyed by
the sha256 of the text in append-only shards (`shard-NNNNN/keys.npy`, `vectors.npy`), each written atomically, so
a killed run loses at most the shard it was writing. A cached vector is bit-identical to embedding the text again,
because embed.embed_texts makes a vector depend on its text alone.

The cache may live in an object store (`s3://bucket/prefix`), shared by every machine of a cluster: each machine keeps
a copy of the shards in a local folder, downloads the ones it lacks when it opens the cache, and uploads each shard
it adds. There shards are named by their keys (`shard_name`), so two machines never write one name with other
contents, and a shard's keys.npy is uploaded after its vectors.npy: a shard whose keys are listed is complete.
"""

import hashlib
import json
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tweet_topics.io.atomic import atomic_dir, write_json
from tweet_topics.io.remote import download, is_url, remote_glob, upload

RECIPE_FILE = "recipe.json"
KEYS_FILE, VECTORS_FILE = "keys.npy", "vectors.npy"
KEY_DTYPE = "S32"  # a sha256 digest
GATHER_ROWS = 65536  # rows copied from the shards at a time
SHARD_TEXTS = 131072  # new texts per shard the local engine writes: a killed long run keeps the shards it finished


def text_keys(texts: Sequence[str]) -> np.ndarray:
    return np.array([hashlib.sha256(text.encode("utf-8")).digest() for text in texts], dtype=KEY_DTYPE)


def shard_name(keys: np.ndarray) -> str:
    """A shard's name from the keys it holds: unique without asking the other writers."""
    return "shard-" + hashlib.sha256(np.ascontiguousarray(keys, dtype=KEY_DTYPE).tobytes()).hexdigest()[:20]


def recipe_folder_name(recipe: dict) -> str:
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode("utf-8")).hexdigest()[:16]


@dataclass
class EmbeddingCache:
    folder: Path  # the shards on this machine
    dimension: int
    store: str | None = None  # the URL of this recipe's folder in an object store, when the cache lives there
    shards: list[Path] = field(default_factory=list)
    _keys: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=KEY_DTYPE))
    _shard_of: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int32))
    _row_in_shard: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    _sorted: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    @classmethod
    def open(cls, root: Path | str, recipe: dict, local_root: Path | None = None) -> "EmbeddingCache":
        """The cache of `recipe` under `root`, created if absent; unfinished shards of a killed run are removed.
        With `root` a store's URL, `local_root` holds this machine's copy, and the shards it lacks are downloaded."""
        name = recipe_folder_name(recipe)
        store = f"{root.rstrip('/')}/{name}" if is_url(root) else None
        if store and local_root is None:
            raise ValueError("an embedding cache in a store needs a local folder for this machine's copy")
        folder = Path(local_root if store else root) / name
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(".*.tmp"):
            shutil.rmtree(stale, ignore_errors=True)
        if not (folder / RECIPE_FILE).is_file():
            write_json(folder / RECIPE_FILE, recipe)
        if store:
            if not remote_glob(f"{store}/{RECIPE_FILE}"):
                upload(folder / RECIPE_FILE, f"{store}/{RECIPE_FILE}")
            for keys_url in remote_glob(f"{store}/shard-*/{KEYS_FILE}"):
                shard = folder / keys_url.rsplit("/", 2)[1]
                if not (shard / KEYS_FILE).is_file():
                    with atomic_dir(shard) as tmp:
                        download(keys_url.removesuffix(KEYS_FILE) + VECTORS_FILE, tmp / VECTORS_FILE)
                        download(keys_url, tmp / KEYS_FILE)
        cache = cls(folder, int(recipe["dimension"]), store)
        cache._index(sorted(folder.glob("shard-*")))
        return cache

    def _index(self, shards: list[Path]) -> None:
        self.shards = shards
        keys = [np.load(shard / KEYS_FILE) for shard in shards]
        self._keys = np.concatenate(keys) if keys else np.empty(0, dtype=KEY_DTYPE)
        self._shard_of = np.repeat(np.arange(len(keys), dtype=np.int32), [len(k) for k in keys])
        self._row_in_shard = np.concatenate([np.arange(len(k)) for k in keys]) if keys else np.empty(0, np.int64)
        self._sorted = np.argsort(self._keys, kind="stable")

    def __len__(self) -> int:
        return len(self._keys)

    def locate(self, keys: np.ndarray) -> np.ndarray:
        """Position of each key in the cache, -1 where it is absent."""
        if len(self._keys) == 0:
            return np.full(len(keys), -1, dtype=np.int64)
        ordered = self._keys[self._sorted]
        at = np.minimum(np.searchsorted(ordered, keys), len(ordered) - 1)
        return np.where(ordered[at] == keys, self._sorted[at], -1)

    def add(self, keys: np.ndarray, write_vectors: Callable[[np.ndarray], object], name: str | None = None) -> None:
        """Store the vectors of new keys as one more shard; `write_vectors` fills a memory map of (len(keys), dim).
        Writers beside this process (Ray's encoder actors) give each shard its own `name`, `shard_name(keys)`, as
        does a cache in a store, where every machine writes."""
        if len(keys) == 0:
            return
        if self.store:
            name = shard_name(keys)
        shard = self.folder / (name or f"shard-{len(self.shards):05d}")
        with atomic_dir(shard) as tmp:
            np.save(tmp / KEYS_FILE, np.asarray(keys, dtype=KEY_DTYPE))
            vectors = np.lib.format.open_memmap(tmp / VECTORS_FILE, mode="w+", dtype=np.float32,
                                                shape=(len(keys), self.dimension))
            write_vectors(vectors)
            vectors.flush()
            del vectors
        if self.store:  # the keys last: a listed keys.npy is a whole shard
            for file in (VECTORS_FILE, KEYS_FILE):
                upload(shard / file, f"{self.store}/{shard.name}/{file}")
        self._index([*self.shards, shard])

    def missing(self, keys: np.ndarray) -> np.ndarray:
        """Indices into `keys` of the first occurrence of each key the cache lacks, in order."""
        absent = np.flatnonzero(self.locate(keys) < 0)
        _, first = np.unique(keys[absent], return_index=True)
        return absent[np.sort(first)]

    def blocks(self, keys: np.ndarray) -> Iterator[np.ndarray]:
        """The cached vectors of `keys`, in order, GATHER_ROWS at a time; every key must be present.

        The shards are mapped anew for each block: pages a block touched leave this process's memory with it, so
        gathering 1.5M vectors from gigabytes of shards stays within a block's worth.
        """
        for start in range(0, len(keys), GATHER_ROWS):
            positions = self.locate(keys[start:start + GATHER_ROWS])
            if (positions < 0).any():
                raise KeyError(f"{int((positions < 0).sum())} texts are not in the embedding cache")
            block = np.empty((len(positions), self.dimension), dtype=np.float32)
            shard_of, rows = self._shard_of[positions], self._row_in_shard[positions]
            for index in np.unique(shard_of):
                mine = shard_of == index
                block[mine] = np.load(self.shards[index] / VECTORS_FILE, mmap_mode="r")[rows[mine]]
            yield block


def embed_into(cache: EmbeddingCache, encoder, texts: Sequence[str], keys: np.ndarray, rows: np.ndarray,
               progress: Callable[[int], object] | None = None) -> None:
    """featurize's local engine: `texts[rows]` (those the cache lacks: `cache.missing(keys)`) embedded by `encoder`
    (an embed.Encoder) into new shards of at most SHARD_TEXTS texts."""
    for start in range(0, len(rows), SHARD_TEXTS):
        shard_rows = rows[start:start + SHARD_TEXTS]
        cache.add(keys[shard_rows], lambda out, shard_rows=shard_rows: encoder.embed(
            [texts[i] for i in shard_rows], out=out, progress=progress))
