import numpy as np
import pytest

from tweet_topics.evaluation.agreement import agreement_scores, hungarian_accuracy, purity

KEYS = {"accuracy", "nmi", "ari", "homogeneity", "completeness"}


def _table_to_labels(table: list[list[int]]) -> tuple[list[str], list[int]]:
    """Expand a contingency table (rows = gold labels, columns = clusters) into two label lists."""
    true, found = [], []
    for row, counts in enumerate(table):
        for column, count in enumerate(counts):
            true += [f"label-{row}"] * count
            found += [column] * count
    return true, found


@pytest.mark.parametrize("rename", [lambda c: {"a": 7, "b": 0, "c": 3}[c], lambda c: f"cluster {c.upper()}"])
def test_clusters_equal_to_labels_score_one_whatever_their_ids(rename):
    true = ["a", "b", "c", "a", "c", "b", "b", "a"]
    scores = agreement_scores(true, [rename(label) for label in true])
    assert set(scores) == KEYS
    assert all(value == 1.0 for value in scores.values()), scores


def test_hungarian_accuracy_uses_the_optimal_matching_when_k_differs_from_the_label_count():
    # label 0: 4 / 3 / 1 in clusters 0 / 1 / 2; label 1: 3 / 0 / 0.
    # Greedy (largest cell first) maps label 0 -> cluster 0 and gets 4 + 0; the optimum is 3 + 3.
    true, found = _table_to_labels([[4, 3, 1], [3, 0, 0]])
    assert hungarian_accuracy(true, found) == pytest.approx(6 / 11)
    # and with more labels than clusters: the third label cannot be matched at all
    true, found = _table_to_labels([[5, 0], [1, 4], [0, 2]])
    assert hungarian_accuracy(true, found) == pytest.approx(9 / 12)


def test_purity_takes_each_clusters_majority():
    true, found = _table_to_labels([[4, 3, 1], [3, 0, 0]])
    assert purity(true, found) == pytest.approx((4 + 3 + 1) / 11)


def test_singleton_clusters_have_perfect_purity_but_not_accuracy():
    true = ["x"] * 5 + ["y"] * 5
    found = list(range(10))
    assert purity(true, found) == 1.0
    assert hungarian_accuracy(true, found) == pytest.approx(2 / 10)


def test_random_assignment_scores_low():
    rng = np.random.default_rng(0)
    true = rng.integers(0, 20, size=4000).astype(str)
    scores = agreement_scores(true, rng.integers(0, 20, size=4000))
    assert scores["accuracy"] < 0.12
    assert scores["nmi"] < 0.05
    assert abs(scores["ari"]) < 0.01
    assert scores["homogeneity"] < 0.05 and scores["completeness"] < 0.05


def test_scores_are_rounded_to_six_decimals():
    true, found = _table_to_labels([[4, 3, 1], [3, 0, 0]])
    for value in agreement_scores(true, found).values():
        assert value == round(value, 6)


def test_mismatched_lengths_are_rejected():
    with pytest.raises(ValueError):
        hungarian_accuracy(["a", "b"], [0])
