"""reduce: PCA or UMAP (reduce.method) fitted on the discovery embeddings, applied to every split."""

from pathlib import Path

import joblib
import numpy as np

from tweet_topics.atomic import atomic_dir, atomic_file
from tweet_topics.datasets import read_arrays, read_ids
from tweet_topics.params import load_section
from tweet_topics.reduce import apply_reducer, fit_reducer
from tweet_topics.stage import run_stage

IN_DIR = Path("data/04_embeddings")
OUT_DIR = Path("data/05_reduced")
MODEL_FILE = Path("models/reducer.joblib")


def main() -> None:
    method = load_section("reduce")["method"]
    pca, umap = load_section("pca"), load_section("umap")
    embeddings = read_arrays(IN_DIR, mmap=True)
    ids = read_ids(IN_DIR)
    reducer = fit_reducer(np.asarray(embeddings["discovery"]), method, pca, umap)
    with atomic_dir(OUT_DIR) as tmp:
        for split, vectors in embeddings.items():
            np.save(tmp / f"{split}.npy", apply_reducer(reducer, vectors))
            np.save(tmp / f"{split}_ids.npy", ids[split])
    with atomic_file(MODEL_FILE) as tmp:
        joblib.dump(reducer, tmp)


if __name__ == "__main__":
    run_stage("reduce", main)
