"""Benchmark: reduce (and the KMeans after it) at full scale: the rate at which each reduction places tweets, and
what fitting on a sample instead of every tweet costs in quality.

    .venv/bin/python bench/reduce_scale.py [--run .] [--points 20000] [--out bench/results/reduce_scale.json]
    .venv/bin/python bench/reduce_scale.py --fit-sample [--run .] [--out bench/results/fit_sample.json]

Both read a pipeline run (`dvc repro` or `dvc pull` in the project `--run`).

The rate (the default): tweets placed per second into a reducer fitted on smoothing.max_fit_tweets (50,000)
stand-in tweets (`reduction.stand_in`: the run's discovery embeddings, perturbed copies; the cost of placing a point
depends on the reference's size, not on what it holds), measured in one process, and the time that rate gives for
the 1.45M tweets reduce places at 1.5M inbound tweets. UMAP's reducer gets a random 5-d layout of that reference:
its projection (neighbours, then an optimisation per point) costs the same on any layout, so the fit, minutes on 2
cores, is skipped. Both place the same points the way the reduce stage does (`reduce.apply_reducer`).

The fit sample (`--fit-sample`): at 1.5M tweets the discovery split has about 1.08M rows, so kmeans.max_fit_tweets
and pca.max_fit_tweets (200,000) fit on 18.5% of it, smoothing.max_fit_tweets (50,000) on about 5%. The same
fractions of the run's discovery split are fitted here and compared with a fit on every row:
- KMeans on the reduced vectors (data/05_reduced): adjusted Rand index of every discovery and evaluation tweet's
  topic against the full Lloyd fit (and against another seed, KMeans' own noise floor), inertia relative to it,
  silhouette; MiniBatchKMeans too;
- the reducer (reduce.method) on the embeddings (data/04_embeddings): the ARI of the topics that a full KMeans finds
  on each reducer's vectors against those on the full fit's;
- the labelled set (labelled.path), embedded by the pipeline's own steps: agreement of the clusters with the human
  labels, for each KMeans and each reducer variant.
"""

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

from tweet_topics.chain.topic_chain import TopicChain
from tweet_topics.discovery.cluster import fit_kmeans
from tweet_topics.evaluation.agreement import agreement_scores
from tweet_topics.evaluation.labelled import read_labelled_csv
from tweet_topics.evaluation.quality import partition_quality
from tweet_topics.io.datasets import read_arrays
from tweet_topics.params import (
    CHAIN_SECTIONS,
    REDUCE_SECTIONS,
    ChainParams,
    KMeansParams,
    ReductionParams,
    load_section,
    load_sections,
)
from tweet_topics.paths import EMBEDDINGS, PARAMS, REDUCED
from tweet_topics.reduction.reduce import apply_reducer, fit_reducer
from tweet_topics.reduction.stand_in import FULL_SCALE_PLACED, perturbed_copies
from tweet_topics.reduction.umap_reducer import UmapReducer

REPO = Path(__file__).resolve().parents[1]
FULL_SCALE_FRACTION = 200_000 / 1_080_000  # the default kmeans/pca.max_fit_tweets at 1.5M tweets
FRACTIONS = {"18.5%": FULL_SCALE_FRACTION, "5%": 0.05}
FIT_SAMPLE_SECTION = {"smoothed-pca": "smoothing", "pca": "pca", "umap": "umap"}  # whose max_fit_tweets, by method


def timed_rate(reducer, points: np.ndarray) -> float:
    apply_reducer(reducer, points[:256])  # warm: numba compilation, page faults
    started = time.perf_counter()
    apply_reducer(reducer, points)
    return len(points) / (time.perf_counter() - started)


