"""Study: could a detector that sees a group of new messages as a neighbourhood reach issue #34's goal for held-out
topics (found in 50% / 75% / 90% of windows at 1% / 2% / 5%)?

    python research/emerging_issue_ceiling.py [--run .] [--windows 4] [-o research/results/emerging_issue_ceiling.json]

Run it after `dvc repro` (`--run`: the project whose run it reads). The held-out topics are
bench/bench_monitor.py's: the discovery tweets clustered at k 30 by the pipeline's own reduction and KMeans; for
each topic, the reference is built without its tweets, and windows of 2,000 evaluation tweets of the other topics
get the topic's tweets injected at 1%, 2% and 5%. Here each topic's tweets (every split) are first cut in two random
halves: one half is what an oracle is told of the topic, the other is injected. In every window, by the bench's rule
(a set of batch messages at least 60% injected that holds at least half of the injected ones):
- the monitor's test (EmergingIssueDetector with its defaults, in the embedding space): detected or not;
- a ball oracle: the batch ranked by cosine similarity to the told half's mean; whether some run of the first
  ranked passes the rule: the best that any neighbourhood of the topic's own centre can do, of any size, before a
  significance test has its say;
- a linear oracle: the same ranking by a logistic regression of the told half against the other topics' discovery
  tweets: what a learner already given hundreds of the topic's tweets can pick out of a window.
"""

import argparse
import json
import os
import platform
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from tweet_topics.chain.topics import TopicSteps
from tweet_topics.io.datasets import read_arrays
from tweet_topics.monitoring.emerging import EmergingIssueDetector
from tweet_topics.params import REDUCE_SECTIONS, ReductionParams, load_section, load_sections
from tweet_topics.paths import EMBEDDINGS
from tweet_topics.reduction.neighbours import normalise_rows
from tweet_topics.reduction.reduce import reduce_embeddings
from tweet_topics.reduction.sampling import fit_rows
from tweet_topics.training.handoff import reference_scorer

RESULT = Path(__file__).parent / "results" / "emerging_issue_ceiling.json"
K_FINE, WINDOW, RATES = 30, 2_000, (0.01, 0.02, 0.05)
MAX_REFERENCE = 10_000  # the monitor's reference (monitor.max_reference_tweets)
MIN_PURITY, MIN_RECALL = 0.6, 0.5  # the bench's detection rule
DETECTORS = {"monitor": "the monitor's test (chosen: k-NN, permutation test of the largest group)",
             "ball": "ball oracle: the best neighbourhood of the topic's own centre, no significance test",
             "linear": "linear oracle: logistic regression given half the topic's tweets"}


def cpu_model() -> str:
    lines = Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").is_file() else []
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")),
                platform.processor() or platform.machine())


def passes(groups: list[np.ndarray], injected: np.ndarray) -> bool:
    """Whether a group is at least MIN_PURITY injected and holds at least MIN_RECALL of the injected rows."""
    for group in groups:
        hits = np.isin(group, injected).sum()
        if hits >= MIN_PURITY * len(group) and hits >= MIN_RECALL * len(injected):
            return True
    return False


def ranked_passes(scores: np.ndarray, injected: np.ndarray) -> bool:
    """Whether some run of the highest `scores` passes the rule."""
    order = np.argsort(-scores, kind="stable")
    hits = np.cumsum(np.isin(order, injected))
    return bool(((hits >= MIN_RECALL * len(injected)) & (hits >= MIN_PURITY * np.arange(1, len(order) + 1))).any())


def fine_topics(run: Path) -> tuple[dict, dict]:
    """Every split's embeddings and its tweets' topics at K_FINE, as bench/bench_monitor.py clusters them."""
    reduction = ReductionParams.from_sections(load_sections(*REDUCE_SECTIONS, path=run / "params.yaml"))
    kmeans = load_section("kmeans", run / "params.yaml")
    embeddings = read_arrays(run / EMBEDDINGS)
    steps = TopicSteps(reduction, replace(kmeans, n_clusters=K_FINE))
    reducer, reduced = steps.fit_reducer(embeddings["discovery"])
    model = steps.fit_topics(reduced)
    return embeddings, {split: model.predict(reduce_embeddings(reducer, vectors))
                        for split, vectors in embeddings.items()}


