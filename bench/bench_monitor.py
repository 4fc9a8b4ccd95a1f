"""Benchmark: does the monitor find an emerging issue, and how often does it cry wolf? The table that chose the
emerging-issue test (monitoring/emerging.py).

    .venv/bin/python bench/bench_monitor.py [--run .] [--topics 30] [--windows 2] [--clean 100] [--intents 150]
        [--out bench/results/monitor.json]
    .venv/bin/python bench/bench_monitor.py --cost [--run .] [--messages 10000] [--repeats 3]
        [--out bench/results/monitor_cost.json]

Reads a pipeline run (`dvc repro` or `dvc pull` in the project `--run`): its embeddings, its models and foreign.path.

- Held-out topics: the discovery tweets clustered at a finer k (`--k-fine`, 30) by the pipeline's own reduction and
  KMeans. For each topic in turn, the reducer is refitted on discovery without its tweets, and the reference is the
  rest of discovery; windows of 2,000 evaluation tweets of the other topics get that topic's tweets (from every
  split: no model saw them) injected at 1%, 2% and 5% of the window. Each topic's c-TF-IDF keywords are recorded, so
  that a reader sees what kind of topic is found and what kind is not.
- Foreign intents: one CLINC150 intent's 30 requests (foreign.path) in a window of 2,000 (1.5%), against the trained
  models' reducer and discovery; for the chosen method also 20 of them (1%). Each intent's share of requests that
  the handoff flags one by one is recorded: the intents it rarely flags are written as customers tweet, so they are
  the in-domain case of a new subject.
- Clean windows: 2,000 evaluation tweets, nothing injected.
- Cost (`--cost`): `tweet-topics monitor` against `tweet-topics predict` on the same file of 10,000 of the run's
  tweets, each in-process from loading the models to its last file written, alternated, the median of the repeats.
Every method sees the same windows, in the space it compares in: the encoder's embeddings (the monitor's, and all but
one row's) or the reduced space (the reference placed as new messages are: monitoring/reference.py). A detection is
a candidate at least 60% injected that holds at least half of the injected messages; a false alarm is a clean window
with any candidate.
"""

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from tweet_topics.chain.topics import TopicSteps
from tweet_topics.discovery.descriptions import NO_WORDS, ctfidf_keywords
from tweet_topics.io.datasets import read_arrays, read_frames
from tweet_topics.monitoring.emerging import (
    EmergingIssueDetector,
    PooledNeighbours,
    batch_neighbours,
    unusual_count,
    unusual_groups,
)
from tweet_topics.monitoring.reference import EMBEDDING, REDUCED, MonitorSpace
from tweet_topics.params import REDUCE_SECTIONS, ReductionParams, load_section, load_sections
from tweet_topics.paths import (
    EMBEDDINGS,
    FOREIGN_EMBEDDINGS,
    HANDOFF,
    INGESTED,
    MODELS,
    PARAMS,
    PREPROCESSED,
    REDUCER,
)
from tweet_topics.reduction.reduce import load_reducer, reduce_embeddings
from tweet_topics.training.handoff import load_out_of_topic, reference_scorer

WINDOW = 2_000
RATES = (0.01, 0.02, 0.05)
INTENT_SIZE = 30
INTENT_SIZE_LOW = 20  # 1% of a window
KEYWORDS = 4
MAX_REFERENCE = 10_000  # the reference the issue's figures were measured with
MIN_PURITY, MIN_RECALL = 0.6, 0.5


@dataclass(frozen=True)
class Hdbscan:
    """HDBSCAN over the batch's unusual messages (at `message_alpha`): every cluster is a candidate."""

    k: int = 20
    message_alpha: float = 0.05
    min_size: int = 10

    def candidates(self, pooled: PooledNeighbours, batch: np.ndarray) -> list[np.ndarray]:
        from sklearn.cluster import HDBSCAN

        graph = pooled.graph(self.k)
        is_batch = np.zeros(len(pooled.neighbours), dtype=bool)
        is_batch[pooled.n_reference:] = True
        chance = (len(batch) - 1) / (len(is_batch) - 1)
        counts = batch_neighbours(graph, is_batch)[pooled.n_reference:]
        rows = np.flatnonzero(counts >= unusual_count(self.k, chance, self.message_alpha))
        if len(rows) < self.min_size:
            return []
        labels = HDBSCAN(min_cluster_size=self.min_size, copy=True).fit_predict(
            batch[rows] / np.linalg.norm(batch[rows], axis=1, keepdims=True))
        return [rows[labels == label] for label in np.unique(labels) if label >= 0]


