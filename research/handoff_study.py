"""Study: which out-of-topic score should decide `needs_human` (training/handoff.py)?

    python research/handoff_study.py [--flag-rate 0.04]

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
Writes research/results/handoff_study.json.

    python research/handoff_study.py --union [--flag-rate 0.04]

The follow-up: does a second score, in the topics' own (reduced) space, find new kinds of problem that the handoff's
score misses, when both are measured honestly? The reduced-space Mahalanobis distance found held-out topics far
better above, but was optimistic there. Here every held-out figure refits everything that saw the topic: the reducer
(params.yaml's reduce method and sections) on the discovery tweets without the topic, the topic means and shared
covariance on what remains, and the k-NN reference without it; the validation tweets of the other topics set each
threshold. Scores:
- knn_k30: the handoff's score today;
- mahalanobis_reduced: the distance to the nearest topic mean under one shared Ledoit-Wolf covariance, in the
  reduced space;
- union: a message is flagged when either score passes its threshold, both thresholds at the same validation
  quantile, chosen so that the union flags --flag-rate of the validation tweets (the same budget).
Writes research/results/handoff_union_study.json.
"""

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
from sklearn.covariance import LedoitWolf
from sklearn.neighbors import LocalOutlierFactor

from tweet_topics.io.datasets import read_arrays, read_frames
from tweet_topics.params import REDUCE_SECTIONS, ReductionParams, TrainParams, load_sections
from tweet_topics.paths import CLASSIFIER, CLUSTERED, EMBEDDINGS, FOREIGN_EMBEDDINGS, MODELS, REDUCED, REDUCER
from tweet_topics.reduction.neighbours import nearest_neighbours, normalise_rows
from tweet_topics.reduction.reduce import fit_reducer, load_reducer, reduce_embeddings
from tweet_topics.training.classify import load_classifier, train_classifier

RESULT = Path(__file__).parent / "results" / "handoff_study.json"
UNION_RESULT = Path(__file__).parent / "results" / "handoff_union_study.json"
SETS = ("validation", "evaluation", "foreign")
UNION_K = 30


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
        classifier = train_classifier(space["discovery"][keep], relabelled, params)
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


def compare_scores(flag_rate: float) -> None:
    """Every score of METHODS, measured alike; the chosen one by the rule fixed before the run."""
    embeddings, reduced = read_arrays(EMBEDDINGS), read_arrays(REDUCED)
    labels = {split: frame["pseudo_label"].to_numpy() for split, frame in read_frames(CLUSTERED).items()}
    foreign = np.load(FOREIGN_EMBEDDINGS)
    reducer, _ = load_reducer(MODELS / REDUCER)
    spaces = {"raw": {**{split: normalise_rows(values) for split, values in embeddings.items()},
                      "foreign": normalise_rows(foreign)},
              "reduced": {**reduced, "foreign": reduce_embeddings(reducer, foreign)}}
    params = TrainParams(C=100.0, class_weight="balanced", max_iter=1000)  # max_probability's retraining
    results = {}
    for name, (fit, space_name) in METHODS.items():
        start = time.perf_counter()
        space = spaces[space_name]
        score = fit(space, np.ones(len(labels["discovery"]), dtype=bool), labels["discovery"], params)
        scores = {split: score(space[split]) for split in SETS}
        threshold = np.quantile(scores["validation"], 1 - flag_rate, method="higher")
        held = []
        for topic in np.unique(labels["discovery"]):
            score_without = fit(space, labels["discovery"] != topic, labels["discovery"], params)
            validation = score_without(space["validation"][labels["validation"] != topic])
            held.append(flagged(score_without(space["evaluation"][labels["evaluation"] == topic]),
                                np.quantile(validation, 1 - flag_rate, method="higher")))
        results[name] = {"space": space_name,
                         "false_flag_evaluation": flagged(scores["evaluation"], threshold),
                         "foreign_detection": flagged(scores["foreign"], threshold),
                         "held_out_mean": round(float(np.mean(held)), 4), "held_out_worst": float(min(held)),
                         "held_out_per_topic": held, "seconds": round(time.perf_counter() - start, 1)}
        print(f"{name:22s} {json.dumps({k: v for k, v in results[name].items() if k != 'held_out_per_topic'})}",
              flush=True)
    within = {name: row for name, row in results.items() if row["false_flag_evaluation"] <= 0.05}
    chosen = max(within, key=lambda name: (within[name]["foreign_detection"], within[name]["held_out_mean"]))
    RESULT.write_text(json.dumps({"flag_rate": flag_rate, "n_foreign": len(foreign), "methods": results,
                                  "chosen": chosen}, indent=2) + "\n", encoding="utf-8")
    print(f"chosen: {chosen} -> {RESULT}")


