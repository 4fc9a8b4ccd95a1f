"""Temperature scaling and the calibration error (training/calibration.py, classify.LinearClassifier)."""

import numpy as np
import pytest

from tweet_topics.io.artifacts import save_arrays
from tweet_topics.training.calibration import (
    expected_calibration_error,
    fit_temperature,
    reliability_table,
    softmax,
)
from tweet_topics.training.classify import LinearClassifier, load_classifier, save_classifier


def sampled(scores: np.ndarray, temperature: float, seed: int = 0) -> np.ndarray:
    """Labels drawn from softmax(scores / temperature): the probabilities at that temperature are exactly right."""
    probabilities = softmax(scores / temperature)
    rng = np.random.default_rng(seed)
    return np.array([rng.choice(len(row), p=row) for row in probabilities])


@pytest.fixture(scope="module")
def scores() -> np.ndarray:
    return np.random.default_rng(1).normal(scale=4.0, size=(20_000, 6))


@pytest.mark.parametrize("true_temperature", [0.5, 1.0, 3.0])
def test_the_fitted_temperature_is_the_one_the_labels_were_drawn_with(scores, true_temperature):
    assert fit_temperature(scores, sampled(scores, true_temperature)) == pytest.approx(true_temperature, rel=0.08)


def test_overconfident_probabilities_have_a_large_error_and_the_temperature_removes_it(scores):
    labels = sampled(scores, 3.0)
    overconfident = softmax(scores)  # temperature 1 where the truth is 3
    calibrated = softmax(scores / fit_temperature(scores, labels))
    assert expected_calibration_error(overconfident, labels) > 0.1
    assert expected_calibration_error(calibrated, labels) < 0.02
    assert np.array_equal(overconfident.argmax(axis=1), calibrated.argmax(axis=1))  # the routed topics stay


def test_the_reliability_table_covers_every_message_once(scores):
    labels = sampled(scores, 1.0)
    table = reliability_table(softmax(scores), labels)
    assert sum(row["count"] for row in table) == len(labels)
    assert table[0]["bin_low"] == 0.0 and table[-1]["bin_high"] == 1.0
    for row in table:
        if row["count"]:
            assert row["bin_low"] <= row["confidence"] <= row["bin_high"]


def test_a_classifier_keeps_its_temperature_on_disk_and_an_older_file_reads_as_uncalibrated(tmp_path):
    classifier = LinearClassifier(np.eye(3, 4), np.zeros(3), temperature=2.5)
    save_classifier(tmp_path / "classifier.npz", classifier)
    loaded = load_classifier(tmp_path / "classifier.npz")
    assert loaded.temperature == 2.5
    features = np.random.default_rng(0).normal(size=(5, 4))
    assert np.allclose(loaded.probabilities(features), softmax((features @ np.eye(3, 4).T) / 2.5))
    save_arrays(tmp_path / "old.npz", {"coef": np.eye(3, 4), "intercept": np.zeros(3)}, {"kind": "classifier"})
    assert load_classifier(tmp_path / "old.npz").temperature == 1.0


def test_calibrating_a_classifier_changes_its_probabilities_not_its_topics():
    rng = np.random.default_rng(3)
    features = rng.normal(size=(4000, 5))
    coef = rng.normal(size=(4, 5)) * 3
    classifier = LinearClassifier(coef, np.zeros(4))
    labels = sampled(classifier.scores(features), 2.0)
    calibrated = classifier.calibrated(features, labels)
    assert calibrated.temperature == pytest.approx(2.0, rel=0.1)
    assert np.array_equal(classifier.predict(features), calibrated.predict(features))
