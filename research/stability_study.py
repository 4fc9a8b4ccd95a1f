"""Which reduction + clustering gives topics that are stable (the same on any machine and for any seed) and still
find human intents (issue #18)? One run gives the table in docs/PIPELINE.md ("Stable topics").

For each configuration:
- tweets: the discovery embeddings of a pipeline run (default: data/04_embeddings/discovery.npy) at k = 8.
  End-to-end stability is tweet_topics.evaluation.stability's: the mean ARI over the pairs of --refits refits, each on
  its own Gaussian noise (sigma 1e-6) with every seed shifted. "vs unperturbed" is the mean ARI of those refits
  against one fit on the exact embeddings with the base seeds: what a second machine would see. NMI(topic, brand)
  is that unperturbed fit's against the addressed brand (data/03_preprocessed). Seconds are per fit.
- CLINC150 (k = 150): ACC (Hungarian), NMI and ARI, mean over --seeds (every seed of the chain shifted).

The pipeline's own methods (pca, umap, smoothed-pca) run through tweet_topics' code; two rejected ideas are
prototyped here: a consensus of 5 UMAP layouts (KMeans on the concatenated one-hot topics) and spectral clustering
of the kNN graph (20 eigenvectors of the normalised adjacency, rows normalised).

    .venv/bin/python research/stability_study.py [--only NAME ...] [--out research/results/stability_study.json]
"""

import argparse
import json
import sys
import time
import warnings
from dataclasses import replace
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.linalg import eigsh
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from tweet_topics.chain.topics import TopicSteps
from tweet_topics.evaluation.agreement import agreement_scores
from tweet_topics.evaluation.stability import perturbed
from tweet_topics.params import CHAIN_SECTIONS, REDUCE_SECTIONS, ChainParams, load_sections
from tweet_topics.reduction.neighbours import membership_strengths, nearest_others, normalise_rows
from tweet_topics.threads import single_thread

REPO = Path(__file__).resolve().parents[1]
CLINC = REPO / "data" / "labelled" / "clinc150" / "test.csv.xz"

def smoothed(steps: int, neighbours: int, n_init: int = 100, pca: int | None = None, note: str = "") -> tuple:
    """A smoothed-pca configuration: its name in the table, method and overrides."""
    name = (f"smoothed-pca, {steps} step{'s' if steps > 1 else ''}, {neighbours} neighbours"
            f"{f', PCA {pca}' if pca else ''} (n_init {n_init}){note}")
    overrides = {"reduce": {"method": "smoothed-pca"}, "smoothing": {"steps": steps, "n_neighbors": neighbours},
                 **({"pca": {"n_components": pca}} if pca else {}), "kmeans": {"n_init": n_init}}
    return name, "pipeline", overrides


# id -> (what the table calls it, method, overrides of params.yaml sections); methods: pipeline | consensus | spectral
CONFIGS = {
    "umap": ("umap 5-d + KMeans (n_init 10): the previous default", "pipeline",
             {"reduce": {"method": "umap"}, "kmeans": {"n_init": 10}}),
    "pca": ("PCA 50 + KMeans (n_init 10): the seed's way", "pipeline",
            {"reduce": {"method": "pca"}, "kmeans": {"n_init": 10}}),
    "pca_n100": ("PCA 50 + KMeans (n_init 100)", "pipeline", {"reduce": {"method": "pca"}, "kmeans": {"n_init": 100}}),
    "umap_n100": ("umap 5-d + KMeans (n_init 100)", "pipeline",
                  {"reduce": {"method": "umap"}, "kmeans": {"n_init": 100}}),
    "umap_consensus": ("consensus of 5 umap layouts", "consensus", {"kmeans": {"n_init": 10}}),
    "spectral": ("spectral, 20 eigenvectors of the kNN graph", "spectral", {"kmeans": {"n_init": 100}}),
    "smoothed_n10": smoothed(1, 15, n_init=10),
    "smoothed": smoothed(1, 15),
    "smoothed_2_steps": smoothed(2, 15),
    "smoothed_30_neighbours": smoothed(1, 30, note=": the default"),
    "smoothed_50_neighbours": smoothed(1, 50),
    "smoothed_30_neighbours_2_steps": smoothed(2, 30),
    "smoothed_pca20": smoothed(1, 15, pca=20),
}


def configured(base: ChainParams, overrides: dict) -> TopicSteps:
    """The chain's topic steps with params.yaml's sections changed by `overrides` (section -> values)."""
    reduction = replace(base.reduction, **{name: replace(getattr(base.reduction, name), **overrides[name])
                                           for name in REDUCE_SECTIONS if name in overrides})
    return TopicSteps(reduction, replace(base.kmeans, **overrides.get("kmeans", {})))


def topics(method: str, embeddings: np.ndarray, steps: TopicSteps, k: int) -> np.ndarray:
    """The topics of `embeddings` by one configuration, with the seeds in `steps`."""
    steps = replace(steps, kmeans=replace(steps.kmeans, max_fit_tweets=len(embeddings)))
    if method == "pipeline":
        return steps.topics(embeddings, k)
    if method == "consensus":
        return consensus_topics(embeddings, steps, k)
    return spectral_topics(embeddings, steps, k)


