"""Which reduction + clustering default recovers CLINC150's 150 intents best (issue #4, labelled evaluation).

Embeds the labelled requests once per text view (cached as .npy under --cache), then runs every configuration
in CONFIGS with k = the number of labels for each seed and prints a markdown table of mean ± std ACC (Hungarian),
NMI and ARI with the mean wall time per seed (reduction + clustering; embedding excluded). Results of finished
configurations are cached as JSON too, so an interrupted study resumes; --fresh ignores them.

    .venv/bin/python research/clinc_reduction_study.py [CSV] --cache /tmp/clinc_research
"""

import argparse
import hashlib
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import AgglomerativeClustering, KMeans, SpectralClustering
from sklearn.decomposition import PCA

from tweet_topics.evaluation.agreement import agreement_scores

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CSV = REPO / "data" / "labelled" / "clinc150" / "test.csv.xz"  # committed
MODEL = "sentence-transformers/all-MiniLM-L6-v2"

# Fixed before looking at any result; all are reported. Keys:
#   view: raw | embedding (TweetCleaner().embedding_view, only if that cleaner exists)
#   center: subtract the mean embedding first; reduce: None | ("pca", n, whiten) | ("umap", n)
#   l2: re-normalise rows to unit length after reduction (KMeans then ~ spherical k-means)
#   method: ("kmeans", n_init) | ("ward",) | ("spectral", n_neighbors)
CONFIGS = {
    "kmeans": dict(reduce=None, method=("kmeans", 10)),
    "kmeans n_init=50": dict(reduce=None, method=("kmeans", 50)),
    "center+l2 kmeans": dict(center=True, l2=True, reduce=None, method=("kmeans", 10)),
    "pca50 kmeans": dict(reduce=("pca", 50, False), method=("kmeans", 10)),
    "pca50+l2 kmeans": dict(reduce=("pca", 50, False), l2=True, method=("kmeans", 10)),
    "pca50 whiten kmeans": dict(reduce=("pca", 50, True), method=("kmeans", 10)),
    "pca50 whiten+l2 kmeans": dict(reduce=("pca", 50, True), l2=True, method=("kmeans", 10)),
    # added after the first results, as a sensitivity check on the PCA size
    "pca20+l2 kmeans": dict(reduce=("pca", 20, False), l2=True, method=("kmeans", 10)),
    "pca100+l2 kmeans": dict(reduce=("pca", 100, False), l2=True, method=("kmeans", 10)),
    "umap5 kmeans (BERTopic-style)": dict(reduce=("umap", 5), method=("kmeans", 10)),
    "umap10 kmeans": dict(reduce=("umap", 10), method=("kmeans", 10)),
    "umap5 kmeans n_init=50": dict(reduce=("umap", 5), method=("kmeans", 50)),
    "ward": dict(reduce=None, method=("ward",)),
    "umap5 ward": dict(reduce=("umap", 5), method=("ward",)),
    "spectral knn15": dict(reduce=None, method=("spectral", 15)),
    "embedding-view kmeans": dict(view="embedding", reduce=None, method=("kmeans", 10)),
    "embedding-view umap5 kmeans": dict(view="embedding", reduce=("umap", 5), method=("kmeans", 10)),
    # added after the first results: the leading raw-text setting on the pipeline's default text view
    "embedding-view umap10 kmeans": dict(view="embedding", reduce=("umap", 10), method=("kmeans", 10)),
}

SCALING = {
    "kmeans": "yes (MiniBatchKMeans, or fit on a sample + predict)",
    "pca": "yes (fit on a sample, transform all)",
    "umap": "fit on a sample (~50-100k), transform the rest; slow single-threaded with random_state",
    "ward": "no: O(n^2) memory; fit on a sample, assign the rest to the nearest centroid",
    "spectral": "no: kNN graph + eigenvectors of n nodes; sample + nearest centroid only",
}


def text_view(texts: list[str], view: str) -> list[str] | None:
    if view == "raw":
        return texts
    try:
        from tweet_topics.text.cleaner import TweetCleaner
    except ImportError:
        return None  # the project's cleaner is not there yet: skip the configuration
    cleaner = TweetCleaner()
    return [cleaner.embedding_view(text) for text in texts]


def embeddings(texts: list[str], view: str, csv: Path, cache: Path) -> np.ndarray | None:
    viewed = text_view(texts, view)
    if viewed is None:
        return None
    # keyed on the texts as embedded, so a change to the cleaner cannot reuse stale vectors
    digest = hashlib.sha1("\n".join(viewed).encode()).hexdigest()[:10]
    path = cache / f"{csv.stem}-{view}-{digest}-{MODEL.split('/')[-1]}.npy"
    if path.exists():
        return np.load(path)
    from tweet_topics.encoding.weights import load_encoder

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    encoder = load_encoder(MODEL, "cpu")
    vectors = encoder.encode(viewed, batch_size=64, convert_to_numpy=True, show_progress_bar=False)
    np.save(path, vectors.astype(np.float32))
    return np.load(path)


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True).clip(min=1e-12)


