"""What fitting PCA and KMeans on a sample (pca/kmeans.max_fit_tweets) or in mini-batches (kmeans.algorithm) costs
in quality, against a full fit, on the pipeline's own discovery embeddings and on the human-labelled set.

At 1.5M tweets the discovery split has about 1.08M rows, so the default max_fit_tweets of 200,000 fits on 18.5% of
it. This script fits on the same fractions of the sample's discovery split (and on 5%, a harsher case), and compares:
- KMeans on the reduced vectors (data/05_reduced, UMAP by default): adjusted Rand index of every discovery and
  evaluation tweet's topic against the full Lloyd fit, inertia over all discovery tweets relative to it, silhouette;
- PCA on the embeddings (data/04_embeddings): share of the full fit's captured variance, and the ARI of the topics
  that a full KMeans finds on each PCA's vectors;
- the labelled set (labelled.path): agreement of the clusters with the human labels, for each variant.

Run from the project root after `dvc repro` (or `dvc pull`):
    python bench/fit_scaling.py [--out bench_fit_scaling.json]
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tweet_topics.discovery.cluster import fit_kmeans  # noqa: E402
from tweet_topics.discovery.quality import partition_quality  # noqa: E402
from tweet_topics.encoding.embed import Encoder  # noqa: E402
from tweet_topics.encoding.encoder import EncoderSpec  # noqa: E402
from tweet_topics.evaluation.labelled import agreement_scores  # noqa: E402
from tweet_topics.evaluation.labelled_eval import PIPELINE_SECTIONS, read_labelled_csv  # noqa: E402
from tweet_topics.io.datasets import read_arrays  # noqa: E402
from tweet_topics.params import load_section  # noqa: E402
from tweet_topics.reduction.reduce import apply_reducer, fit_reducer  # noqa: E402
from tweet_topics.text.cleaner import TweetCleaner  # noqa: E402

FULL_SCALE_FRACTION = 200_000 / 1_080_000  # the default max_fit_tweets at 1.5M tweets
FRACTIONS = {"18.5%": FULL_SCALE_FRACTION, "5%": 0.05}


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


def pca_variants(n_rows: int) -> dict[str, int]:
    return {"all rows": n_rows, **{f"sample {name}": round(fraction * n_rows) for name, fraction in FRACTIONS.items()}}


def tweet_kmeans(params: dict) -> list[dict]:
    reduced = read_arrays(Path("data/05_reduced"))
    discovery, evaluation = reduced["discovery"], reduced["evaluation"]
    k = params["kmeans"]["n_clusters"]
    rows, reference = [], None
    for name, override in kmeans_variants(len(discovery), params["kmeans"]["seed"]).items():
        started = time.perf_counter()
        model = fit_kmeans(discovery, k, {**params["kmeans"], **override})
        seconds = time.perf_counter() - started
        labels = np.concatenate([model.predict(discovery), model.predict(evaluation)])
        inertia = float(-model.score(discovery))
        reference = reference or {"labels": labels, "inertia": inertia}
        quality = partition_quality(discovery, labels[:len(discovery)], k, params["kmeans"]["seed"])
        rows.append({"variant": name, "fitted_rows": min(override["max_fit_tweets"], len(discovery)),
                     "ari_vs_full": round(adjusted_rand_score(reference["labels"], labels), 4),
                     "inertia_vs_full": round(inertia / reference["inertia"], 4),
                     "silhouette_cosine": quality["silhouette_cosine"], "fit_s": round(seconds, 2)})
    return rows


def tweet_pca(params: dict) -> list[dict]:
    embeddings = read_arrays(Path("data/04_embeddings"))["discovery"]
    k, rows, reference = params["kmeans"]["n_clusters"], [], None
    centred_total = float(((embeddings - embeddings.mean(axis=0)) ** 2).sum())
    for name, max_fit in pca_variants(len(embeddings)).items():
        reducer, reduced = fit_reducer(embeddings, "pca", {**params["pca"], "max_fit_tweets": max_fit}, params["umap"])
        captured = float(((reduced - reduced.mean(axis=0)) ** 2).sum()) / centred_total
        labels = fit_kmeans(reduced, k, {**params["kmeans"], "algorithm": "lloyd",
                                         "max_fit_tweets": len(reduced)}).predict(reduced)
        reference = reference or {"labels": labels, "captured": captured}
        rows.append({"variant": f"pca, {name}", "fitted_rows": min(max_fit, len(embeddings)),
                     "captured_variance": round(captured, 4),
                     "captured_vs_full": round(captured / reference["captured"], 4),
                     "topic_ari_vs_full": round(adjusted_rand_score(reference["labels"], labels), 4)})
    return rows


def labelled(params: dict) -> list[dict]:
    frame = read_labelled_csv(Path(load_section("labelled")["path"]))
    truth, k = frame["label"].to_numpy(), int(frame["label"].nunique())
    featurize = params["featurize"]
    cleaner = TweetCleaner(params["preprocess"]["language"], keywords=False)
    embedding_view = [cleaner.embedding_view(text) for text in frame["text"]]
    embeddings = Encoder.load(EncoderSpec.from_params(featurize)).embed(embedding_view)
    rows = []
    _, umap_reduced = fit_reducer(embeddings, "umap", params["pca"], params["umap"])
    for name, override in kmeans_variants(len(embeddings), params["kmeans"]["seed"]).items():
        clusters = fit_kmeans(umap_reduced, k, {**params["kmeans"], **override}).predict(umap_reduced)
        rows.append({"variant": f"umap + kmeans {name}", **_agreement(truth, clusters)})
    for name, max_fit in pca_variants(len(embeddings)).items():
        reducer, _ = fit_reducer(embeddings, "pca", {**params["pca"], "max_fit_tweets": max_fit}, params["umap"])
        reduced = apply_reducer(reducer, embeddings)
        clusters = fit_kmeans(reduced, k, {**params["kmeans"], "algorithm": "lloyd",
                                           "max_fit_tweets": len(reduced)}).predict(reduced)
        rows.append({"variant": f"pca {name} + kmeans lloyd, all rows", **_agreement(truth, clusters)})
    return rows


def _agreement(truth: np.ndarray, clusters: np.ndarray) -> dict:
    scores = agreement_scores(truth, clusters)
    return {key: scores[key] for key in ("accuracy", "nmi", "ari")}


def markdown(rows: list[dict]) -> str:
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(row[key]) for key in header) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the tables as JSON here")
    args = parser.parse_args()
    params = {section: load_section(section) for section in PIPELINE_SECTIONS}
    tables = {"tweets: kmeans on data/05_reduced": tweet_kmeans(params),
              "tweets: pca on data/04_embeddings": tweet_pca(params),
              "labelled set: agreement with human labels": labelled(params)}
    for title, rows in tables.items():
        print(f"\n{title}\n\n{markdown(rows)}")
    if args.out:
        args.out.write_text(json.dumps(tables, indent=2) + "\n")


if __name__ == "__main__":
    main()
