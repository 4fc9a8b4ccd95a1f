"""The reduction before clustering, fitted on discovery and applied to every split: neighbourhood smoothing then PCA
(the default, smoothing.py), PCA alone (the seed's way) or UMAP.

The choice is measured (research/stability_study.py): smoothing + PCA recovers labelled intents as well as UMAP and
gives the same topics again under float-sized noise and other seeds, where UMAP's layout does not; PCA alone is
stable but finds intents less well. A fitted reducer is plain arrays (see artifacts.py), and the same object
reduces the pipeline's splits and the messages of `predict`.
"""

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA

from tweet_topics.errors import UserError
from tweet_topics.io.artifacts import load_arrays, save_arrays
from tweet_topics.reduction.neighbours import NEIGHBOUR_BLOCK, normalise_rows
from tweet_topics.reduction.sampling import fit_rows
from tweet_topics.reduction.smoothing import SmoothedPcaReducer, fit_smoothed_pca
from tweet_topics.reduction.umap_projection import project

# the params.yaml sections a reduction reads
REDUCE_SECTIONS = ("reduce", "pca", "umap", "smoothing")
TRANSFORM_EPOCHS = 100  # umap-learn's choice for batches up to 10k, used here for every batch
NEGATIVE_SAMPLE_RATE = 5  # umap-learn's defaults
LEARNING_RATE = 1.0
REPULSION_STRENGTH = 1.0
# whole neighbour blocks, as are predict's batches (embed.CHUNK_SIZE), so a message meets the same float arithmetic
REDUCE_BATCH = 8 * NEIGHBOUR_BLOCK


@dataclass(frozen=True)
class PcaReducer:
    mean: np.ndarray
    components: np.ndarray  # (n_components, dimension)
    scale: np.ndarray  # per component: 1 / sqrt(explained variance) when whitened, else 1

    method = "pca"

    @property
    def n_components(self) -> int:
        return len(self.components)

    def transform(self, embeddings: np.ndarray) -> np.ndarray:
        return (((np.asarray(embeddings, dtype=np.float32) - self.mean) @ self.components.T) * self.scale).astype(
            np.float32)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean, "components": self.components, "scale": self.scale}


@dataclass(frozen=True)
class UmapReducer:
    reference: np.ndarray  # the fitted embeddings, unit length
    layout: np.ndarray  # their UMAP coordinates
    fitted_rows: np.ndarray  # which discovery rows were fitted
    a: float
    b: float
    n_neighbors: int
    seed: int
    settings: dict = field(default_factory=lambda: {
        "n_epochs": TRANSFORM_EPOCHS, "negative_sample_rate": NEGATIVE_SAMPLE_RATE,
        "learning_rate": LEARNING_RATE, "repulsion_strength": REPULSION_STRENGTH})

    method = "umap"

    @property
    def n_components(self) -> int:
        return self.layout.shape[1]

    def transform(self, embeddings: np.ndarray) -> np.ndarray:
        return project(np.asarray(embeddings), self.reference, self.layout, self.a, self.b, self.n_neighbors,
                       seed=self.seed, **self.settings)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"reference": self.reference, "layout": self.layout, "fitted_rows": self.fitted_rows}


Reducer = PcaReducer | UmapReducer | SmoothedPcaReducer


def fit_reducer(embeddings: np.ndarray, params: dict, place: Callable | None = None) -> tuple[Reducer, np.ndarray]:
    """A fitted reducer and the reduced `embeddings`; `params` holds the REDUCE_SECTIONS of params.yaml.

    Each is fitted on a fixed sample of at most its max_fit_tweets rows, read from `embeddings` (a memory map is
    fine) without loading the rest. With UMAP and smoothing, the fitted rows keep their fitted coordinates and the
    rest are placed by `place` (reduce_embeddings, place_on_all_cores, or the Ray engine's place_on_ray).
    """
    method = params["reduce"]["method"]
    place = place or reduce_embeddings
    if method == "pca":
        reducer = _fit_pca(embeddings, params["pca"])
        return reducer, place(reducer, embeddings)
    if method == "smoothed-pca":
        reducer, fitted_reduced = fit_smoothed_pca(embeddings, params["smoothing"], params["pca"])
    else:
        reducer = _fit_umap(embeddings, params["umap"])
        fitted_reduced = reducer.layout
    reduced = np.empty((len(embeddings), reducer.n_components), dtype=np.float32)
    fitted = np.zeros(len(embeddings), dtype=bool)
    fitted[reducer.fitted_rows] = True
    reduced[fitted] = fitted_reduced
    reduced[~fitted] = place(reducer, embeddings, rows=np.flatnonzero(~fitted))
    return reducer, reduced


def apply_reducer(reducer: Reducer, embeddings: np.ndarray, batch_size: int = REDUCE_BATCH,
                  rows: np.ndarray | None = None, threads: int = 1) -> np.ndarray:
    """The reduced float32 vectors (of `rows` only, if given), a batch at a time so memory stays bounded; with
    `threads`, that many batches at once (NumPy's products and sorts let go of the GIL), each batch the same rows."""
    rows = np.arange(len(embeddings)) if rows is None else rows

    def place(start: int) -> np.ndarray:
        return reducer.transform(np.asarray(embeddings[rows[start:start + batch_size]]))

    starts = range(0, len(rows), batch_size)
    if threads > 1 and len(starts) > 1:
        with ThreadPoolExecutor(threads) as pool:
            batches = list(pool.map(place, starts))
    else:
        batches = [place(start) for start in starts]
    if not batches:
        return np.empty((0, reducer.n_components), dtype=np.float32)
    return np.vstack(batches)


