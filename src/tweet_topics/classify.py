"""The router: a LogisticRegression that learns the pseudo-labels from the reduced embeddings."""

import numpy as np
from sklearn.linear_model import LogisticRegression


def train_classifier(features: np.ndarray, labels: np.ndarray, C: float, class_weight: str | None,
                     max_iter: int) -> LogisticRegression:
    return LogisticRegression(C=C, class_weight=class_weight, max_iter=max_iter).fit(features, labels)