def consensus_topics(embeddings: np.ndarray, steps: TopicSteps, k: int, layouts: int = 5) -> np.ndarray:
    one_hot = []
    reduction, kmeans = steps.reduction, steps.kmeans
    for layout in range(layouts):
        shifted = TopicSteps(replace(reduction, reduce=replace(reduction.reduce, method="umap"),
                                     umap=replace(reduction.umap, seed=reduction.umap.seed + layout)),
                             replace(kmeans, seed=kmeans.seed + layout))
        labels = topics("pipeline", embeddings, shifted, k)
        one_hot.append(np.eye(k, dtype=np.float32)[labels])
    return steps.fit_topics(np.hstack(one_hot), k).predict(np.hstack(one_hot))


def spectral_topics(embeddings: np.ndarray, steps: TopicSteps, k: int, n_vectors: int = 20) -> np.ndarray:
    unit = normalise_rows(embeddings)
    n = len(unit)
    indices, distances = nearest_others(unit, unit, 15, np.arange(n))
    directed = sparse.csr_matrix((membership_strengths(distances).ravel(), (np.repeat(np.arange(n), 15),
                                                                             indices.ravel())), shape=(n, n))
    graph = directed + directed.T - directed.multiply(directed.T)
    scale = sparse.diags(1 / np.sqrt(np.asarray(graph.sum(axis=1)).ravel()))
    start = np.random.default_rng(steps.kmeans.seed).random(n)
    with single_thread():
        values, vectors = eigsh(scale @ graph @ scale, k=n_vectors + 1, which="LA", v0=start)
    vectors = normalise_rows(vectors[:, np.argsort(-values)[1:]])
    return KMeans(k, random_state=steps.kmeans.seed, n_init=steps.kmeans.n_init).fit_predict(vectors)


def tweet_scores(method: str, embeddings: np.ndarray, brands: np.ndarray, steps: TopicSteps, refits: int) -> dict:
    start = time.perf_counter()
    exact = topics(method, embeddings, steps, 8)
    seconds = time.perf_counter() - start
    noisy = [topics(method, perturbed(embeddings, 1e-6, refit), steps.reseeded(refit), 8)
             for refit in range(refits)]
    return {"stability_ari": float(np.mean([adjusted_rand_score(a, b) for a, b in combinations(noisy, 2)])),
            "ari_vs_unperturbed": float(np.mean([adjusted_rand_score(exact, labels) for labels in noisy])),
            "nmi_topic_brand": float(normalized_mutual_info_score(brands, exact)),
            "seconds_per_fit": round(seconds, 1)}


def clinc_scores(method: str, embeddings: np.ndarray, truth: np.ndarray, steps: TopicSteps, seeds: list[int]) -> dict:
    runs = [agreement_scores(truth, topics(method, embeddings, steps.reseeded(seed), 150)) for seed in seeds]
    return {f"clinc_{name}": float(np.mean([run[name] for run in runs])) for name in ("accuracy", "nmi", "ari")}


def clinc_embeddings(params: ChainParams) -> tuple[np.ndarray, np.ndarray]:
    """CLINC150's embedding views (whatever featurize.text_view says), embedded on the CPU in float32."""
    from tweet_topics.chain.embedding import EmbeddingSteps

    frame = pd.read_csv(CLINC)
    featurize = replace(params.featurize, text_view="embedding", device="cpu", dtype="float32")
    steps = EmbeddingSteps.from_params(params.preprocess, featurize)
    return steps.embed(frame["text"].tolist()), frame["label"].to_numpy()


def table(results: dict) -> str:
    lines = ["| configuration | stability (ARI) | vs unperturbed | NMI(topic, brand) | CLINC150 ACC | NMI | ARI "
             "| s / fit |", "|---|---|---|---|---|---|---|---|"]
    for key, r in results.items():
        lines.append(f"| {CONFIGS[key][0]} | {r['stability_ari']:.3f} | {r['ari_vs_unperturbed']:.3f} | "
                     f"{r['nmi_topic_brand']:.3f} | {r['clinc_accuracy']:.3f} | {r['clinc_nmi']:.3f} | "
                     f"{r['clinc_ari']:.3f} | {r['seconds_per_fit']:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=REPO, help="a project whose data/ holds a pipeline run")
    parser.add_argument("--only", nargs="+", choices=CONFIGS, help="configuration ids to run (default: all)")
    parser.add_argument("--refits", type=int, default=4)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=REPO / "research" / "results" / "stability_study.json")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)

    base = ChainParams.from_sections(load_sections(*CHAIN_SECTIONS, path=args.run / "params.yaml"))
    embeddings = np.load(args.run / "data" / "04_embeddings" / "discovery.npy")
    brands = pd.read_parquet(args.run / "data" / "03_preprocessed" / "discovery.parquet", columns=["brand"])
    clinc, truth = clinc_embeddings(base)
    results = json.loads(args.out.read_text()) if args.out.is_file() else {}
    for key, (name, method, overrides) in CONFIGS.items():
        if args.only and key not in args.only:
            continue
        steps = configured(base, overrides)
        print(f"{name} ...", file=sys.stderr, flush=True)
        results[key] = {"name": name,
                        **tweet_scores(method, embeddings, brands["brand"].to_numpy(), steps, args.refits),
                        **clinc_scores(method, clinc, truth, steps, args.seeds)}
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    ordered = {key: results[key] for key in CONFIGS if key in results}
    print(f"{len(embeddings)} discovery tweets of {args.run}, k = 8; CLINC150, k = 150, seeds {args.seeds}\n")
    print(table(ordered))


if __name__ == "__main__":
    main()
