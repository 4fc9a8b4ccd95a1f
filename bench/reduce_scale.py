"""What reduce costs at full scale: the rate at which each reduction places tweets into a reducer fitted on 50,000
(the pipeline's `max_fit_tweets`), measured in one process, and the time that rate gives for the 1.45M tweets that
reduce transforms at 1.5M inbound tweets.

    .venv/bin/python bench/reduce_scale.py [--run .] [--points 20000]

The reference set is the run's discovery embeddings, repeated with a small perturbation up to 50,000 rows (the cost
of placing a point depends on the reference's size, not on what it holds). UMAP's reducer gets a random 5-d layout
of that reference: its projection (neighbours, then an optimisation per point) costs the same on any layout, so
the fit, minutes on 2 cores, is skipped. Both place the same points the way the reduce stage does
(`reduce.apply_reducer`).
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from tweet_topics.params import load_sections  # noqa: E402
from tweet_topics.reduction.neighbours import normalise_rows  # noqa: E402
from tweet_topics.reduction.reduce import REDUCE_SECTIONS, UmapReducer, apply_reducer, fit_reducer  # noqa: E402

REFERENCE_SIZE = 50_000
FULL_SCALE_TRANSFORMED = 1_450_000  # 1.5M inbound tweets less the 50,000 fitted ones
PERTURBATION = 0.02


def perturbed_copies(embeddings: np.ndarray, size: int, seed: int) -> np.ndarray:
    rows = np.random.default_rng(seed).integers(0, len(embeddings), size=size)
    noise = np.random.default_rng(seed + 1).normal(0.0, PERTURBATION, size=(size, embeddings.shape[1]))
    return normalise_rows(embeddings[rows] + noise.astype(np.float32))


def timed_rate(reducer, points: np.ndarray) -> float:
    apply_reducer(reducer, points[:256])  # warm: numba compilation, page faults
    started = time.perf_counter()
    apply_reducer(reducer, points)
    return len(points) / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=REPO, help="a project whose data/ holds a pipeline run")
    parser.add_argument("--points", type=int, default=20_000, help="tweets placed per reducer")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "reduce_scale.json")
    args = parser.parse_args(argv)

    discovery = np.load(args.run / "data" / "04_embeddings" / "discovery.npy")
    reference = perturbed_copies(discovery, REFERENCE_SIZE, seed=0)
    points = perturbed_copies(discovery, args.points, seed=2)
    params = load_sections(*REDUCE_SECTIONS, path=args.run / "params.yaml")
    params["smoothing"] = {**params["smoothing"], "max_fit_tweets": REFERENCE_SIZE}

    started = time.perf_counter()
    smoothed, _ = fit_reducer(reference, {**params, "reduce": {"method": "smoothed-pca"}})
    smoothed_fit = time.perf_counter() - started
    umap = params["umap"]
    layout = np.random.default_rng(0).normal(size=(REFERENCE_SIZE, umap["n_components"])).astype(np.float32)
    umap_reducer = UmapReducer(reference=reference, layout=layout, fitted_rows=np.arange(REFERENCE_SIZE),
                               a=1.577, b=0.895, n_neighbors=umap["n_neighbors"], seed=umap["seed"])

    rates = {"smoothed-pca": timed_rate(smoothed, points), "umap": timed_rate(umap_reducer, points)}
    results = {
        "machine": {"cpus": os.cpu_count()},
        "reference_size": REFERENCE_SIZE, "points": args.points,
        "smoothed_pca_fit_seconds": round(smoothed_fit, 1),
        "tweets_per_second": {name: round(rate, 1) for name, rate in rates.items()},
        "minutes_for_1_45m": {name: round(FULL_SCALE_TRANSFORMED / rate / 60, 1) for name, rate in rates.items()},
        "umap_over_smoothed_pca": round(rates["smoothed-pca"] / rates["umap"], 2),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(json.dumps(results, indent=2), file=sys.stderr)


if __name__ == "__main__":
    main()
