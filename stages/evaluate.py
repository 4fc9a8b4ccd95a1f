"""evaluate: scores per split, cluster quality and end-to-end stability, the calibration of the probabilities and
the handoff's flags, a report with figures, and the data of `dvc plots`."""

import json
from dataclasses import replace

import numpy as np
import pandas as pd
from sklearn.metrics import normalized_mutual_info_score

from tweet_topics.chain.topics import TopicSteps
from tweet_topics.discovery.breakdowns import topics_over_time, topics_per_brand, trending
from tweet_topics.discovery.descriptions import topic_names
from tweet_topics.discovery.topic_changes import changes_markdown
from tweet_topics.evaluation.confidence_report import plot_handoff_tradeoff, plot_reliability
from tweet_topics.evaluation.handoff_eval import handoff_checks
from tweet_topics.evaluation.quality import partition_quality
from tweet_topics.evaluation.report import (
    markdown_report,
    plot_confusion,
    plot_topic_map,
    plot_topic_sizes,
    plot_topics_over_time,
    plot_topics_per_brand,
    topic_map_table,
    topic_sizes_table,
)
from tweet_topics.evaluation.scores import confusion_rows, report, split_scores
from tweet_topics.evaluation.stability import end_to_end_stability
from tweet_topics.io.atomic import atomic_dir, atomic_file, write_json
from tweet_topics.io.datasets import read_arrays, read_frames
from tweet_topics.params import REDUCE_SECTIONS, ReductionParams, load_sections
from tweet_topics.paths import (
    CLASSIFICATION_REPORT,
    CLASSIFIER,
    CLUSTERED,
    EMBEDDINGS,
    EVALUATION_PREDICTIONS,
    FOREIGN_EMBEDDINGS,
    HANDOFF,
    HANDOFF_TRADEOFF,
    METRICS,
    MODELS,
    PLOTS,
    REDUCED,
    RELIABILITY,
    REPORT,
    TOPIC_CHANGES,
    TOPICS,
)
from tweet_topics.stage import run_stage
from tweet_topics.training.calibration import expected_calibration_error, reliability_table
from tweet_topics.training.classify import load_classifier
from tweet_topics.training.handoff import load_out_of_topic

CONFUSION_MAX_ROWS = 20_000  # keeps the git-tracked plot file small at full scale


