"""The router: a LogisticRegression that learns the pseudo-labels from the reduced embeddings, kept as its
weights so that loading it runs no code."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from tweet_topics.io.artifacts import load_arrays, save_arrays


@dataclass(frozen=True)
class LinearClassifier:
    coef: np.ndarray  # (n_topics, n_features)
    intercept: np.ndarray  # (n_topics,)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Softmax over the topics (multinomial LogisticRegression's predict_proba), float64 rows summing to 1."""
        scores = np.asarray(features, dtype=np.float64) @ self.coef.T + self.intercept
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(self, features: np.ndarray) -> np.ndarray:
        return self.probabilities(features).argmax(axis=1).astype(np.int32)


def train_classifier(features: np.ndarray, labels: np.ndarray, C: float, class_weight: str | None,
                     max_iter: int) -> LinearClassifier:
    fitted = LogisticRegression(C=C, class_weight=class_weight, max_iter=max_iter).fit(features, labels)
    if not np.array_equal(fitted.classes_, np.arange(len(fitted.classes_))):
        raise ValueError(f"expected the topics 0..k-1 as labels, got {fitted.classes_}")  # KMeans guarantees it
    coef, intercept = fitted.coef_.astype(np.float64), fitted.intercept_.astype(np.float64)
    if len(fitted.classes_) == 2:  # one logistic row; as softmax rows (0, w) it gives the same probabilities
        coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
    return LinearClassifier(coef, intercept)


def save_classifier(path: Path, classifier: LinearClassifier) -> None:
    save_arrays(path, {"coef": classifier.coef, "intercept": classifier.intercept}, {"kind": "classifier"})


def load_classifier(path: Path) -> LinearClassifier:
    return LinearClassifier(**load_arrays(path, "classifier")[0])
