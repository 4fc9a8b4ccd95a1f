"""Topic names a person can read: class-based TF-IDF keywords, the tweets nearest each centroid, size and share."""

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

# Negations stay in the keyword view ("not work" is a topic), but alone they name nothing.
UNINFORMATIVE_TERMS = frozenset({"not", "no", "never", "nor"})


def ctfidf_keywords(keyword_texts: list[str], labels: np.ndarray, n_topics: int, top_n: int = 10,
                    ngram_range: tuple[int, int] = (1, 2),
                    excluded_words: frozenset[str] = frozenset()) -> list[list[tuple[str, float]]]:
    """The `top_n` terms of each topic by class-based TF-IDF (BERTopic's c-TF-IDF) over the keyword view.

    A topic's documents count as one document: tf is a term's share of the topic's words and idf is
    log(1 + mean words per topic / the term's frequency over all topics), so words every topic uses score low.
    Terms holding one of `excluded_words` (the brands' names), and lone negations, are left out.
    """
    # the keyword view is already tokenised, lower-cased and stripped of stopwords: split on spaces only
    vectorizer = CountVectorizer(ngram_range=ngram_range, token_pattern=r"\S+", lowercase=False,
                                 min_df=2 if len(keyword_texts) >= 1000 else 1)
    try:
        counts = vectorizer.fit_transform(keyword_texts)
    except ValueError:  # no term at all (every text empty)
        return [[] for _ in range(n_topics)]
    membership = sparse.csr_matrix((np.ones(len(labels)), (labels, np.arange(len(labels)))),
                                   shape=(n_topics, len(labels)))
    topic_counts = (membership @ counts).astype(np.float64)
    frequency = np.asarray(topic_counts.sum(axis=0)).ravel()
    idf = np.log1p(topic_counts.sum() / n_topics / np.maximum(frequency, 1))
    scores = normalize(topic_counts, norm="l1").multiply(idf).tocsr()
    terms = vectorizer.get_feature_names_out()
    informative = np.array([term not in UNINFORMATIVE_TERMS and excluded_words.isdisjoint(term.split())
                            for term in terms])
    scores = scores.multiply(informative[np.newaxis, :]).tocsr()
    scores.eliminate_zeros()
    keywords = []
    for topic in range(n_topics):
        row = scores.getrow(topic)
        # ties broken by term so the result does not depend on the vocabulary's internal order
        order = sorted(zip(-row.data, terms[row.indices], strict=True))[:top_n]
        keywords.append([(str(term), round(float(-score), 6)) for score, term in order if score < 0])
    return keywords


def short_label(keywords: list[str], n_words: int = 3) -> str:
    """The first few keywords, skipping one whose words an earlier pick already holds ("card" after "gift card")."""
    picked: list[str] = []
    seen: set[str] = set()
    for keyword in keywords:
        words = set(keyword.split())
        if words & seen:
            continue
        picked.append(keyword)
        seen |= words
        if len(picked) == n_words:
            break
    return " / ".join(picked) or "(no keywords)"


def representative_indices(features: np.ndarray, labels: np.ndarray, centroids: np.ndarray,
                           n_examples: int = 5) -> list[np.ndarray]:
    """For each topic, the row indices of its `n_examples` members nearest its centroid, nearest first."""
    chosen = []
    for topic, centroid in enumerate(centroids):
        members = np.flatnonzero(labels == topic)
        distances = np.linalg.norm(features[members] - centroid, axis=1)
        chosen.append(members[np.argsort(distances, kind="stable")[:n_examples]])
    return chosen


def top_brands(brands: np.ndarray, labels: np.ndarray, topic: int, n_brands: int = 3) -> list[dict]:
    members = pd.Series(brands[labels == topic])
    shares = members[members != ""].value_counts(normalize=True, sort=False)
    shares = shares.sort_index().sort_values(ascending=False, kind="stable").head(n_brands)
    return [{"brand": str(brand), "share": round(float(share), 6)} for brand, share in shares.items()]


def describe_topics(keyword_texts: list[str], texts: list[str], tweet_ids: np.ndarray, brands: np.ndarray,
                    brand_words: frozenset[str], features: np.ndarray, labels: np.ndarray, centroids: np.ndarray,
                    top_n: int = 10, n_examples: int = 5) -> dict:
    """What models/topics.json holds: per topic its label, keywords, examples, size, share and main brands."""
    n_topics = len(centroids)
    keywords = ctfidf_keywords(keyword_texts, labels, n_topics, top_n, excluded_words=brand_words)
    examples = representative_indices(features, labels, centroids, n_examples)
    sizes = np.bincount(labels, minlength=n_topics)
    topics = []
    for topic in range(n_topics):
        topics.append({
            "topic": topic,
            "label": short_label([term for term, _ in keywords[topic]]),
            "keywords": [{"term": term, "score": score} for term, score in keywords[topic]],
            "size": int(sizes[topic]),
            "share": round(float(sizes[topic]) / max(len(labels), 1), 6),
            "top_brands": top_brands(brands, labels, topic),
            "examples": [{"tweet_id": int(tweet_ids[i]), "text": texts[i]} for i in examples[topic]],
        })
    return {"n_topics": n_topics, "fitted_on": "discovery", "topics": topics}


def topic_names(topics: dict) -> list[str]:
    """'3: order / delivery / item' for each topic: what axes, tables and predictions show."""
    return [f"{topic['topic']}: {topic['label']}" for topic in topics["topics"]]
