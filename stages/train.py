"""train: LogisticRegression that routes a tweet's reduced embedding to its topic (the discovery pseudo-labels), and
models/manifest.json, which ties the fitted artifacts, the embedding model and the params together for `predict`."""

from pathlib import Path

import pandas as pd

from tweet_topics.atomic import write_json
from tweet_topics.classify import save_classifier, train_classifier
from tweet_topics.datasets import read_arrays
from tweet_topics.manifest import CLASSIFIER, MANIFEST, RECORDED_SECTIONS, build_manifest
from tweet_topics.params import load_sections
from tweet_topics.stage import run_stage

REDUCED_DIR = Path("data/05_reduced")
LABELS_FILE = Path("data/06_clustered/discovery.parquet")
MODELS_DIR = Path("models")


def main() -> None:
    params = load_sections(*RECORDED_SECTIONS)
    train = params["train"]
    features = read_arrays(REDUCED_DIR)["discovery"]
    discovery = pd.read_parquet(LABELS_FILE, columns=["tweet_id", "pseudo_label"])
    labels = discovery["pseudo_label"].to_numpy()
    classifier = train_classifier(features, labels, train["C"], train["class_weight"], train["max_iter"])
    save_classifier(MODELS_DIR / CLASSIFIER, classifier)
    write_json(MODELS_DIR / MANIFEST, build_manifest(MODELS_DIR, params, discovery["tweet_id"].to_numpy(), labels))


if __name__ == "__main__":
    run_stage("train", main)
