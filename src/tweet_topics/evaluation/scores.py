"""How well the classifier reproduces the pseudo-labels on each split."""

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, classification_report, f1_score


def split_scores(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    return {
        "accuracy": round(float(accuracy_score(actual, predicted)), 6),
        "macro_f1": round(float(f1_score(actual, predicted, average="macro", zero_division=0)), 6),
        "weighted_f1": round(float(f1_score(actual, predicted, average="weighted", zero_division=0)), 6),
        "n_tweets": int(len(actual)),
    }


def report(actual: np.ndarray, predicted: np.ndarray, names: list[str]) -> dict:
    """Per-topic precision, recall and F1, keyed by the topic's name."""
    raw = classification_report(actual, predicted, labels=np.arange(len(names)), target_names=names,
                                output_dict=True, zero_division=0)
    return {key: ({k: round(float(v), 6) for k, v in value.items()} if isinstance(value, dict)
                  else round(float(value), 6))
            for key, value in raw.items()}


def confusion_rows(actual: np.ndarray, predicted: np.ndarray, tweet_ids: np.ndarray, names: list[str],
                   max_rows: int) -> pd.DataFrame:
    """(actual, predicted) topic names for `dvc plots`; beyond `max_rows`, a fixed sample spread over tweet ids."""
    rows = pd.DataFrame({"tweet_id": tweet_ids, "actual": actual, "predicted": predicted})
    if len(rows) > max_rows:
        rows = rows.sort_values("tweet_id").iloc[np.linspace(0, len(rows) - 1, max_rows).astype(int)]
    named = np.asarray(names, dtype=object)
    return pd.DataFrame({"actual": named[rows["actual"]], "predicted": named[rows["predicted"]]})