def knn_scorer(discovery: np.ndarray):
    return knn_score(UNION_K)[0]({"discovery": discovery}, np.ones(len(discovery), dtype=bool), None, None)


def mahalanobis_scorer(reduced_discovery: np.ndarray, topic: np.ndarray):
    return mahalanobis_score({"discovery": reduced_discovery}, np.ones(len(topic), dtype=bool), topic, None)


def union_thresholds(first: np.ndarray, second: np.ndarray, rate: float) -> tuple[float, float]:
    """Both scores' thresholds at one validation quantile, the highest at which the union flags at least `rate`."""
    low, high = 0.0, rate
    for _ in range(40):
        middle = (low + high) / 2
        a, b = (np.quantile(s, 1 - middle, method="higher") for s in (first, second))
        if np.mean((first > a) | (second > b)) > rate:
            high = middle
        else:
            low = middle
    return tuple(float(np.quantile(s, 1 - low, method="higher")) for s in (first, second))


def rates(scores: dict, flag_rate: float, held: str = "evaluation") -> dict:
    """Each score's and the union's share flagged of every set, thresholds from the validation scores."""
    out = {}
    for name in ("knn_k30", "mahalanobis_reduced"):
        threshold = np.quantile(scores[name]["validation"], 1 - flag_rate, method="higher")
        out[name] = {split: float(np.mean(values > threshold)) for split, values in scores[name].items()}
    a, b = union_thresholds(scores["knn_k30"]["validation"], scores["mahalanobis_reduced"]["validation"], flag_rate)
    out["union"] = {split: float(np.mean((scores["knn_k30"][split] > a) | (scores["mahalanobis_reduced"][split] > b)))
                    for split in scores["knn_k30"]}
    return out


