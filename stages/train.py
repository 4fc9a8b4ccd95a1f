"""train: LogisticRegression that routes a tweet's reduced embedding to its topic (the discovery pseudo-labels)."""

from pathlib import Path

import joblib
import pandas as pd

from tweet_topics.atomic import atomic_file
from tweet_topics.classify import train_classifier
from tweet_topics.datasets import read_arrays
from tweet_topics.params import load_section
from tweet_topics.stage import run_stage

REDUCED_DIR = Path("data/05_reduced")
LABELS_FILE = Path("data/06_clustered/discovery.parquet")
MODEL_FILE = Path("models/classifier.joblib")


def main() -> None:
    params = load_section("train")
    features = read_arrays(REDUCED_DIR)["discovery"]
    labels = pd.read_parquet(LABELS_FILE, columns=["pseudo_label"])["pseudo_label"].to_numpy()
    classifier = train_classifier(features, labels, params["C"], params["class_weight"], params["max_iter"])
    with atomic_file(MODEL_FILE) as tmp:
        joblib.dump(classifier, tmp)


if __name__ == "__main__":
    run_stage("train", main)
