"""reduce: PCA fitted on the discovery embeddings, applied to every split."""

from pathlib import Path

import joblib
import numpy as np

from tweet_topics.atomic import atomic_dir, atomic_file
from tweet_topics.datasets import read_arrays, read_ids
from tweet_topics.params import load_section
from tweet_topics.reduce import apply_pca, fit_pca
from tweet_topics.stage import run_stage

IN_DIR = Path("data/04_embeddings")
OUT_DIR = Path("data/05_reduced")
MODEL_FILE = Path("models/pca.joblib")


def main() -> None:
    params = load_section("pca")
    embeddings = read_arrays(IN_DIR, mmap=True)
    ids = read_ids(IN_DIR)
    pca = fit_pca(np.asarray(embeddings["discovery"]), params["n_components"], params["seed"])
    with atomic_dir(OUT_DIR) as tmp:
        for split, vectors in embeddings.items():
            np.save(tmp / f"{split}.npy", apply_pca(pca, vectors))
            np.save(tmp / f"{split}_ids.npy", ids[split])
    with atomic_file(MODEL_FILE) as tmp:
        joblib.dump(pca, tmp)


if __name__ == "__main__":
    run_stage("reduce", main)
