"""Topic descriptions a person can read: class-based TF-IDF keywords, the tweets most typical of each topic (nearest
its mean embedding), size, share and main brands."""

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

# Negations stay in the keyword view ("not work" is a topic), but alone they name nothing.
UNINFORMATIVE_TERMS = frozenset({"not", "no", "never", "nor"})
# The words emoji and emoticon names use for a glyph's form, not its meaning ("smiling face with smiling eyes",
# "raised hand", "red heart"), as the keyword view lemmatises them: in the sample customers seldom write them as words,
# and "face" led two topic labels (research/emoji_keywords.py). No term holding one is a keyword. An emoji's meaning
# words (smile, joy, tear, heart, thumb) stay, and so do form words customers write ("sign in", "button", "mark").
EMOJI_FORM_WORDS = frozenset({"face", "eye", "hand", "red"})
# the label of a topic whose tweets hold no keyword at all: a link, an image or a handle and nothing else
NO_WORDS = "(no words: links, images or handles only)"


def ctfidf_keywords(keyword_texts: list[str], labels: np.ndarray, n_topics: int, top_n: int = 10,
                    ngram_range: tuple[int, int] = (1, 2),
                    excluded_words: frozenset[str] = frozenset()) -> list[list[tuple[str, float]]]:
    """The `top_n` terms of each topic by class-based TF-IDF (BERTopic's c-TF-IDF) over the keyword view.

    A topic's documents count as one document: tf is a term's share of the topic's words and idf is
    log(1 + mean words per topic / the term's frequency over all topics), so words every topic uses score low.
    Terms holding one of `excluded_words` (the brands' names) or an emoji's form word, and lone negations, are
    left out.
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
    left_out = excluded_words | EMOJI_FORM_WORDS
    informative = np.array([term not in UNINFORMATIVE_TERMS and left_out.isdisjoint(term.split()) for term in terms])
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
    """The first few keywords, a word read as the phrase it forms with another keyword when that phrase is a keyword
    too ("direct message", not "message / direct"), skipping one whose words an earlier pick already holds ("card"
    after "gift card")."""
    unigrams = {keyword for keyword in keywords if " " not in keyword}
    phrases = [keyword for keyword in keywords if " " in keyword and set(keyword.split()) <= unigrams]
    picked: list[str] = []
    seen: set[str] = set()
    for keyword in keywords:
        if " " not in keyword:
            keyword = next((phrase for phrase in phrases if keyword in phrase.split()), keyword)
        words = set(keyword.split())
        if words & seen:
            continue
        picked.append(keyword)
        seen |= words
        if len(picked) == n_words:
            break
    return " / ".join(picked) or NO_WORDS


MIN_EXAMPLE_WORDS = 3  # an example needs this many keyword-view words: "@SpotifyCares ..." says nothing
ROWS_PER_BLOCK = 65536


def typicality(embeddings, labels: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Each tweet's cosine to its own topic's mean embedding (`embeddings` may be a NpyRows)."""
    from tweet_topics.reduction.neighbours import normalise_rows

    scores = np.empty(len(labels))
    for start in range(0, len(labels), ROWS_PER_BLOCK):
        block = normalise_rows(np.asarray(embeddings[start:start + ROWS_PER_BLOCK]))
        scores[start:start + len(block)] = np.einsum("nd,nd->n", block, means[labels[start:start + len(block)]])
    return scores


def representative_indices(scores: np.ndarray, labels: np.ndarray, keyword_texts: list[str], n_topics: int,
                           n_examples: int = 5) -> list[list[int]]:
    """For each topic, its `n_examples` most typical members (highest `scores`), one per keyword view and none
    with fewer than MIN_EXAMPLE_WORDS words (a bare handle or emoji says nothing), most typical first."""
    order = np.lexsort((np.arange(len(labels)), -scores))
    chosen: list[list[int]] = [[] for _ in range(n_topics)]
    seen: list[set[str]] = [set() for _ in range(n_topics)]
    for row in order:
        topic = labels[row]
        words = keyword_texts[row]
        if len(chosen[topic]) == n_examples or len(words.split()) < MIN_EXAMPLE_WORDS or words in seen[topic]:
            continue
        chosen[topic].append(int(row))
        seen[topic].add(words)
    return chosen


def top_brands(brands: np.ndarray, labels: np.ndarray, topic: int, n_brands: int = 3) -> list[dict]:
    members = pd.Series(brands[labels == topic])
    shares = members[members != ""].value_counts(normalize=True, sort=False)
    shares = shares.sort_index().sort_values(ascending=False, kind="stable").head(n_brands)
    return [{"brand": str(brand), "share": round(float(share), 6)} for brand, share in shares.items()]


def describe_topics(keyword_texts: list[str], texts: list[str], tweet_ids: np.ndarray, brands: np.ndarray,
                    brand_words: frozenset[str], typical: np.ndarray, labels: np.ndarray, n_topics: int,
                    top_n: int = 10, n_examples: int = 5) -> list[dict]:
    """Per topic (by index): its label, keywords, examples, size, share and main brands; `typical` is each tweet's
    typicality."""
    keywords = ctfidf_keywords(keyword_texts, labels, n_topics, top_n, excluded_words=brand_words)
    examples = representative_indices(typical, labels, keyword_texts, n_topics, n_examples)
    sizes = np.bincount(labels, minlength=n_topics)
    topics = []
    for topic in range(n_topics):
        topics.append({
            "label": short_label([term for term, _ in keywords[topic]]),
            "keywords": [{"term": term, "score": score} for term, score in keywords[topic]],
            "size": int(sizes[topic]),
            "share": round(float(sizes[topic]) / max(len(labels), 1), 6),
            "top_brands": top_brands(brands, labels, topic),
            "examples": [{"tweet_id": int(tweet_ids[i]), "text": texts[i]} for i in examples[topic]],
        })
    return topics


def display_name(topic: dict) -> str:
    """The name people gave a topic (topics/names.yaml), else its keyword label."""
    return topic.get("name") or topic["label"]


def topic_names(topics: dict) -> list[str]:
    """'3: Billing and refunds' or '3: order / delivery / item' for each topic: what axes, tables and predictions
    show, by the topic's stable id."""
    return [f"{topic['topic']}: {display_name(topic)}" for topic in topics["topics"]]
