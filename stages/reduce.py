"""reduce: smoothing + PCA, PCA or UMAP (reduce.method) fitted on the discovery embeddings, applied to every split;
with reduce.engine: ray, the tweets not fitted on are placed on a Ray cluster (scale/ray_reduce.py), the same bytes."""

import numpy as np

from tweet_topics.encoding.identity import model_identity
from tweet_topics.io.artifacts import read_json
from tweet_topics.io.atomic import atomic_dir
from tweet_topics.io.datasets import read_arrays, read_ids
from tweet_topics.params import REDUCE_SECTIONS, ReductionParams, load_sections
from tweet_topics.paths import EMBEDDINGS, ENCODER, MODELS, REDUCED, REDUCER
from tweet_topics.reduction.reduce import fit_reducer, place_on_all_cores, save_reducer
from tweet_topics.stage import run_stage


def main() -> None:
    params = ReductionParams.from_sections(load_sections(*REDUCE_SECTIONS))
    embeddings = read_arrays(EMBEDDINGS, lazy=True)
    ids = read_ids(EMBEDDINGS)
    place = place_on_all_cores
    if params.reduce.engine == "ray":
        from tweet_topics.scale.ray_reduce import place_on_ray as place
    reducer, discovery = fit_reducer(embeddings["discovery"], params, place)  # reads only the rows it fits
    with atomic_dir(REDUCED) as tmp:
        for split, vectors in embeddings.items():
            np.save(tmp / f"{split}.npy", discovery if split == "discovery" else place(reducer, vectors))
            np.save(tmp / f"{split}_ids.npy", ids[split])
    save_reducer(MODELS / REDUCER, reducer, model_identity(read_json(EMBEDDINGS / ENCODER)))


if __name__ == "__main__":
    run_stage("reduce", main)
