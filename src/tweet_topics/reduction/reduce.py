"""The reduction before clustering, fitted on discovery and applied to every split: neighbourhood smoothing then PCA
(the default, smoothing.py), PCA alone (the seed's way, pca.py) or UMAP (umap_reducer.py), or any reducer registered
in methods.py.

The choice is measured (research/stability_study.py): smoothing + PCA recovers labelled intents as well as UMAP and
gives the same topics again under float-sized noise and other seeds, where UMAP's layout does not; PCA alone is
stable but finds intents less well. A fitted reducer is plain arrays (see artifacts.py), and the same object
reduces the pipeline's splits and the messages of `predict`.
"""

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from tweet_topics.io.artifacts import load_arrays, save_arrays
from tweet_topics.reduction.base import Reducer
from tweet_topics.reduction.methods import REDUCERS
from tweet_topics.reduction.neighbours import NEIGHBOUR_BLOCK
from tweet_topics.threads import one_blas_thread

# whole neighbour blocks, as are predict's batches (embed.CHUNK_SIZE), so a message meets the same float arithmetic
REDUCE_BATCH = 8 * NEIGHBOUR_BLOCK


def fit_reducer(embeddings: np.ndarray, params, place: Callable | None = None) -> tuple[Reducer, np.ndarray]:
    """A fitted reducer and the reduced `embeddings`; `params` is params.ReductionParams, whose reduce.method picks
    the reducer (methods.REDUCERS).

    Each is fitted on a fixed sample of at most its max_fit_tweets rows, read from `embeddings` (a memory map is
    fine) without loading the rest. Rows a fit placed itself keep their fitted coordinates; the rest are placed by
    `place` (reduce_embeddings, place_on_all_cores, or the Ray engine's place_on_ray).
    """
    fitted = REDUCERS.get(params.reduce.method).fit(embeddings, params)
    reducer, place = fitted.reducer, place or reduce_embeddings
    if fitted.fitted_rows is None:
        return reducer, place(reducer, embeddings)
    reduced = np.empty((len(embeddings), reducer.n_components), dtype=np.float32)
    kept = np.zeros(len(embeddings), dtype=bool)
    kept[fitted.fitted_rows] = True
    reduced[kept] = fitted.fitted_reduced
    reduced[~kept] = place(reducer, embeddings, rows=np.flatnonzero(~kept))
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
    with one_blas_thread():
        return apply_reducer(reducer, embeddings, rows=rows, threads=threads)


def place_on_all_cores(reducer: Reducer, embeddings: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """The reduce stage's local engine: `reduce_embeddings` a batch per core at once, the same bytes on any machine."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return reduce_embeddings(reducer, embeddings, rows, threads=cores)


def save_reducer(path: Path, reducer: Reducer, embedding_model: dict) -> None:
    """`embedding_model` (name, fingerprint, dimension) says which embeddings the reducer expects."""
    meta = {"kind": "reducer", "method": reducer.method, "embedding_model": embedding_model, **reducer.settings()}
    save_arrays(path, reducer.arrays(), meta)


def load_reducer(path: Path) -> tuple[Reducer, dict]:
    """The reducer saved at `path` and its metadata."""
    arrays, meta = load_arrays(path, "reducer")
    return REDUCERS.get(meta["method"]).from_saved(arrays, meta), meta
