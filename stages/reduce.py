"""reduce: smoothing + PCA, PCA or UMAP (reduce.method) fitted on the discovery embeddings, applied to every split."""

from pathlib import Path

import numpy as np

from tweet_topics.artifacts import read_json
from tweet_topics.atomic import atomic_dir
from tweet_topics.datasets import read_arrays, read_ids
from tweet_topics.params import load_sections
from tweet_topics.reduce import REDUCE_SECTIONS, apply_reducer, fit_reducer, save_reducer
from tweet_topics.stage import run_stage

IN_DIR = Path("data/04_embeddings")
ENCODER_FILE = IN_DIR / "encoder.json"
OUT_DIR = Path("data/05_reduced")
MODEL_FILE = Path("models/reducer.npz")


def main() -> None:
    params = load_sections(*REDUCE_SECTIONS)
    embeddings = read_arrays(IN_DIR, lazy=True)
    ids = read_ids(IN_DIR)
    encoder = read_json(ENCODER_FILE)
    reducer, discovery = fit_reducer(embeddings["discovery"], params)  # reads only the rows it fits
    with atomic_dir(OUT_DIR) as tmp:
        for split, vectors in embeddings.items():
            np.save(tmp / f"{split}.npy", discovery if split == "discovery" else apply_reducer(reducer, vectors))
            np.save(tmp / f"{split}_ids.npy", ids[split])
    save_reducer(MODEL_FILE, reducer, encoder)


if __name__ == "__main__":
    run_stage("reduce", main)
