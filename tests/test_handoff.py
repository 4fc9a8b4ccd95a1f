"""The handoff's out-of-topic score and needs_human threshold (training/handoff.py), and its checks
(evaluation/handoff_eval.py), on embeddings whose geometry is known."""

from dataclasses import replace

import numpy as np
import pytest

from tweet_topics.evaluation.handoff_eval import handoff_checks
from tweet_topics.params import HandoffParams, ReductionParams, TrainParams, validate_section
from tweet_topics.training.handoff import fit_out_of_topic, load_out_of_topic, save_out_of_topic

PARAMS = validate_section("handoff", {"flag_rate": 0.05, "k": 5, "max_reference_tweets": 50_000,
                                      "max_tweets": 20_000, "seed": 0})


def clusters(n_per_topic: int, centres: np.ndarray, seed: int, spread: float = 0.15):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(centres)), n_per_topic)
    return centres[labels] + rng.normal(scale=spread, size=(len(labels), centres.shape[1])), labels


@pytest.fixture(scope="module")
def world():
    centres = np.eye(4, 16) * 3  # four topics, far apart
    embeddings, labels = {}, {}
    for seed, split in enumerate(("discovery", "validation", "evaluation")):
        embeddings[split], labels[split] = clusters(300 if split == "discovery" else 100, centres, seed)
    foreign, _ = clusters(200, -np.eye(1, 16, 5) * 3, 9)  # a direction no topic has
    return embeddings, labels, foreign


def test_the_threshold_flags_the_flag_rate_of_validation_and_foreign_messages_score_higher(world):
    embeddings, labels, foreign = world
    scorer = fit_out_of_topic(embeddings["discovery"], embeddings["validation"], PARAMS)
    assert np.mean(scorer.needs_human(scorer.scores(embeddings["validation"]))) <= PARAMS.flag_rate
    assert np.mean(scorer.needs_human(scorer.scores(embeddings["evaluation"]))) <= 0.1
    assert scorer.needs_human(scorer.scores(foreign)).all()
    assert scorer.scores(foreign).min() > scorer.scores(embeddings["evaluation"]).max()


def test_a_flag_rate_of_more_flags_more(world):
    embeddings, _, _ = world
    low = fit_out_of_topic(embeddings["discovery"], embeddings["validation"], PARAMS)
    high = fit_out_of_topic(embeddings["discovery"], embeddings["validation"], replace(PARAMS, flag_rate=0.3))
    assert high.threshold < low.threshold


def test_the_scorer_reads_back_from_disk_as_it_was(world, tmp_path):
    embeddings, _, foreign = world
    scorer = fit_out_of_topic(embeddings["discovery"], embeddings["validation"], PARAMS)
    save_out_of_topic(tmp_path / "handoff.npz", scorer)
    loaded = load_out_of_topic(tmp_path / "handoff.npz")
    assert (loaded.k, loaded.threshold) == (scorer.k, scorer.threshold)
    assert np.array_equal(loaded.scores(foreign), scorer.scores(foreign))


def test_a_topic_left_out_of_the_reference_is_flagged_as_new(world):
    embeddings, labels, foreign = world
    metrics, table = handoff_checks(fit_out_of_topic(embeddings["discovery"], embeddings["validation"], PARAMS),
                                    embeddings, labels, foreign, ["a", "b", "c", "d"], PARAMS)
    assert metrics["held_out_detection_worst"] > 0.9  # far-apart topics: each is new to the others
    assert set(metrics["held_out_detection"]) == {"a", "b", "c", "d"}
    assert metrics["foreign_detection"] == 1.0
    assert metrics["false_flag_evaluation"] <= 0.1
    assert list(table["flag_rate"]) == sorted(table["flag_rate"])
    assert table["false_flag_evaluation"].is_monotonic_increasing


def test_two_overlapping_topics_are_not_new_to_each_other(world):
    embeddings, labels, foreign = world
    merged = {split: np.where(values == 1, 0, values) for split, values in labels.items()}
    twin = {split: np.where(labels[split][:, None] == 1, embeddings[split] - np.eye(1, 16, 1) * 3
                            + np.eye(1, 16, 0) * 3, embeddings[split]) for split in embeddings}
    relabelled = {split: np.where(values == 1, 1, merged[split]) for split, values in labels.items()}
    metrics, _ = handoff_checks(fit_out_of_topic(twin["discovery"], twin["validation"], PARAMS), twin, relabelled,
                                foreign, ["a", "b", "c", "d"], PARAMS)
    # topics a and b now sit on the same spot: leaving one out, its tweets still have neighbours in the other
    assert metrics["held_out_detection"]["a"] < 0.2 and metrics["held_out_detection"]["b"] < 0.2
    assert metrics["held_out_detection"]["c"] > 0.9


def test_one_neighbour_search_serves_the_smoothing_and_the_handoff_with_the_same_bits(world):
    from tweet_topics.reduction.reduce import fit_reducer, reduce_embeddings
    from tweet_topics.serving.router import TrainedTopics
    from tweet_topics.training.classify import train_classifier

    embeddings, labels, _ = world
    discovery = embeddings["discovery"].astype(np.float32)
    # pca.max_fit_tweets and umap: sections the smoothed PCA does not read
    params = ReductionParams.from_sections({
        "reduce": {"method": "smoothed-pca", "engine": "local"},
        "pca": {"n_components": 4, "whiten": False, "seed": 0, "max_fit_tweets": 200_000},
        "umap": {"n_components": 5, "n_neighbors": 15, "min_dist": 0.0, "seed": 42, "max_fit_tweets": 50_000},
        "smoothing": {"n_neighbors": 10, "steps": 2, "seed": 0, "max_fit_tweets": 50_000}})
    reducer, reduced = fit_reducer(discovery, params)
    classifier = train_classifier(reduced, labels["discovery"], TrainParams(C=100.0, class_weight="balanced",
                                                                             max_iter=1000))
    names = [f"{topic}: topic" for topic in range(4)]

    def trained(handoff_params: HandoffParams) -> TrainedTopics:
        handoff = fit_out_of_topic(discovery, embeddings["validation"].astype(np.float32), handoff_params)
        return TrainedTopics({}, reducer, classifier, names, list(range(4)), handoff)

    topics = trained(PARAMS)
    assert topics.search_shared
    messages, _ = clusters(300, np.eye(4, 16) * 3, 11)  # 1,200: more than one block of the search
    messages = messages.astype(np.float32)
    for batch in (messages[:1], messages[7:8], messages):
        routing = topics.assess(batch)
        alone = topics.handoff.scores(batch)
        assert np.array_equal(routing.out_of_topic, alone)
        assert np.array_equal(routing.probabilities, classifier.probabilities(reduce_embeddings(reducer, batch)))
    assert not trained(replace(PARAMS, max_reference_tweets=1000)).search_shared  # another sample: searched apart
    assert not trained(replace(PARAMS, k=31)).search_shared  # more than the smoothing's 3 x 10 candidates
