import numpy as np
import pytest

from tweet_topics.discovery.descriptions import ctfidf_keywords, describe_topics, representative_indices, short_label
from tweet_topics.evaluation.quality import partition_quality

TEXTS = ["refund card charge", "card declined refund", "card charge twice",
         "login password reset", "password locked login", "reset password app"]
LABELS = np.array([0, 0, 0, 1, 1, 1])


def test_ctfidf_ranks_each_topics_own_words_first():
    keywords = ctfidf_keywords(TEXTS, LABELS, 2, top_n=3, ngram_range=(1, 1))
    assert [term for term, _ in keywords[0]] == ["card", "charge", "refund"]
    assert [term for term, _ in keywords[1]] == ["password", "login", "reset"]
    assert all(score > 0 for topic in keywords for _, score in topic)


def test_ctfidf_leaves_out_brand_words_and_lone_negations():
    texts = ["spotify not play song", "spotify song skip not", "amazon order late", "amazon order lost"]
    keywords = ctfidf_keywords(texts, np.array([0, 0, 1, 1]), 2, excluded_words=frozenset({"spotify", "amazon"}))
    terms = {term for topic in keywords for term, _ in topic}
    assert "not play" in terms and "song" in terms
    assert not any("spotify" in term or "amazon" in term for term in terms)
    assert "not" not in terms


def test_ctfidf_leaves_out_the_form_words_of_emoji_names():
    texts = ["smile face smile eye thank", "thank smile face", "face id not work", "face id lock"]
    keywords = ctfidf_keywords(texts, np.array([0, 0, 1, 1]), 2)
    terms = {term for topic in keywords for term, _ in topic}
    assert {"smile", "thank", "id", "lock"} <= terms
    assert not any(set(term.split()) & {"face", "eye"} for term in terms)


def test_ctfidf_with_no_words_gives_empty_keywords():
    assert ctfidf_keywords(["", ""], np.array([0, 1]), 2) == [[], []]


@pytest.mark.parametrize(("keywords", "label"), [
    (["gift card", "card", "refund", "balance"], "gift card / refund / balance"),
    (["thank", "message", "direct", "send", "direct message"], "thank / direct message / send"),
    (["song", "play", "not play", "playlist"], "song / play / playlist"),  # "not" is no keyword of its own
    (["password"], "password"),
    ([], "(no words: links, images or handles only)"),
])
def test_short_label(keywords, label):
    assert short_label(keywords) == label


def test_representatives_are_the_most_typical_members_with_something_to_say():
    scores = np.array([0.9, 0.8, 0.95, 0.7, 0.99, 0.6, 0.5])
    labels = np.array([0, 0, 0, 1, 1, 1, 1])
    keyword_texts = ["card declined twice", "refund not arrived yet", "card declined twice",  # a repeat
                     "app crash every start", "", "login fails after update", "password reset mail missing"]
    chosen = representative_indices(scores, labels, keyword_texts, 2, n_examples=2)
    assert chosen == [[2, 1], [3, 5]]  # row 0 repeats row 2's words, row 4 has none


def test_typicality_is_the_cosine_to_the_own_topic_mean():
    from tweet_topics.discovery.descriptions import typicality

    embeddings = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    means = np.array([[1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_allclose(typicality(embeddings, np.array([0, 1, 1]), means), [1.0, 1.0, 2 ** -0.5])


def test_describe_topics_examples_belong_to_their_topic():
    rng = np.random.default_rng(0)
    typical = rng.random(40)
    labels = np.repeat([0, 1], 20)
    texts = [f"tweet {i}" for i in range(40)]
    keyword_texts = [f"card refund number {i}" for i in range(20)] + [f"password login number {i}" for i in range(20)]
    topics = describe_topics(keyword_texts, texts, np.arange(100, 140), np.array(["Bank"] * 40), frozenset(),
                             typical, labels, 2)
    assert len(topics) == 2
    for index, topic in enumerate(topics):
        assert topic["keywords"] and topic["label"] and len(topic["examples"]) == 5
        for example in topic["examples"]:
            assert labels[example["tweet_id"] - 100] == index
            assert example["text"] == texts[example["tweet_id"] - 100]
        assert topic["size"] == 20 and topic["share"] == 0.5
        assert topic["top_brands"] == [{"brand": "Bank", "share": 1.0}]


def test_quality_separated_blobs_score_well():
    rng = np.random.default_rng(1)
    features = np.vstack([rng.normal(center, 0.3, (50, 2)) for center in ([0, 5], [5, 0], [-5, -5])])
    labels = np.repeat([0, 1, 2], 50)
    quality = partition_quality(features, labels, 3, seed=0)
    assert quality["silhouette_cosine"] > 0.8
    assert 0 < quality["davies_bouldin"] < 0.5
    assert quality["calinski_harabasz"] > 100
    assert quality["min_topic_share"] == quality["max_topic_share"] == pytest.approx(1 / 3, abs=1e-6)


def test_quality_of_noise_is_poor():
    features = np.random.default_rng(2).normal(size=(300, 5))
    labels = np.random.default_rng(3).integers(0, 4, 300)
    assert partition_quality(features, labels, 4, seed=0)["silhouette_cosine"] < 0.1