def placing_rate(run: Path, n_points: int) -> dict:
    discovery = np.load(run / EMBEDDINGS / "discovery.npy")
    reduction = ReductionParams.from_sections(load_sections(*REDUCE_SECTIONS, path=run / PARAMS))
    reference_size = reduction.smoothing.max_fit_tweets
    reference = perturbed_copies(discovery, reference_size, seed=0)
    points = perturbed_copies(discovery, n_points, seed=2)

    started = time.perf_counter()
    smoothed, _ = fit_reducer(reference, replace(reduction, reduce=replace(reduction.reduce, method="smoothed-pca")))
    smoothed_fit = time.perf_counter() - started
    umap = reduction.umap
    layout = np.random.default_rng(0).normal(size=(reference_size, umap.n_components)).astype(np.float32)
    umap_reducer = UmapReducer(reference=reference, layout=layout, fitted_rows=np.arange(reference_size),
                               a=1.577, b=0.895, n_neighbors=umap.n_neighbors, seed=umap.seed)

    rates = {"smoothed-pca": timed_rate(smoothed, points), "umap": timed_rate(umap_reducer, points)}
    return {
        "machine": {"cpus": os.cpu_count()},
        "reference_size": reference_size, "points": n_points,
        "smoothed_pca_fit_seconds": round(smoothed_fit, 1),
        "tweets_per_second": {name: round(rate, 1) for name, rate in rates.items()},
        "minutes_for_1_45m": {name: round(FULL_SCALE_PLACED / rate / 60, 1) for name, rate in rates.items()},
        "umap_over_smoothed_pca": round(rates["smoothed-pca"] / rates["umap"], 2),
    }


def kmeans_variants(n_rows: int, seed: int) -> dict[str, dict]:
    """kmeans params overrides by name: the full Lloyd fit first, the reference; then the same with another seed,
    the noise floor (KMeans itself moves that much between seeds)."""
    variants = {"lloyd, all rows": {"algorithm": "lloyd", "max_fit_tweets": n_rows},
                f"lloyd, all rows, seed {seed + 1}": {"algorithm": "lloyd", "max_fit_tweets": n_rows, "seed": seed + 1}}
    for name, fraction in FRACTIONS.items():
        variants[f"lloyd, sample {name}"] = {"algorithm": "lloyd", "max_fit_tweets": round(fraction * n_rows)}
    variants["minibatch, all rows"] = {"algorithm": "minibatch", "max_fit_tweets": n_rows}
    variants[f"minibatch, sample {next(iter(FRACTIONS))}"] = {"algorithm": "minibatch",
                                                             "max_fit_tweets": round(FULL_SCALE_FRACTION * n_rows)}
    return variants


def reducer_variants(reduction: ReductionParams, n_rows: int) -> dict[str, ReductionParams]:
    """The reduction params with the reducer's max_fit_tweets set to every row, then to each fraction of them, by
    name."""
    section = FIT_SAMPLE_SECTION[reduction.reduce.method]
    sizes = {"all rows": n_rows, **{f"sample {name}": round(fraction * n_rows) for name, fraction in FRACTIONS.items()}}
    return {name: replace(reduction, **{section: replace(getattr(reduction, section), max_fit_tweets=size)})
            for name, size in sizes.items()}


def full_kmeans(features: np.ndarray, k: int, kmeans: KMeansParams) -> np.ndarray:
    full = replace(kmeans, n_clusters=k, algorithm="lloyd", max_fit_tweets=len(features))
    return fit_kmeans(features, full).predict(features)


def tweet_kmeans(run: Path, params: ChainParams) -> list[dict]:
    reduced = read_arrays(run / REDUCED)
    discovery, evaluation = reduced["discovery"], reduced["evaluation"]
    k = params.kmeans.n_clusters
    rows, reference = [], None
    for name, override in kmeans_variants(len(discovery), params.kmeans.seed).items():
        started = time.perf_counter()
        model = fit_kmeans(discovery, replace(params.kmeans, **override))
        seconds = time.perf_counter() - started
        labels = np.concatenate([model.predict(discovery), model.predict(evaluation)])
        inertia = float(-model.score(discovery))
        reference = reference or {"labels": labels, "inertia": inertia}
        quality = partition_quality(discovery, labels[:len(discovery)], k, params.kmeans.seed)
        rows.append({"variant": name, "fitted_rows": min(override["max_fit_tweets"], len(discovery)),
                     "ari_vs_full": round(adjusted_rand_score(reference["labels"], labels), 4),
                     "inertia_vs_full": round(inertia / reference["inertia"], 4),
                     "silhouette_cosine": quality["silhouette_cosine"], "fit_s": round(seconds, 2)})
    return rows


