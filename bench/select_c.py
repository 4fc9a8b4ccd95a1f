"""Validation macro-F1 of the router for a grid of train.C, on the outputs of the last `dvc repro`.

Usage (from the repository root, after `dvc repro`): python bench/select_c.py [C ...]
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from tweet_topics.evaluation.evaluate import split_scores
from tweet_topics.io.datasets import read_arrays
from tweet_topics.routing.classify import train_classifier


def main(grid: list[float]) -> None:
    params = yaml.safe_load(Path("params.yaml").read_text())["train"]
    features = read_arrays(Path("data/05_reduced"))
    labels = {split: pd.read_parquet(f"data/06_clustered/{split}.parquet")["pseudo_label"].to_numpy()
              for split in ("discovery", "validation")}
    print(f"{'C':>8}  validation macro-F1  accuracy")
    for C in grid:
        classifier = train_classifier(features["discovery"], labels["discovery"], C, params["class_weight"],
                                      params["max_iter"])
        scores = split_scores(labels["validation"], classifier.predict(features["validation"]))
        print(f"{C:>8g}  {scores['macro_f1']:>19.4f}  {scores['accuracy']:.4f}")


if __name__ == "__main__":
    main([float(c) for c in sys.argv[1:]] or list(np.logspace(-2, 2, 9)))