@dataclass(frozen=True)
class DomainClassifier:
    """A classifier between the batch and the reference (Evidently's embedding drift), cross-fitted so each message is
    scored by a model that did not see it; batch messages scored above the reference's `quantile` are unusual and form
    groups as the chosen test's do; a group is a candidate when it is larger than the largest group that as many
    pooled messages drawn at random form in all but `alpha` of `permutations` draws."""

    k: int = 30
    quantile: float = 0.99
    folds: int = 3
    min_size: int = 10
    permutations: int = 199
    alpha: float = 0.05

    def candidates(self, pooled: PooledNeighbours, reference: np.ndarray, batch: np.ndarray) -> list[np.ndarray]:
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold

        vectors = np.vstack([reference, batch])
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        is_batch = np.r_[np.zeros(len(reference), dtype=bool), np.ones(len(batch), dtype=bool)]
        scores = np.empty(len(vectors))
        for train, test in StratifiedKFold(self.folds, shuffle=True, random_state=0).split(vectors, is_batch):
            model = LogisticRegression(class_weight="balanced", max_iter=300).fit(vectors[train], is_batch[train])
            scores[test] = model.decision_function(vectors[test])
        unusual = is_batch & (scores > np.quantile(scores[~is_batch], self.quantile))
        graph = pooled.graph(self.k)
        groups = unusual_groups(graph, unusual, self.min_size)
        if not groups:
            return []
        rng, null_largest = np.random.default_rng(0), np.zeros(self.permutations)
        for index in range(self.permutations):
            drawn = np.zeros(len(vectors), dtype=bool)
            drawn[rng.choice(len(vectors), int(unusual.sum()), replace=False)] = True
            null_groups = unusual_groups(graph, drawn, 1)
            null_largest[index] = len(null_groups[0]) if null_groups else 0
        return [group - len(reference) for group in groups
                if (1 + (null_largest >= len(group)).sum()) / (1 + self.permutations) <= self.alpha]


@dataclass(frozen=True)
class GrownGroups(EmergingIssueDetector):
    """The chosen test, its groups grown through messages unusual at a looser `grow_alpha` (hysteresis): a group is
    kept where it holds a message unusual at `message_alpha`, and tested against the shuffles' largest grown group.
    Would it hold more of a held-out topic's messages at low rates, where few are unusual at `message_alpha`?"""

    grow_alpha: float = 0.1

    def groups(self, graph, is_batch: np.ndarray, counts: np.ndarray, k: int, chance: float,
               min_size: int) -> list[np.ndarray]:
        grown = unusual_groups(graph, is_batch & (counts >= unusual_count(k, chance, self.grow_alpha)), min_size)
        seed = unusual_count(k, chance, self.message_alpha)
        return [group for group in grown if (counts[group] >= seed).any()]


CHOSEN = "the same, k 30 (message p < 0.01)"


def methods() -> dict:
    """Each method by name: the space it compares in and an EmergingIssueDetector (or another method); all the
    methods of a space read the same neighbour graph."""
    chosen = EmergingIssueDetector()
    return {
        "k-NN test, groups >= 10 (the issue's baseline: k 20, message p < 0.01, no correction)":
            (EMBEDDING, replace(chosen, k=20, permutations=0, alpha=1.0)),
        "k-NN test + permutation test of the largest group, k 20 (message p < 0.01)":
            (EMBEDDING, replace(chosen, k=20)),
        "the same, k 20, message p < 0.05": (EMBEDDING, replace(chosen, k=20, message_alpha=0.05)),
        "the same, k 10": (EMBEDDING, replace(chosen, k=10)),
        CHOSEN: (EMBEDDING, chosen),
        "the same, k 30, message p < 0.05": (EMBEDDING, replace(chosen, message_alpha=0.05)),
        "the same, k 50": (EMBEDDING, replace(chosen, k=50)),
        "the same, groups grown through messages at p < 0.05": (EMBEDDING, GrownGroups(grow_alpha=0.05)),
        "the same, k 20, groups grown through messages at p < 0.1":
            (EMBEDDING, GrownGroups(k=20, grow_alpha=0.1)),
        "the chosen test in the reduced space (the reference placed as new messages are)": (REDUCED, chosen),
        "HDBSCAN over unusual messages (k 20, message p < 0.05, no correction)": (EMBEDDING, Hdbscan()),
        "domain classifier, batch against reference (messages above the reference's 99th percentile, grouped as the"
        " chosen test's)": (EMBEDDING, DomainClassifier()),
    }


