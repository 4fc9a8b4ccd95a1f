"""Benchmark: how many pseudo-labels move when the pipeline runs with 1 CPU thread instead of 2.

    python bench/thread_drift.py [--threads 1 2]

Run it after `dvc repro`, from the repository root. For each thread count it runs, in a fresh process with
OMP/OpenBLAS/MKL/numba threads set to that count, the reduce and cluster steps on the committed embeddings
(data/04_embeddings) with params.yaml, and the trained classifier's routing of every split. Float sums in BLAS and
OpenMP can be ordered differently with another thread count; this prints how many tweets end in another topic
(goal, issue #8: at most 0.1%).
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def labels_with_current_threads(out: Path) -> None:
    from tweet_topics.discovery.cluster import fit_kmeans
    from tweet_topics.io.datasets import read_arrays
    from tweet_topics.params import load_section
    from tweet_topics.reduction.reduce import apply_reducer, fit_reducer
    from tweet_topics.routing.classify import train_classifier

    embeddings = read_arrays(Path("data/04_embeddings"), lazy=True)
    kmeans, train = load_section("kmeans"), load_section("train")
    reducer, discovery = fit_reducer(np.asarray(embeddings["discovery"]), load_section("reduce")["method"],
                                     load_section("pca"), load_section("umap"))
    reduced = {"discovery": discovery, **{split: apply_reducer(reducer, vectors)
                                          for split, vectors in embeddings.items() if split != "discovery"}}
    clusters = fit_kmeans(discovery, kmeans["n_clusters"], kmeans)
    pseudo = {split: clusters.predict(features) for split, features in reduced.items()}
    classifier = train_classifier(discovery, pseudo["discovery"], train["C"], train["class_weight"],
                                  train["max_iter"])
    routed = {split: classifier.predict(features) for split, features in reduced.items()}
    np.savez(out, layout=discovery, **{f"pseudo_{s}": v for s, v in pseudo.items()},
             **{f"routed_{s}": v for s, v in routed.items()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs=2, default=[1, 2])
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        labels_with_current_threads(args.worker)
        return
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for threads in args.threads:
            out = Path(tmp) / f"{threads}.npz"
            env = {**os.environ, **{variable: str(threads) for variable in THREAD_VARIABLES}}
            subprocess.run([sys.executable, __file__, "--worker", str(out)], env=env, check=True)
            with np.load(out) as stored:
                results[threads] = {name: stored[name] for name in stored.files}
    from scipy.optimize import linear_sum_assignment
    from sklearn.metrics import adjusted_rand_score, confusion_matrix

    first, second = (results[t] for t in args.threads)
    print(f"discovery layout: mean |change| {np.abs(first['layout'] - second['layout']).mean():.4g},"
          f" identical: {np.array_equal(first['layout'], second['layout'])}")
    for kind in ("pseudo", "routed"):
        names = [name for name in first if name.startswith(kind)]
        a, b = (np.concatenate([labels[n] for n in names]) for labels in (first, second))
        rows, cols = linear_sum_assignment(-confusion_matrix(a, b))  # the same topics may get other numbers
        matched = int(confusion_matrix(a, b)[rows, cols].sum())
        print(f"{kind} labels, {args.threads[0]} vs {args.threads[1]} threads: {int((a != b).sum())} of {len(a)}"
              f" tweets have another topic id; after matching topic ids {len(a) - matched}"
              f" ({100 * (len(a) - matched) / len(a):.3f}%) moved; ARI {adjusted_rand_score(a, b):.4f}")


if __name__ == "__main__":
    main()