def reduce(x: np.ndarray, spec: tuple | None, seed: int) -> np.ndarray:
    if spec is None:
        return x
    if spec[0] == "pca":
        return PCA(n_components=spec[1], whiten=spec[2], random_state=seed).fit_transform(x)
    if spec[0] == "umap":
        import umap

        # BERTopic's defaults; random_state makes it reproducible but single-threaded
        return umap.UMAP(n_neighbors=15, n_components=spec[1], min_dist=0.0, metric="cosine",
                         random_state=seed).fit_transform(x)
    raise ValueError(spec)


def cluster(x: np.ndarray, method: tuple, k: int, seed: int) -> np.ndarray:
    if method[0] == "kmeans":
        return KMeans(n_clusters=k, n_init=method[1], random_state=seed).fit_predict(x)
    if method[0] == "ward":
        return AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(x)
    if method[0] == "spectral":
        return SpectralClustering(n_clusters=k, affinity="nearest_neighbors", n_neighbors=method[1],
                                  random_state=seed).fit_predict(x)
    raise ValueError(method)


def deterministic(config: dict) -> bool:
    """Ward on an unseeded input gives one answer for every seed: run it once."""
    return config["method"][0] == "ward" and (config.get("reduce") or ("pca",))[0] != "umap"


def run_config(name: str, config: dict, vectors: np.ndarray, labels: np.ndarray, seeds: list[int],
               reductions: dict) -> dict:
    k = len(np.unique(labels))
    x = unit(vectors - vectors.mean(axis=0)) if config.get("center") else vectors
    rows = []
    for seed in seeds[:1] if deterministic(config) else seeds:
        # a reduction shared by several configurations is computed once, but its time counts for each
        key = (config.get("view", "raw"), config.get("center", False), config.get("reduce"), seed)
        if key not in reductions:
            start = time.perf_counter()
            reduced = reduce(x, config.get("reduce"), seed)
            reductions[key] = (reduced, time.perf_counter() - start)
        reduced, reduce_seconds = reductions[key]
        start = time.perf_counter()
        features = unit(reduced) if config.get("l2") else reduced
        found = cluster(np.ascontiguousarray(features, dtype=np.float64), config["method"], k, seed)
        seconds = reduce_seconds + time.perf_counter() - start
        rows.append({"seed": seed, "seconds": round(seconds, 2), **agreement_scores(labels, found)})
        print(f"  {name} seed {seed}: {rows[-1]}", file=sys.stderr, flush=True)
    return {"name": name, "config": {key: value for key, value in config.items()}, "runs": rows}


def table(results: list[dict]) -> str:
    lines = ["| # | configuration | ACC | NMI | ARI | s / seed | seeds |", "|---|---|---|---|---|---|---|"]
    for number, result in enumerate(results, 1):
        runs = pd.DataFrame(result["runs"])
        cells = [f"{runs[m].mean():.3f} ± {runs[m].std(ddof=0):.3f}" for m in ("accuracy", "nmi", "ari")]
        seeds = ",".join(str(s) for s in runs["seed"]) + (" (deterministic)" if len(runs) == 1 else "")
        lines.append(f"| {number} | {result['name']} | {' | '.join(cells)} | {runs['seconds'].mean():.1f} "
                     f"| {seeds} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="?", type=Path, default=DEFAULT_CSV, help="labelled CSV with text,label")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/clinc_research"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--only", nargs="+", help="run only these configuration names")
    parser.add_argument("--fresh", action="store_true", help="rerun the selected configurations")
    args = parser.parse_args(argv)

    args.cache.mkdir(parents=True, exist_ok=True)
    frame = pd.read_csv(args.csv)
    texts, labels = frame["text"].astype(str).tolist(), frame["label"].astype(str).to_numpy()
    results_path = args.cache / f"results-{args.csv.stem}.json"
    done = json.loads(results_path.read_text()) if results_path.exists() else {}

    selected = {name: config for name, config in CONFIGS.items() if not args.only or name in args.only}
    pending = {name: config for name, config in selected.items()
               if args.fresh or name not in done or [r["seed"] for r in done[name]["runs"]] not in (args.seeds,
                                                                                                   args.seeds[:1])}
    if any((config.get("reduce") or ("",))[0] == "umap" for config in pending.values()):
        import umap  # compile numba's kernels on a toy input so the first timed run is not charged for it

        warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)  # random_state's doing

        # (above 4096 rows UMAP switches from exact neighbours to NN-descent, which compiles separately)
        toy = np.random.default_rng(0).random((4200, 8))
        umap.UMAP(n_components=5, metric="cosine", n_epochs=5, random_state=0).fit_transform(toy)

    reductions: dict = {}
    for name, config in pending.items():
        vectors = embeddings(texts, config.get("view", "raw"), args.csv, args.cache)
        if vectors is None:
            print(f"skipped {name}: tweet_topics.text.cleaner.TweetCleaner is not available", file=sys.stderr)
            continue
        done[name] = run_config(name, config, vectors, labels, args.seeds, reductions)
        results_path.write_text(json.dumps(done, indent=1, default=str))

    ordered = [done[name] for name in selected if name in done]
    print(f"{args.csv} — {len(texts)} texts, {len(set(labels))} labels, k = {len(set(labels))}, {MODEL}\n")
    print(table(ordered))
    print("\nScaling to ~1.5M tweets:")
    for method, note in SCALING.items():
        print(f"- {method}: {note}")


if __name__ == "__main__":
    main()