def candidates(method, pooled: PooledNeighbours, reference: np.ndarray, batch: np.ndarray) -> list[np.ndarray]:
    if isinstance(method, Hdbscan):
        return method.candidates(pooled, batch)
    if isinstance(method, DomainClassifier):
        return method.candidates(pooled, reference, batch)
    return [issue.members for issue in method.test(pooled, batch).issues]


def detected(groups: list[np.ndarray], injected: np.ndarray) -> bool:
    """Whether any group is at least MIN_PURITY injected and holds at least MIN_RECALL of the injected rows."""
    for group in groups:
        hits = np.isin(group, injected).sum()
        if hits >= MIN_PURITY * len(group) and hits >= MIN_RECALL * len(injected):
            return True
    return False


def window_with(base: dict, extra: dict, n_extra: int, rng) -> tuple[dict, np.ndarray]:
    """A window of WINDOW messages in each space (`base` and `extra`: space -> vectors, the same rows in each):
    WINDOW - n_extra rows of `base`, n_extra of `extra`, shuffled; the injected rows' positions."""
    base_rows = rng.choice(len(base[EMBEDDING]), WINDOW - n_extra, replace=False)
    extra_rows = rng.choice(len(extra[EMBEDDING]), n_extra, replace=False)
    order = rng.permutation(WINDOW)
    return ({space: np.vstack([base[space][base_rows], extra[space][extra_rows]])[order] for space in base},
            np.flatnonzero(order >= WINDOW - n_extra))


def run_methods(tally: dict, key: str, references: dict, batches: dict, injected: np.ndarray | None
                ) -> tuple[PooledNeighbours, np.ndarray]:
    """Every method on one window (`references`, `batches`: space -> vectors); the embedding space's neighbours, and
    the batch messages the chosen test finds unusual on their own (a candidate can hold only these)."""
    pooled = {space: PooledNeighbours.search(references[space], batches[space], 50) for space in batches}
    for name, (space, method) in methods().items():
        if name == CHOSEN:
            comparison = method.test(pooled[space], batches[space])
            found, unusual = [issue.members for issue in comparison.issues], comparison.unusual
        else:
            found = candidates(method, pooled[space], references[space], batches[space])
        tally.setdefault(name, {}).setdefault(key, []).append(
            bool(found) if injected is None else detected(found, injected))
    return pooled[EMBEDDING], unusual


def own_neighbour_share(pooled: PooledNeighbours, injected: np.ndarray, k: int = 20) -> float:
    """The share of an injected message's k nearest (reference and batch) that are injected too: how much its
    messages are each other's neighbours, which is all a neighbour test can see."""
    rows = pooled.n_reference + injected
    return float(np.isin(pooled.neighbours[rows, :k], rows).mean())


def spaces_of(reducer, reference: np.ndarray, k: int, seed: int) -> dict[str, MonitorSpace]:
    """The monitor's space and the reduced one, the reference (embeddings, as the handoff keeps them) in each."""
    return {name: MonitorSpace.of(reducer, reference, k, MAX_REFERENCE, seed, name) for name in (EMBEDDING, REDUCED)}


def placed(spaces: dict[str, MonitorSpace], embeddings: np.ndarray) -> dict[str, np.ndarray]:
    return {name: space.place(embeddings) for name, space in spaces.items()}


