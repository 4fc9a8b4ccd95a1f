"""Study: does a second out-of-topic score, in the topics' own (reduced) space, find new kinds of problem that the
handoff's score misses, when both are measured honestly?

    python bench/handoff_union_study.py [--flag-rate 0.04]

bench/handoff_study.py chose the handoff's score (mean cosine distance to the 30 nearest reference tweets in the
embedding space) for its foreign-message detection; its Mahalanobis distance to the nearest topic in the reduced
space found held-out topics far better (mean 0.73 against 0.12) but was optimistic there: the reducer had been fitted
with the held-out topic's tweets. Here every held-out figure refits everything that saw the topic: the reducer
(params.yaml's reduce method and sections) on the discovery tweets without the topic, the topic means and shared
covariance on what remains, and the k-NN reference without it; the validation tweets of the other topics set each
threshold. Scores:
- knn_k30: the handoff's score today;
- mahalanobis_reduced: the distance to the nearest topic mean under one shared Ledoit-Wolf covariance, in the
  reduced space;
- union: a message is flagged when either score passes its threshold, both thresholds at the same validation
  quantile, chosen so that the union flags --flag-rate of the validation tweets (the same budget).
Run it after `dvc repro`; writes bench/results/handoff_union_study.json.
"""

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
from handoff_study import knn_score, mahalanobis_score  # the study's own scores, refitted here

from tweet_topics.io.datasets import read_arrays, read_frames
from tweet_topics.params import load_sections
from tweet_topics.paths import CLUSTERED, EMBEDDINGS, FOREIGN_EMBEDDINGS, MODELS, REDUCED, REDUCER
from tweet_topics.reduction.neighbours import normalise_rows
from tweet_topics.reduction.reduce import REDUCE_SECTIONS, fit_reducer, load_reducer, reduce_embeddings

RESULT = Path(__file__).parent / "results" / "handoff_union_study.json"
K = 30
SPLITS = ("validation", "evaluation")


def knn_scorer(discovery: np.ndarray):
    return knn_score(K)[0]({"discovery": discovery}, np.ones(len(discovery), dtype=bool), None, None)


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


def scored(scorers: dict, sets: dict) -> dict:
    return {name: {split: scorer(points[name]) for split, points in sets.items()} for name, scorer in scorers.items()}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flag-rate", type=float, default=0.04)
    args = parser.parse_args()
    start = time.perf_counter()
    params = load_sections(*REDUCE_SECTIONS)
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
                  args.flag_rate)

    held_out = {name: [] for name in whole}
    for topic in np.unique(labels["discovery"]):
        keep = labels["discovery"] != topic
        refitted, reduced_kept = fit_reducer(raw["discovery"][keep], params)
        scorers = {"knn_k30": knn_scorer(embeddings["discovery"][keep]),
                   "mahalanobis_reduced": mahalanobis_scorer(reduced_kept, labels["discovery"][keep])}
        validation, new = labels["validation"] != topic, labels["evaluation"] == topic
        topic_sets = {"validation": {"knn_k30": embeddings["validation"][validation],
                                     "mahalanobis_reduced": reduce_embeddings(refitted, raw["validation"][validation])},
                      "held": {"knn_k30": embeddings["evaluation"][new],
                               "mahalanobis_reduced": reduce_embeddings(refitted, raw["evaluation"][new])}}
        found = rates({name: {split: scorer(topic_sets[split][name]) for split in topic_sets}
                       for name, scorer in scorers.items()}, args.flag_rate)
        for name in held_out:
            held_out[name].append(round(found[name]["held"], 4))
        print(f"topic {topic}: {({name: held_out[name][-1] for name in held_out})}", flush=True)

    result = {"command": "python bench/handoff_union_study.py", "flag_rate": args.flag_rate,
              "machine": {"cpu": platform.processor() or platform.machine()},
              "reduce_method": params["reduce"]["method"], "n_foreign": len(foreign),
              "scores": {name: {"false_flag_evaluation": round(whole[name]["evaluation"], 4),
                                "foreign_detection": round(whole[name]["foreign"], 4),
                                "held_out_mean": round(float(np.mean(held_out[name])), 4),
                                "held_out_worst": float(min(held_out[name])),
                                "held_out_per_topic": held_out[name]} for name in whole},
              "seconds": round(time.perf_counter() - start, 1)}
    RESULT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({name: {k: v for k, v in row.items() if k != "held_out_per_topic"}
                      for name, row in result["scores"].items()}, indent=1))


if __name__ == "__main__":
    main()
