"""evaluate: accuracy, macro-F1 and weighted-F1 per split, a classification report and confusion-matrix data."""

from pathlib import Path

import joblib

from tweet_topics.atomic import atomic_file, write_json
from tweet_topics.datasets import read_arrays, read_frames
from tweet_topics.evaluate import confusion_rows, report, split_scores
from tweet_topics.stage import run_stage

REDUCED_DIR = Path("data/05_reduced")
CLUSTERED_DIR = Path("data/06_clustered")
MODEL_FILE = Path("models/classifier.joblib")
METRICS_FILE = Path("metrics/metrics.json")
REPORT_FILE = Path("metrics/classification_report.json")
CONFUSION_FILE = Path("metrics/confusion_evaluation.csv")
CONFUSION_MAX_ROWS = 20_000  # keeps the git-tracked plot file small at full scale


def main() -> None:
    classifier = joblib.load(MODEL_FILE)
    features = read_arrays(REDUCED_DIR)
    frames = read_frames(CLUSTERED_DIR)
    metrics, predictions = {}, {}
    for split, frame in frames.items():
        predictions[split] = classifier.predict(features[split])
        metrics[split] = split_scores(frame["pseudo_label"].to_numpy(), predictions[split])
    evaluation = frames["evaluation"]
    write_json(METRICS_FILE, metrics)
    write_json(REPORT_FILE, report(evaluation["pseudo_label"].to_numpy(), predictions["evaluation"]))
    with atomic_file(CONFUSION_FILE) as tmp:
        confusion_rows(evaluation["pseudo_label"].to_numpy(), predictions["evaluation"],
                       evaluation["tweet_id"].to_numpy(), CONFUSION_MAX_ROWS).to_csv(tmp, index=False)


if __name__ == "__main__":
    run_stage("evaluate", main)
