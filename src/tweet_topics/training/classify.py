"""The router: a LogisticRegression that learns the pseudo-labels from the reduced embeddings, kept as its
weights (and the temperature that calibrates it, calibration.py) so that loading it runs no code."""

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from tweet_topics.io.artifacts import load_arrays, save_arrays
from tweet_topics.params import TrainParams
from tweet_topics.training.calibration import fit_temperature, softmax


@dataclass(frozen=True)
class LinearClassifier:
    coef: np.ndarray  # (n_topics, n_features)
    intercept: np.ndarray  # (n_topics,)
    temperature: float = 1.0  # the scores are divided by it (calibration.py); 1 is LogisticRegression's own

    def scores(self, features: np.ndarray) -> np.ndarray:
        """The topics' linear scores (logits), before the temperature."""
        return np.asarray(features, dtype=np.float64) @ self.coef.T + self.intercept

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Softmax over the topics of the scores divided by the temperature, float64 rows summing to 1 (at
        temperature 1, multinomial LogisticRegression's predict_proba)."""
        return softmax(self.scores(features) / self.temperature)

    def calibrated(self, features: np.ndarray, labels: np.ndarray) -> "LinearClassifier":
        """This classifier with the temperature that best fits `labels` of held-out `features`."""
        return replace(self, temperature=fit_temperature(self.scores(features), labels))

    def predict(self, features: np.ndarray) -> np.ndarray:
        return self.probabilities(features).argmax(axis=1).astype(np.int32)


def train_classifier(features: np.ndarray, labels: np.ndarray, train: TrainParams) -> LinearClassifier:
    fitted = LogisticRegression(C=train.C, class_weight=train.class_weight, max_iter=train.max_iter).fit(features,
                                                                                                       labels)
    if not np.array_equal(fitted.classes_, np.arange(len(fitted.classes_))):
        raise ValueError(f"expected the topics 0..k-1 as labels, got {fitted.classes_}")  # KMeans guarantees it
    coef, intercept = fitted.coef_.astype(np.float64), fitted.intercept_.astype(np.float64)
    if len(fitted.classes_) == 2:  # one logistic row; as softmax rows (0, w) it gives the same probabilities
        coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
    return LinearClassifier(coef, intercept)


def save_classifier(path: Path, classifier: LinearClassifier) -> None:
    save_arrays(path, {"coef": classifier.coef, "intercept": classifier.intercept},
                {"kind": "classifier", "temperature": classifier.temperature})


def load_classifier(path: Path) -> LinearClassifier:
    arrays, meta = load_arrays(path, "classifier")
    return LinearClassifier(**arrays, temperature=meta.get("temperature", 1.0))  # older files: uncalibrated
