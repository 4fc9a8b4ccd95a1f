"""Probabilities that mean what they say: temperature scaling of the classifier's scores, fitted on the validation
split (Guo et al., 2017), and the expected calibration error and reliability table that check it on evaluation.

A LogisticRegression with a large C on clean pseudo-labels is overconfident (mean top probability 0.997 on new
tweets before this): one temperature divides every score, so the ranking of topics, and with it every routed topic,
stays as it was while the probabilities spread out to match how often the top topic is right."""

import numpy as np
from scipy.optimize import minimize_scalar

RELIABILITY_BINS = 15  # equal-width confidence bins, as in Guo et al.
TEMPERATURE_BOUNDS = (0.05, 100.0)


def softmax(scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64)
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def fit_temperature(scores: np.ndarray, labels: np.ndarray) -> float:
    """The temperature T minimising the negative log-likelihood of softmax(scores / T) for `labels`."""
    scores = np.asarray(scores, dtype=np.float64)
    rows = np.arange(len(labels))

    def nll(log_t: float) -> float:
        scaled = scores / np.exp(log_t)
        shifted = scaled - scaled.max(axis=1, keepdims=True)
        return float(np.mean(np.log(np.exp(shifted).sum(axis=1)) - shifted[rows, labels]))

    low, high = np.log(TEMPERATURE_BOUNDS)
    return round(float(np.exp(minimize_scalar(nll, bounds=(low, high), method="bounded").x)), 6)


def reliability_table(probabilities: np.ndarray, labels: np.ndarray, bins: int = RELIABILITY_BINS) -> list[dict]:
    """Per confidence bin (by the top probability): its range, the messages in it, their mean confidence and how
    often their top topic is the label."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    table = []
    for index in range(bins):
        members = which == index
        count = int(members.sum())
        table.append({"bin_low": round(float(edges[index]), 6), "bin_high": round(float(edges[index + 1]), 6),
                      "count": count,
                      "confidence": round(float(confidence[members].mean()), 6) if count else None,
                      "accuracy": round(float(correct[members].mean()), 6) if count else None})
    return table


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = RELIABILITY_BINS) -> float:
    """The gap between confidence and accuracy, averaged over the bins weighted by their share of messages."""
    total = len(labels)
    gaps = [row["count"] / total * abs(row["confidence"] - row["accuracy"])
            for row in reliability_table(probabilities, labels, bins) if row["count"]]
    return round(float(sum(gaps)), 6)
