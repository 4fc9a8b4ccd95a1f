"""train: LogisticRegression that routes a tweet's reduced embedding to its topic (the discovery pseudo-labels), its
temperature fitted on the validation split (training/calibration.py), and models/manifest.json, which ties the fitted
artifacts, the embedding model and the params together for `predict`."""

import pandas as pd

from tweet_topics.io.artifacts import read_json
from tweet_topics.io.atomic import write_json
from tweet_topics.io.datasets import read_arrays
from tweet_topics.params import load_sections
from tweet_topics.paths import CLASSIFIER, CLUSTERED, EMBEDDINGS, ENCODER, MANIFEST, MODELS, REDUCED
from tweet_topics.stage import run_stage
from tweet_topics.training.classify import save_classifier, train_classifier
from tweet_topics.training.manifest import RECORDED_SECTIONS, build_manifest


def main() -> None:
    params = load_sections(*RECORDED_SECTIONS)
    train = params["train"]
    features = read_arrays(REDUCED)
    discovery = pd.read_parquet(CLUSTERED / "discovery.parquet", columns=["tweet_id", "pseudo_label"])
    validation = pd.read_parquet(CLUSTERED / "validation.parquet", columns=["pseudo_label"])
    labels = discovery["pseudo_label"].to_numpy()
    classifier = train_classifier(features["discovery"], labels, train)
    classifier = classifier.calibrated(features["validation"], validation["pseudo_label"].to_numpy())
    save_classifier(MODELS / CLASSIFIER, classifier)
    manifest = build_manifest(MODELS, params, read_json(EMBEDDINGS / ENCODER), discovery["tweet_id"].to_numpy(),
                              labels)
    write_json(MODELS / MANIFEST, manifest)


if __name__ == "__main__":
    run_stage("train", main)