def held_out_topics(run: Path, reduction: ReductionParams, kmeans, handoff, k_fine: int, n_topics: int,
                    n_windows: int, seed: int) -> dict:
    embeddings = read_arrays(run / EMBEDDINGS)
    steps = TopicSteps(reduction, replace(kmeans, n_clusters=k_fine))
    reducer, reduced = steps.fit_reducer(embeddings["discovery"])
    model = steps.fit_topics(reduced)
    labels = {split: model.predict(reduce_embeddings(reducer, vectors)) for split, vectors in embeddings.items()}
    keywords = topic_keywords(run, labels["discovery"], k_fine)
    tally, rng, topics = {}, np.random.default_rng(seed), []
    for topic in range(min(n_topics, k_fine)):
        started = time.perf_counter()
        discovery = embeddings["discovery"][labels["discovery"] != topic]
        topic_reducer, _ = steps.fit_reducer(discovery)
        # the reference as training builds the handoff's (the reduced space needs it to be the reducer's own)
        spaces = spaces_of(topic_reducer, reference_scorer(discovery, handoff).reference, handoff.k, seed)
        references = {name: space.reference for name, space in spaces.items()}
        others = placed(spaces, embeddings["evaluation"][labels["evaluation"] != topic])
        held = placed(spaces, np.vstack([vectors[labels[split] == topic] for split, vectors in embeddings.items()]))
        own, unusual = {}, {}
        for rate in RATES:
            for _ in range(n_windows):
                batches, injected = window_with(others, held, round(rate * WINDOW), rng)
                pooled, found_unusual = run_methods(tally, f"{rate:.0%}", references, batches, injected)
                own.setdefault(f"{rate:.0%}", []).append(own_neighbour_share(pooled, injected))
                # fewer than half unusual: no grouping of the unusual messages can detect the topic
                unusual.setdefault(f"{rate:.0%}", []).append(float(found_unusual[injected].mean()))
        chosen = tally[CHOSEN]
        topics.append({"topic": topic, "tweets": len(held[EMBEDDING]), "keywords": keywords[topic],
                       "own_neighbour_share_at_5%": round(float(np.mean(own["5%"])), 4),
                       "chance": round(WINDOW / (WINDOW + len(references[EMBEDDING])), 4),
                       "unusual_injected": {rate: round(float(np.mean(shares)), 4) for rate, shares in unusual.items()},
                       "detected": {f"{rate:.0%}": round(float(np.mean(chosen[f"{rate:.0%}"][-n_windows:])), 4)
                                    for rate in RATES}})
        print(f"held-out topic {topic} ({len(held[EMBEDDING])} tweets): {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
    return tally, topics


def topic_keywords(run: Path, labels: np.ndarray, n_topics: int) -> list[list[str]]:
    """Each topic's first c-TF-IDF keywords over the discovery tweets, as topics.json describes a topic."""
    discovery = read_frames(run / PREPROCESSED, ["keyword_text", "brand_keywords"])["discovery"]
    brand_words = frozenset(" ".join(discovery["brand_keywords"].unique()).split())
    found = ctfidf_keywords(discovery["keyword_text"].tolist(), labels, n_topics, KEYWORDS, excluded_words=brand_words)
    return [[term for term, _ in terms] for terms in found]


def trained_space(run: Path, seed: int) -> tuple[dict, dict, dict[str, MonitorSpace]]:
    """The trained models' spaces: the reference (their handoff's) and the evaluation tweets in each."""
    reducer, _ = load_reducer(run / MODELS / REDUCER)
    handoff = load_out_of_topic(run / MODELS / HANDOFF)
    spaces = spaces_of(reducer, handoff.reference, handoff.k, seed)
    return ({name: space.reference for name, space in spaces.items()},
            placed(spaces, read_arrays(run / EMBEDDINGS)["evaluation"]), spaces)


def foreign_intents(run: Path, n_intents: int, seed: int) -> tuple[dict, list[dict]]:
    """Every method on one window per intent at 1.5%; for each intent, the chosen method at 1.5% and at 1%, how much
    its requests are each other's neighbours, and the share of them the handoff flags one by one."""
    from tweet_topics.io.csv_input import read_csv_rows

    references, evaluation, spaces = trained_space(run, seed)
    embedded = np.load(run / FOREIGN_EMBEDDINGS)
    handoff = load_out_of_topic(run / MODELS / HANDOFF)
    flagged = handoff.needs_human(handoff.scores(embedded))
    foreign = placed(spaces, embedded)
    intents = np.asarray(read_csv_rows(run / load_section("foreign", run / PARAMS).path, "").frame["label"])
    chosen_space, chosen = methods()[CHOSEN]
    tally, rng, per_intent = {}, np.random.default_rng(seed + 1), []
    for intent in rng.permutation(np.unique(intents))[:n_intents]:
        requests = {name: vectors[intents == intent] for name, vectors in foreign.items()}
        batches, injected = window_with(evaluation, requests, INTENT_SIZE, rng)
        pooled, _ = run_methods(tally, "1.5%", references, batches, injected)
        fewer, injected_fewer = window_with(evaluation, requests, INTENT_SIZE_LOW, rng)
        found = candidates(chosen, PooledNeighbours.search(references[chosen_space], fewer[chosen_space], chosen.k),
                           references[chosen_space], fewer[chosen_space])
        share_flagged = round(float(flagged[intents == intent].mean()), 4)
        per_intent.append({"intent": str(intent), "flagged_one_by_one": share_flagged,
                           "own_neighbour_share_at_1.5%": round(own_neighbour_share(pooled, injected), 4),
                           "detected": {"1%": detected(found, injected_fewer), "1.5%": tally[CHOSEN]["1.5%"][-1]}})
    return tally, per_intent


def clean_windows(run: Path, n_windows: int, seed: int) -> dict:
    references, evaluation, _ = trained_space(run, seed)
    tally, rng = {}, np.random.default_rng(seed + 2)
    for _ in range(n_windows):
        rows = rng.choice(len(evaluation[EMBEDDING]), WINDOW, replace=False)
        run_methods(tally, "clean", references, {name: vectors[rows] for name, vectors in evaluation.items()}, None)
    return tally


def cost(run: Path, n_messages: int, repeats: int, folder: Path) -> dict:
    """Seconds to monitor and to predict the same n_messages tweets of the run, median of `repeats`, alternated."""
    from tweet_topics.monitoring.monitor_file import monitor_file
    from tweet_topics.serving.predict import predict_file

    frames = [pd.read_parquet(run / INGESTED / f"{split}.parquet", columns=["tweet_id", "text"])
              for split in ("evaluation", "validation", "discovery")]
    batch = pd.concat(frames).head(n_messages)
    source = folder / "batch.csv"
    batch.to_csv(source, index=False)
    params = replace(load_section("monitor", run / PARAMS), period=None)
    timings = {"predict": [], "monitor": []}
    for _ in range(repeats):
        started = time.perf_counter()
        predict_file(run / MODELS, source, folder / "routed.csv", progress=False)
        timings["predict"].append(time.perf_counter() - started)
        started = time.perf_counter()
        monitor_file(run / MODELS, source, folder / "monitor", params, progress=False)
        timings["monitor"].append(time.perf_counter() - started)
    medians = {name: float(np.median(values)) for name, values in timings.items()}
    return {"machine": {"cpus": os.cpu_count()}, "messages": len(batch), "repeats": repeats,
            "seconds": {name: [round(value, 2) for value in values] for name, values in timings.items()},
            "median_seconds": {name: round(value, 2) for name, value in medians.items()},
            "monitor_over_predict": round(medians["monitor"] / medians["predict"], 3)}


def summary(outcomes: list[bool]) -> float:
    return round(float(np.mean(outcomes)), 4)


def cost_table(results: dict) -> str:
    seconds = results["median_seconds"]
    return "\n".join([
        f"| {results['messages']:,} messages, median of {results['repeats']} | seconds |", "|---|---|",
        f"| `tweet-topics predict` | {seconds['predict']:.1f} |",
        f"| `tweet-topics monitor` | {seconds['monitor']:.1f} |",
        f"| monitor over predict | {results['monitor_over_predict']:.2f} |"])


def table(results: dict) -> str:
    if "monitor_over_predict" in results:
        return cost_table(results)
    rates = [f"{rate:.0%}" for rate in RATES]
    lines = [f"| method | held-out topics at {' / '.join(rates)} (mean) | worst topic at {' / '.join(rates)} "
             "| foreign intents | false alarms |", "|---|---|---|---|---|"]
    for name, row in results["methods"].items():
        chosen = " (chosen)" if name == results["chosen"] else ""
        mean = " / ".join(f"{row['held_out'][rate]:.0%}" for rate in rates)
        worst = " / ".join(f"{row['held_out_worst'][rate]:.0%}" for rate in rates)
        lines.append(f"| {name}{chosen} | {mean} | {worst} | {row['foreign']:.0%} | {row['false_alarms']:.0%} |")
    lines += ["", "Each held-out topic, by how much its messages are each other's neighbours (the chosen method):", "",
              f"| topic | its keywords | its tweets | injected among an injected message's 20 neighbours, at 5% |"
              f" injected messages unusual on their own at {' / '.join(rates)} | detected at {' / '.join(rates)} |",
              "|---|---|---|---|---|---|"]
    for topic in sorted(results["held_out_topics"], key=lambda topic: -topic["own_neighbour_share_at_5%"]):
        detected = " / ".join(f"{topic['detected'][rate]:.0%}" for rate in rates)
        unusual = " / ".join(f"{topic['unusual_injected'][rate]:.0%}" for rate in rates)
        lines.append(f"| {topic['topic']} | {', '.join(topic['keywords']) or NO_WORDS} | {topic['tweets']:,} |"
                     f" {topic['own_neighbour_share_at_5%']:.0%} | {unusual} | {detected} |")
    return "\n".join(lines + ["", intents_table(results["foreign_intents"])])


# the intents by the share of their requests the handoff flags one by one: (label, lowest share, highest share)
FLAG_BANDS = (("under 25%: written as customers tweet", 0.0, 0.25), ("25% to 75%", 0.25, 0.75),
              ("75% or more", 0.75, 1.0))


def intents_table(per_intent: list[dict]) -> str:
    lines = ["CLINC150's intents, by the share of their requests the handoff flags one by one (the chosen method):", "",
             "| requests flagged one by one | intents | detected at 1% / 1.5% | injected among an injected message's 20"
             " neighbours, at 1.5% | for example |", "|---|---|---|---|---|"]
    for label, low, high in FLAG_BANDS:
        band = [intent for intent in per_intent if low <= intent["flagged_one_by_one"] < high
                or intent["flagged_one_by_one"] == high == 1.0]
        if not band:
            continue
        found = " / ".join(f"{np.mean([intent['detected'][rate] for intent in band]):.0%}" for rate in ("1%", "1.5%"))
        share = np.mean([intent["own_neighbour_share_at_1.5%"] for intent in band])
        examples = ", ".join(sorted(intent["intent"] for intent in band)[:4])
        lines.append(f"| {label} | {len(band)} | {found} | {share:.0%} | {examples} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, default=Path("."))
    parser.add_argument("--k-fine", type=int, default=30)
    parser.add_argument("--topics", type=int, default=30, help="held-out topics measured (the first of k-fine)")
    parser.add_argument("--windows", type=int, default=2, help="windows per held-out topic and rate")
    parser.add_argument("--clean", type=int, default=100)
    parser.add_argument("--intents", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cost", action="store_true", help="time monitor against predict instead")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    command = "python bench/bench_monitor.py " + " ".join(argv if argv is not None else sys.argv[1:])
    if args.cost:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            results = {"command": command, **cost(args.run, args.messages, args.repeats, Path(folder))}
        out = args.out or Path("bench/results/monitor_cost.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")
        print(json.dumps(results["median_seconds"]), results["monitor_over_predict"])
        return

    reduction = ReductionParams.from_sections(load_sections(*REDUCE_SECTIONS, path=args.run / PARAMS))
    kmeans = load_section("kmeans", args.run / PARAMS)
    started = time.perf_counter()
    clean = clean_windows(args.run, args.clean, args.seed)
    foreign, per_intent = foreign_intents(args.run, args.intents, args.seed)
    handoff = load_section("handoff", args.run / PARAMS)
    held, per_topic = held_out_topics(args.run, reduction, kmeans, handoff, args.k_fine, args.topics, args.windows,
                                      args.seed)
    rows = {}
    for name in methods():
        by_topic = {rate: np.array(held[name][rate]).reshape(-1, args.windows).mean(axis=1) for rate in held[name]}
        rows[name] = {"held_out": {rate: round(float(v.mean()), 4) for rate, v in by_topic.items()},
                      "held_out_worst": {rate: round(float(v.min()), 4) for rate, v in by_topic.items()},
                      "foreign": summary(foreign[name]["1.5%"]), "false_alarms": summary(clean[name]["clean"])}
    results = {"machine": {"cpus": os.cpu_count()}, "command": command, "window": WINDOW, "reference": MAX_REFERENCE,
        "k_fine": args.k_fine, "topics": min(args.topics, args.k_fine), "windows_per_topic_and_rate": args.windows,
        "clean_windows": args.clean, "intents": args.intents, "seconds": round(time.perf_counter() - started),
        "chosen": CHOSEN, "methods": rows, "held_out_topics": per_topic, "foreign_intents": per_intent}
    out = args.out or Path("bench/results/monitor.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))


if __name__ == "__main__":
    main()