def tweet_reducer(run: Path, params: ChainParams) -> list[dict]:
    embeddings = read_arrays(run / EMBEDDINGS)["discovery"]
    k, rows, reference = params.kmeans.n_clusters, [], None
    for name, variant in reducer_variants(params.reduction, len(embeddings)).items():
        started = time.perf_counter()
        _, reduced = fit_reducer(embeddings, variant)
        seconds = time.perf_counter() - started
        labels = full_kmeans(reduced, k, params.kmeans)
        reference = reference if reference is not None else labels
        rows.append({"variant": f"{params.reduction.reduce.method}, {name}", "fit_and_place_s": round(seconds, 2),
                     "topic_ari_vs_full": round(adjusted_rand_score(reference, labels), 4)})
    return rows


def labelled(run: Path, params: ChainParams) -> list[dict]:
    frame = read_labelled_csv(run / load_section("labelled", run / PARAMS).path)
    truth, k = frame["label"].to_numpy(), int(frame["label"].nunique())
    chain = TopicChain.from_params(params)
    embeddings = chain.embed(frame["text"].tolist())
    method, rows = params.reduction.reduce.method, []
    _, reduced = chain.topic_steps.fit_reducer(embeddings)
    for name, override in kmeans_variants(len(embeddings), params.kmeans.seed).items():
        clusters = fit_kmeans(reduced, replace(params.kmeans, n_clusters=k, **override)).predict(reduced)
        rows.append({"variant": f"{method} + kmeans {name}", **_agreement(truth, clusters)})
    for name, variant in reducer_variants(params.reduction, len(embeddings)).items():
        _, reduced = fit_reducer(embeddings, variant)
        rows.append({"variant": f"{method} {name} + kmeans lloyd, all rows",
                     **_agreement(truth, full_kmeans(reduced, k, params.kmeans))})
    return rows


def _agreement(truth: np.ndarray, clusters: np.ndarray) -> dict:
    scores = agreement_scores(truth, clusters)
    return {key: scores[key] for key in ("accuracy", "nmi", "ari")}


def markdown(rows: list[dict]) -> str:
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(row[key]) for key in header) + " |" for row in rows]
    return "\n".join(lines)


def fit_sample(run: Path) -> dict:
    params = ChainParams.from_sections(load_sections(*CHAIN_SECTIONS, path=run / PARAMS))
    tables = {"tweets: kmeans on data/05_reduced": tweet_kmeans(run, params),
              f"tweets: {params.reduction.reduce.method} on data/04_embeddings": tweet_reducer(run, params),
              "labelled set: agreement with human labels": labelled(run, params)}
    for title, rows in tables.items():
        print(f"\n{title}\n\n{markdown(rows)}")
    return {"machine": {"cpus": os.cpu_count()}, "tables": tables}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=REPO, help="a project whose data/ holds a pipeline run")
    parser.add_argument("--fit-sample", action="store_true", help="quality of fitting on a sample, not the rate")
    parser.add_argument("--points", type=int, default=20_000, help="tweets placed per reducer (the rate)")
    parser.add_argument("--out", type=Path, help="default: bench/results/reduce_scale.json (--fit-sample: "
                                                 "bench/results/fit_sample.json)")
    args = parser.parse_args(argv)
    out = args.out or REPO / "bench" / "results" / ("fit_sample.json" if args.fit_sample else "reduce_scale.json")
    results = fit_sample(args.run) if args.fit_sample else placing_rate(args.run, args.points)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    if not args.fit_sample:
        print(json.dumps(results, indent=2), file=sys.stderr)


if __name__ == "__main__":
    main()