def union_study(flag_rate: float) -> None:
    """The handoff's k-NN score, the reduced-space Mahalanobis score and their union, every held-out topic's
    figure with the reducer refitted without it."""
    start = time.perf_counter()
    reduction = ReductionParams.from_sections(load_sections(*REDUCE_SECTIONS))
    raw = read_arrays(EMBEDDINGS)  # as the reduce stage reads them
    embeddings = {split: normalise_rows(values) for split, values in raw.items()}
    reduced = read_arrays(REDUCED)
    labels = {split: frame["pseudo_label"].to_numpy() for split, frame in read_frames(CLUSTERED).items()}
    raw_foreign = np.load(FOREIGN_EMBEDDINGS)
    foreign = normalise_rows(raw_foreign)
    reducer, _ = load_reducer(MODELS / REDUCER)

    sets = {"validation": {"knn_k30": embeddings["validation"], "mahalanobis_reduced": reduced["validation"]},
            "evaluation": {"knn_k30": embeddings["evaluation"], "mahalanobis_reduced": reduced["evaluation"]},
            "foreign": {"knn_k30": foreign, "mahalanobis_reduced": reduce_embeddings(reducer, raw_foreign)}}
    scorers = {"knn_k30": knn_scorer(embeddings["discovery"]),
               "mahalanobis_reduced": mahalanobis_scorer(reduced["discovery"], labels["discovery"])}
    whole = rates({name: {split: scorer(sets[split][name]) for split in sets} for name, scorer in scorers.items()},
                  flag_rate)

    held_out = {name: [] for name in whole}
    for topic in np.unique(labels["discovery"]):
        keep = labels["discovery"] != topic
        refitted, reduced_kept = fit_reducer(raw["discovery"][keep], reduction)
        scorers = {"knn_k30": knn_scorer(embeddings["discovery"][keep]),
                   "mahalanobis_reduced": mahalanobis_scorer(reduced_kept, labels["discovery"][keep])}
        validation, new = labels["validation"] != topic, labels["evaluation"] == topic
        topic_sets = {"validation": {"knn_k30": embeddings["validation"][validation],
                                     "mahalanobis_reduced": reduce_embeddings(refitted, raw["validation"][validation])},
                      "held": {"knn_k30": embeddings["evaluation"][new],
                               "mahalanobis_reduced": reduce_embeddings(refitted, raw["evaluation"][new])}}
        found = rates({name: {split: scorer(topic_sets[split][name]) for split in topic_sets}
                       for name, scorer in scorers.items()}, flag_rate)
        for name in held_out:
            held_out[name].append(round(found[name]["held"], 4))
        print(f"topic {topic}: {({name: held_out[name][-1] for name in held_out})}", flush=True)

    result = {"command": "python research/handoff_study.py --union", "flag_rate": flag_rate,
              "machine": {"cpu": platform.processor() or platform.machine()},
              "reduce_method": reduction.reduce.method, "n_foreign": len(foreign),
              "scores": {name: {"false_flag_evaluation": round(whole[name]["evaluation"], 4),
                                "foreign_detection": round(whole[name]["foreign"], 4),
                                "held_out_mean": round(float(np.mean(held_out[name])), 4),
                                "held_out_worst": float(min(held_out[name])),
                                "held_out_per_topic": held_out[name]} for name in whole},
              "seconds": round(time.perf_counter() - start, 1)}
    UNION_RESULT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({name: {k: v for k, v in row.items() if k != "held_out_per_topic"}
                      for name, row in result["scores"].items()}, indent=1))


NAMES = {"knn_mean_k5": "mean cosine distance to the 5 nearest tweets",
         "knn_mean_k10": "the same, 10 nearest", "knn_mean_k30": "the same, 30 nearest",
         "knn_nearest": "cosine distance to the nearest tweet",
         "knn_whitened_k30": "the 30 nearest after whitening the embeddings",
         "centroid_cosine": "cosine distance to the nearest topic centroid",
         "local_outlier_factor_k30": "local outlier factor, 30 neighbours",
         "mahalanobis_raw": "Mahalanobis distance to the nearest topic, embedding space",
         "mahalanobis_reduced": "Mahalanobis distance to the nearest topic, reduced space",
         "max_probability": "1 − the classifier's top probability",
         "knn_k30": "mean cosine distance to the 30 nearest tweets (the handoff)",
         "union": "either of the two, one budget"}


def table(results: dict) -> str:
    """The docs' table: handoff_study.json (every score) or handoff_union_study.json (--union)."""
    rows = results["methods"] if "methods" in results else results["scores"]
    lines = ["| score | evaluation tweets flagged | CLINC150 flagged | held-out topic flagged: mean | worst |",
             "|---|---|---|---|---|"]
    for name, row in rows.items():
        chosen = " (chosen)" if name == results.get("chosen") else ""
        lines.append(f"| {NAMES[name]}{chosen} | {row['false_flag_evaluation']:.4f} | {row['foreign_detection']:.4f} "
                     f"| {row['held_out_mean']:.4f} | {row['held_out_worst']:.4f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flag-rate", type=float, default=0.04)
    parser.add_argument("--union", action="store_true", help="the follow-up: k-NN, reduced Mahalanobis, their union")
    args = parser.parse_args()
    (union_study if args.union else compare_scores)(args.flag_rate)


if __name__ == "__main__":
    main()