def held_out_topic(embeddings: dict, labels: dict, topic: int, handoff, n_windows: int, rng) -> dict:
    discovery = embeddings["discovery"][labels["discovery"] != topic]
    reference = reference_scorer(discovery, handoff).reference
    reference = reference[fit_rows(len(reference), MAX_REFERENCE, 0)]
    others = embeddings["evaluation"][labels["evaluation"] != topic]
    tweets = np.vstack([vectors[labels[split] == topic] for split, vectors in embeddings.items()])
    halves = np.array_split(rng.permutation(len(tweets)), 2)
    told, injectable = normalise_rows(tweets[halves[0]]), tweets[halves[1]]
    negatives = normalise_rows(discovery[fit_rows(len(discovery), MAX_REFERENCE, 0)])
    linear = LogisticRegression(max_iter=2000).fit(np.vstack([told, negatives]),
                                                   np.r_[np.ones(len(told)), np.zeros(len(negatives))])
    centre = normalise_rows(told.mean(axis=0, keepdims=True))[0]
    detector = EmergingIssueDetector()
    found = {name: {} for name in DETECTORS}
    for rate in RATES:
        n_injected = round(rate * WINDOW)
        for _ in range(n_windows):
            rows = rng.choice(len(others), WINDOW - n_injected, replace=False)
            batch = np.vstack([others[rows], injectable[rng.choice(len(injectable), n_injected, replace=False)]])
            order = rng.permutation(WINDOW)
            batch, injected = batch[order], np.flatnonzero(order >= WINDOW - n_injected)
            issues = detector.compare(reference, batch).issues
            unit = normalise_rows(batch)
            outcome = {"monitor": passes([issue.members for issue in issues], injected),
                       "ball": ranked_passes(unit @ centre, injected),
                       "linear": ranked_passes(linear.decision_function(unit), injected)}
            for name, hit in outcome.items():
                found[name].setdefault(f"{rate:.0%}", []).append(hit)
    return {"topic": topic, "tweets": len(tweets),
            "found": {name: {rate: round(float(np.mean(hits)), 4) for rate, hits in by_rate.items()}
                      for name, by_rate in found.items()}}


def summarise(per_topic: list[dict]) -> dict:
    return {name: {"mean": {rate: round(float(np.mean([t["found"][name][rate] for t in per_topic])), 4)
                            for rate in per_topic[0]["found"][name]},
                   "worst": {rate: round(float(np.min([t["found"][name][rate] for t in per_topic])), 4)
                             for rate in per_topic[0]["found"][name]}}
            for name in DETECTORS}


def table(results: dict) -> str:
    """The docs' table: each detector's share of held-out topics found, over every topic (mean and worst) and over
    the topics that a neighbourhood of their own centre holds (the ball oracle finds them in most windows at 5%)."""
    grouped = [topic for topic in results["topics"] if topic["found"]["ball"]["5%"] >= 0.5]
    lines = [f"| detector | every held-out topic ({len(results['topics'])}), found at 1% / 2% / 5% | worst topic | "
             f"the topics a neighbourhood of their centre holds ({len(grouped)}) |", "|---|---|---|---|"]
    for name, what in DETECTORS.items():
        row = results["summary"][name]
        in_groups = [np.mean([topic["found"][name][rate] for topic in grouped]) for rate in row["mean"]]
        lines.append(f"| {what} | " + " / ".join(f"{v:.0%}" for v in row["mean"].values()) + " | "
                     + " / ".join(f"{v:.0%}" for v in row["worst"].values()) + " | "
                     + " / ".join(f"{v:.0%}" for v in in_groups) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=Path("."))
    parser.add_argument("--windows", type=int, default=4, help="windows per held-out topic and rate")
    parser.add_argument("-o", "--output", type=Path, default=RESULT)
    args = parser.parse_args(argv)
    embeddings, labels = fine_topics(args.run)
    handoff = load_section("handoff", args.run / "params.yaml")
    rng = np.random.default_rng(0)
    per_topic = []
    for topic in range(K_FINE):
        per_topic.append(held_out_topic(embeddings, labels, topic, handoff, args.windows, rng))
        print(topic, per_topic[-1]["found"], file=sys.stderr, flush=True)
    results = {"machine": {"cpu": cpu_model(), "cpus": len(os.sched_getaffinity(0))},
               "command": "python research/emerging_issue_ceiling.py "
                          + " ".join(argv if argv is not None else sys.argv[1:]),
               "windows_per_topic_and_rate": args.windows, "summary": summarise(per_topic), "topics": per_topic}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))


if __name__ == "__main__":
    main()
