"""Study: which out-of-topic score should decide `needs_human` (routing/handoff.py)?

    python bench/handoff_study.py [--flag-rate 0.04]

Run it after `dvc repro` (it reads data/04_embeddings, data/04_foreign, data/05_reduced, data/06_clustered and the
trained classifier). Every score is higher for a message less like the training tweets; each one's threshold is
the score that --flag-rate of the validation tweets exceed, as the handoff stage sets it. For each score:
- false_flag_evaluation: the share of evaluation tweets flagged (the budget: at most 0.05);
- foreign_detection: the share of the foreign messages (foreign.path, CLINC150's requests) flagged;
- held_out_mean / held_out_worst: for each topic in turn, the score refitted without that topic's discovery and
  validation tweets, and the share of its evaluation tweets flagged (new kinds of problem).
Scores in the embedding space refit from scratch without the topic. The two in the reduced space (max_probability,
mahalanobis_reduced) keep the reducer, which was fitted with the topic's tweets, so their held-out figures are
optimistic. The choice rule, fixed before the run: the highest foreign detection within the false-flag budget.
Writes bench/results/handoff_study.json.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
from sklearn.covariance import LedoitWolf
from sklearn.neighbors import LocalOutlierFactor

from tweet_topics.io.datasets import read_arrays, read_frames
from tweet_topics.paths import CLASSIFIER, CLUSTERED, EMBEDDINGS, FOREIGN_EMBEDDINGS, MODELS, REDUCED
from tweet_topics.reduction.neighbours import nearest_neighbours, normalise_rows
from tweet_topics.routing.classify import load_classifier, train_classifier

RESULT = Path(__file__).parent / "results" / "handoff_study.json"
SETS = ("validation", "evaluation", "foreign")


def knn_score(k: int):
    def fit(space, keep, labels, params):
        reference = space["discovery"][keep]
        return lambda points: nearest_neighbours(points, reference, k)[1].astype(np.float64).mean(axis=1)
    return fit, "raw"


def centroid_score(space, keep, labels, params):
    topics = np.unique(labels[keep])
    centroids = normalise_rows(np.stack([space["discovery"][keep & (labels == t)].mean(axis=0) for t in topics]))
    return lambda points: 1.0 - (normalise_rows(points) @ centroids.T).max(axis=1)


def mahalanobis_score(space, keep, labels, params):
    """The distance to the nearest topic mean under one shared (Ledoit-Wolf) covariance (Lee et al., 2018)."""
    points, topic = space["discovery"][keep], labels[keep]
    topics = np.unique(topic)
    means = np.stack([points[topic == t].mean(axis=0) for t in topics])
    precision = LedoitWolf().fit(points - means[np.searchsorted(topics, topic)]).precision_

    def score(new):
        out = np.full(len(new), np.inf)
        for mean in means:
            diff = new - mean
            out = np.minimum(out, np.einsum("nd,de,ne->n", diff, precision, diff))
        return out
    return score


def whitened_knn_score(space, keep, labels, params):
    """The k-NN score (k = 30) after whitening by the reference's covariance, its eigenvalues shrunk towards their
    mean (+0.1 of it): every direction counts alike, not only those along which tweets vary most."""
    reference = space["discovery"][keep]
    centre = reference.mean(axis=0)
    values, vectors = np.linalg.eigh(np.cov(reference - centre, rowvar=False))
    whiten = (vectors / np.sqrt(values + 0.1 * values.mean())).astype(np.float32)

    def whitened(points: np.ndarray) -> np.ndarray:
        return normalise_rows(((points - centre) @ whiten).astype(np.float32))
    score = knn_score(30)[0]({"discovery": whitened(reference)}, np.ones(len(reference), dtype=bool), labels, params)
    return lambda points: score(whitened(points))


def local_outlier_factor(space, keep, labels, params):
    """The nearest tweets' distance over their own neighbours' (Breunig et al., 2000): density relative to the
    neighbourhood, so a dense topic's hole counts as much as a sparse one's."""
    model = LocalOutlierFactor(n_neighbors=30, novelty=True, metric="cosine", algorithm="brute", n_jobs=1)
    model.fit(space["discovery"][keep])
    return lambda points: -model.score_samples(points)


def max_probability_score(space, keep, labels, params):
    classifier = load_classifier(MODELS / CLASSIFIER)
    if not keep.all():  # retrained without the topic, in the kept reduced space
        remaining = np.unique(labels[keep])
        relabelled = np.searchsorted(remaining, labels[keep])
        classifier = train_classifier(space["discovery"][keep], relabelled, params["C"], "balanced", 1000)
    return lambda points: 1.0 - classifier.probabilities(points).max(axis=1)


METHODS = {
    "knn_mean_k5": knn_score(5), "knn_mean_k10": knn_score(10), "knn_mean_k30": knn_score(30),
    "knn_nearest": knn_score(1), "knn_whitened_k30": (whitened_knn_score, "raw"),
    "centroid_cosine": (centroid_score, "raw"),
    "local_outlier_factor_k30": (local_outlier_factor, "raw"), "mahalanobis_raw": (mahalanobis_score, "raw"),
    "mahalanobis_reduced": (mahalanobis_score, "reduced"), "max_probability": (max_probability_score, "reduced"),
}


def flagged(scores: np.ndarray, threshold: float) -> float:
    return round(float(np.mean(scores > threshold)), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flag-rate", type=float, default=0.04)
    args = parser.parse_args()
    embeddings, reduced = read_arrays(EMBEDDINGS), read_arrays(REDUCED)
    labels = {split: frame["pseudo_label"].to_numpy() for split, frame in read_frames(CLUSTERED).items()}
    foreign = np.load(FOREIGN_EMBEDDINGS)
    from tweet_topics.reduction.reduce import load_reducer, reduce_embeddings
    reducer, _ = load_reducer(MODELS / "reducer.npz")
    spaces = {"raw": {**{split: normalise_rows(values) for split, values in embeddings.items()},
                      "foreign": normalise_rows(foreign)},
              "reduced": {**reduced, "foreign": reduce_embeddings(reducer, foreign)}}
    params = {"C": 100.0}
    results = {}
    for name, (fit, space_name) in METHODS.items():
        start = time.perf_counter()
        space = spaces[space_name]
        score = fit(space, np.ones(len(labels["discovery"]), dtype=bool), labels["discovery"], params)
        scores = {split: score(space[split]) for split in SETS}
        threshold = np.quantile(scores["validation"], 1 - args.flag_rate, method="higher")
        held = []
        for topic in np.unique(labels["discovery"]):
            score_without = fit(space, labels["discovery"] != topic, labels["discovery"], params)
            validation = score_without(space["validation"][labels["validation"] != topic])
            held.append(flagged(score_without(space["evaluation"][labels["evaluation"] == topic]),
                                np.quantile(validation, 1 - args.flag_rate, method="higher")))
        results[name] = {"space": space_name,
                         "false_flag_evaluation": flagged(scores["evaluation"], threshold),
                         "foreign_detection": flagged(scores["foreign"], threshold),
                         "held_out_mean": round(float(np.mean(held)), 4), "held_out_worst": float(min(held)),
                         "held_out_per_topic": held, "seconds": round(time.perf_counter() - start, 1)}
        print(f"{name:22s} {json.dumps({k: v for k, v in results[name].items() if k != 'held_out_per_topic'})}",
              flush=True)
    within = {name: row for name, row in results.items() if row["false_flag_evaluation"] <= 0.05}
    chosen = max(within, key=lambda name: (within[name]["foreign_detection"], within[name]["held_out_mean"]))
    RESULT.write_text(json.dumps({"flag_rate": args.flag_rate, "n_foreign": len(foreign), "methods": results,
                                  "chosen": chosen}, indent=2) + "\n", encoding="utf-8")
    print(f"chosen: {chosen} -> {RESULT}")


if __name__ == "__main__":
    main()
