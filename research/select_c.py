"""Study: which train.C gives the router the best validation macro-F1, on the outputs of the last `dvc repro`?

    python research/select_c.py [C ...]

Run it from the project root after `dvc repro`: the router (train.class_weight and train.max_iter as params.yaml
sets them) is trained on the discovery split's reduced vectors and pseudo-labels for each C of the grid (default:
nine values from 0.01 to 100, evenly spaced in log scale) and scored on the validation split.
"""

import argparse
from dataclasses import replace

import numpy as np

from tweet_topics.evaluation.scores import split_scores
from tweet_topics.io.datasets import read_arrays, read_frames
from tweet_topics.params import load_section
from tweet_topics.paths import CLUSTERED, REDUCED
from tweet_topics.training.classify import train_classifier


def main(grid: list[float]) -> None:
    params = load_section("train")
    features = read_arrays(REDUCED)
    labels = {split: frame["pseudo_label"].to_numpy()
              for split, frame in read_frames(CLUSTERED, columns=["pseudo_label"]).items()}
    print(f"{'C':>8}  validation macro-F1  accuracy")
    for C in grid:
        classifier = train_classifier(features["discovery"], labels["discovery"], replace(params, C=C))
        scores = split_scores(labels["validation"], classifier.predict(features["validation"]))
        print(f"{C:>8g}  {scores['macro_f1']:>19.4f}  {scores['accuracy']:.4f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("grid", nargs="*", type=float, help="values of C (default: 0.01 to 100, nine in log scale)")
    main(parser.parse_args().grid or list(np.logspace(-2, 2, 9)))