def reduce_embeddings(reducer: Reducer, embeddings: np.ndarray, rows: np.ndarray | None = None,
                      threads: int = 1) -> np.ndarray:
    """Embeddings (`rows` only, if given) placed in the fitted reduced space: how the reduce stage places every tweet
    it did not fit on (`threads` batches at a time), and how a routed message is placed.

    One BLAS thread per batch, for two reasons: the products' last bits depend on BLAS's thread count (2 threads
    against 1 moved half the placed discovery tweets by up to 6e-7), so the bytes would depend on the machine's cores
    and on a Ray worker's CPU share; and idle BLAS threads keep spinning after the product and take the cores the
    encoder needs next (one message on 2 cores: 118 ms with them, 33 ms without)."""
    with thread_controller().limit(limits=1, user_api="blas"):
        return apply_reducer(reducer, embeddings, rows=rows, threads=threads)


def place_on_all_cores(reducer: Reducer, embeddings: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """The reduce stage's local engine: `reduce_embeddings` a batch per core at once, the same bytes on any machine."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return reduce_embeddings(reducer, embeddings, rows, threads=cores)


@cache
def thread_controller():
    """threadpoolctl's view of the thread pools loaded now, made once: `threadpool_limits` rescans every loaded
    library at each call, which was half of a message's reduction (5 of 10 ms)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def save_reducer(path: Path, reducer: Reducer, embedding_model: dict) -> None:
    """`embedding_model` (name, fingerprint, dimension) says which embeddings the reducer expects."""
    meta = {"kind": "reducer", "method": reducer.method, "embedding_model": embedding_model}
    if isinstance(reducer, UmapReducer):
        meta.update(a=reducer.a, b=reducer.b, n_neighbors=reducer.n_neighbors, seed=reducer.seed,
                    settings=reducer.settings)
    if isinstance(reducer, SmoothedPcaReducer):
        meta.update(n_neighbors=reducer.n_neighbors)
    save_arrays(path, reducer.arrays(), meta)


def load_reducer(path: Path) -> tuple[Reducer, dict]:
    """The reducer saved at `path` and its metadata."""
    arrays, meta = load_arrays(path, "reducer")
    if meta["method"] == "pca":
        return PcaReducer(**arrays), meta
    if meta["method"] == "smoothed-pca":
        return SmoothedPcaReducer(**arrays, n_neighbors=meta["n_neighbors"]), meta
    return UmapReducer(**arrays, a=meta["a"], b=meta["b"], n_neighbors=meta["n_neighbors"], seed=meta["seed"],
                       settings=meta["settings"]), meta


@contextmanager
def single_thread() -> Iterator[None]:
    """BLAS, OpenMP and numba on one thread inside the block."""
    import numba
    from threadpoolctl import threadpool_limits

    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        with threadpool_limits(1):
            yield
    finally:
        numba.set_num_threads(previous)


def _fit_pca(embeddings: np.ndarray, params: dict) -> PcaReducer:
    n_components = params["n_components"]
    sample = np.asarray(embeddings[fit_rows(len(embeddings), params["max_fit_tweets"], params["seed"])],
                        dtype=np.float32)
    limit = min(sample.shape)
    if n_components > limit:
        raise UserError(
            f"pca.n_components is {n_components} but the discovery split allows at most {limit}"
            f" ({sample.shape[0]} tweets x {sample.shape[1]} dimensions): lower pca.n_components"
        )
    pca = PCA(n_components=n_components, random_state=params["seed"]).fit(sample)
    scale = 1.0 / np.sqrt(pca.explained_variance_) if params["whiten"] else np.ones(n_components)
    return PcaReducer(pca.mean_.astype(np.float32), pca.components_.astype(np.float32), scale.astype(np.float32))


def _fit_umap(embeddings: np.ndarray, params: dict) -> UmapReducer:
    import umap  # imported here: it compiles its numba kernels on first use (tens of seconds)

    n_neighbors = params["n_neighbors"]
    if len(embeddings) <= max(n_neighbors, params["n_components"] + 1):
        raise UserError(f"umap needs more than {max(n_neighbors, params['n_components'] + 1)} discovery tweets"
                        f" (it has {len(embeddings)}): lower umap.n_neighbors or use reduce.method: pca")
    rows = fit_rows(len(embeddings), params["max_fit_tweets"], params["seed"])  # the rest are projected
    sample = np.asarray(embeddings[rows], dtype=np.float32)
    # random_state makes UMAP's optimisation reproducible, but its spectral start (BLAS) and neighbour search (numba)
    # still sum floats in an order set by the thread count: 1 against 2 threads moved 3.5% of the sample's tweets
    # to another topic (docs/STUDIES.md). One thread gives every machine the same layout.
    with single_thread():
        fitted = umap.UMAP(n_neighbors=n_neighbors, n_components=params["n_components"],
                           min_dist=params["min_dist"], metric="cosine", random_state=params["seed"],
                           n_jobs=1).fit(sample)
    return UmapReducer(reference=normalise_rows(sample), layout=fitted.embedding_.astype(np.float32),
                       fitted_rows=rows, a=float(fitted._a), b=float(fitted._b), n_neighbors=n_neighbors,
                       seed=params["seed"])