def main() -> None:
    params = load_sections(*REDUCE_SECTIONS, "kmeans", "stability", "handoff")
    kmeans = params["kmeans"]
    steps = TopicSteps(ReductionParams.from_sections(params), kmeans)  # embeddings -> topics, for the stability
    classifier = load_classifier(MODELS / CLASSIFIER)
    topics = json.loads((MODELS / TOPICS).read_text(encoding="utf-8"))
    names = topic_names(topics)
    topic_ids = np.array([topic["topic"] for topic in topics["topics"]])
    features = read_arrays(REDUCED)
    frames = read_frames(CLUSTERED)

    metrics, predictions, probabilities = {}, {}, {}
    for split, frame in frames.items():
        probabilities[split] = classifier.probabilities(features[split])
        predictions[split] = probabilities[split].argmax(axis=1)
        metrics[split] = split_scores(frame["pseudo_label"].to_numpy(), predictions[split])
    discovery_labels = frames["discovery"]["pseudo_label"].to_numpy()
    n_topics = len(names)  # after people's merges
    embeddings = read_arrays(EMBEDDINGS, lazy=True)["discovery"]
    every = pd.concat(frames.values(), ignore_index=True)  # every tweet with its topic, for the breakdowns
    shown = np.asarray(names, dtype=object)[every["pseudo_label"].to_numpy()]
    branded = every["brand"].to_numpy() != ""
    metrics["clusters"] = {
        **partition_quality(features["discovery"], discovery_labels, n_topics, kmeans.seed),
        "stability_ari": end_to_end_stability(embeddings, steps, params["stability"], kmeans.n_clusters),
        # how much the topics follow the brand addressed (issue #19: intents, not brands)
        "nmi_topic_brand": round(float(normalized_mutual_info_score(every["brand"][branded], shown[branded])), 6),
    }
    per_brand = topics_per_brand(every["brand"].to_numpy(), shown)
    over_time = topics_over_time(every["created_at"], shown)
    evaluation = frames["evaluation"]
    actual, predicted = evaluation["pseudo_label"].to_numpy(), predictions["evaluation"]
    uncalibrated = replace(classifier, temperature=1.0).probabilities(features["evaluation"])
    reliability = pd.DataFrame(reliability_table(probabilities["evaluation"], actual))
    metrics["calibration"] = {
        "temperature": classifier.temperature,
        "ece_evaluation": expected_calibration_error(probabilities["evaluation"], actual),
        "ece_evaluation_uncalibrated": expected_calibration_error(uncalibrated, actual),
        "mean_top_probability_evaluation": round(float(probabilities["evaluation"].max(axis=1).mean()), 6),
    }
    all_embeddings = read_arrays(EMBEDDINGS, lazy=True)
    labels = {split: frame["pseudo_label"].to_numpy() for split, frame in frames.items()}
    metrics["handoff"], tradeoff = handoff_checks(load_out_of_topic(MODELS / HANDOFF), all_embeddings, labels,
                                                  np.load(FOREIGN_EMBEDDINGS), names, params["handoff"])

    write_json(METRICS, metrics)
    write_json(CLASSIFICATION_REPORT, report(actual, predicted, names))
    sizes = topic_sizes_table(topics)
    points = topic_map_table(features["discovery"], discovery_labels, names, kmeans.seed)
    confusion = confusion_rows(actual, predicted, evaluation["tweet_id"].to_numpy(), names, CONFUSION_MAX_ROWS)
    for name, table in [("confusion_evaluation", confusion), ("topic_sizes", sizes), ("topic_map", points),
                        ("topics_per_brand", per_brand), ("topics_over_time", over_time)]:
        with atomic_file(PLOTS / f"{name}.csv") as tmp:
            table.to_csv(tmp, index=False)
    for path, table in [(RELIABILITY, reliability), (HANDOFF_TRADEOFF, tradeoff)]:
        with atomic_file(path) as tmp:
            table.to_csv(tmp, index=False)
    with atomic_dir(REPORT) as tmp:
        figures = {"sizes": "topic_sizes.png", "map": "topic_map.png", "confusion": "confusion_matrix.png",
                   "over_time": "topics_over_time.png", "per_brand": "topics_per_brand.png",
                   "reliability": "reliability.png", "handoff": "handoff_tradeoff.png"}
        plot_topic_sizes(sizes, tmp / figures["sizes"])
        plot_topic_map(points, tmp / figures["map"])
        plot_confusion(actual, predicted, names, tmp / figures["confusion"])
        plot_topics_over_time(over_time, tmp / figures["over_time"])
        plot_topics_per_brand(per_brand, tmp / figures["per_brand"])
        plot_reliability(reliability, tmp / figures["reliability"])
        plot_handoff_tradeoff(tradeoff, params["handoff"].flag_rate, tmp / figures["handoff"])
        changes = changes_markdown(json.loads(TOPIC_CHANGES.read_text(encoding="utf-8")), topics)
        (tmp / "report.md").write_text(markdown_report(topics, metrics, figures, changes, per_brand,
                                                       trending(over_time)), encoding="utf-8")
        # every evaluation tweet, to read the disagreements (and what `predict` must reproduce exactly)
        evaluation[["tweet_id", "text"]].assign(
            pseudo_label=topic_ids[actual], topic_id=topic_ids[predicted],
            topic_label=np.asarray(names, dtype=object)[predicted],
            probability=probabilities["evaluation"].max(axis=1),
        ).to_csv(tmp / EVALUATION_PREDICTIONS, index=False)


if __name__ == "__main__":
    run_stage("evaluate", main)
