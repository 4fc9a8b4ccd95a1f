"""reduce.engine: ray. The tweets a reducer was not fitted on are placed by Ray tasks, each a slice of whole
REDUCE_BATCH batches taken at the local engine's boundaries, placed as the local engine places them (a batch per
CPU at once, one BLAS thread each): every batch holds the rows it holds locally, so every vector gets the local
engine's bytes. The fitted reducer goes to the object store once."""

import numpy as np

from tweet_topics.reduction.reduce import REDUCE_BATCH, Reducer, reduce_embeddings
from tweet_topics.scale.ray_cluster import connect, ray_settings, worker_slots

SLICE_BATCHES = 1  # REDUCE_BATCH (8,192) rows per task, 12.6 MB of 384-dimensional embeddings: 177 tasks at 1.45M
TASKS_PER_WORKER = 2  # slices in flight per worker: the next is there when one finishes, memory stays bounded


def place(reducer: Reducer, embeddings: np.ndarray, threads: int) -> np.ndarray:
    return reduce_embeddings(reducer, embeddings, threads=threads)


def place_on_ray(reducer: Reducer, embeddings: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """`apply_reducer(reducer, embeddings, rows=rows)`, its slices placed on the Ray cluster (a memory map is read a
    slice at a time)."""
    ray = connect()
    cpus = ray_settings().cpus_per_worker
    rows = np.arange(len(embeddings)) if rows is None else rows
    out = np.empty((len(rows), reducer.n_components), dtype=np.float32)
    task = ray.remote(num_cpus=cpus)(place)
    shared = ray.put(reducer)
    in_flight = TASKS_PER_WORKER * worker_slots(ray, cpus)
    pending: dict = {}

    def collect(count: int) -> None:
        done, _ = ray.wait(list(pending), num_returns=count)
        for ref in done:
            start = pending.pop(ref)
            placed = ray.get(ref)
            out[start:start + len(placed)] = placed

    step = REDUCE_BATCH * SLICE_BATCHES
    for start in range(0, len(rows), step):
        if len(pending) >= in_flight:
            collect(1)
        pending[task.remote(shared, np.asarray(embeddings[rows[start:start + step]]), cpus)] = start
    if pending:
        collect(len(pending))
    return out
