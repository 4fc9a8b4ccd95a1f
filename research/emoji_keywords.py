"""What emoji contribute to topic keywords: for the form words of emoji names and emoji's frequent meaning words, how
often each is in the discovery tweets' keyword view, how often customers typed it as a word, and how many of its
occurrences come from an emoji (the view of the same tweet with its emoji removed lacks them; the rest of a form
word's untyped occurrences come from emoticons); and each topic's label of the committed run with and without
`topics.EMOJI_FORM_WORDS` left out.

    .venv/bin/python research/emoji_keywords.py [--run .]

Writes research/results/emoji_keywords.json; `table()` gives the docs' table.
"""

import argparse
import json
import re
from collections import Counter
from pathlib import Path

import emoji
import numpy as np
import pandas as pd

from tweet_topics.discovery import descriptions as topic_words
from tweet_topics.params import load_section
from tweet_topics.text.cleaner import TweetCleaner

REPO = Path(__file__).resolve().parents[1]

# the form words of CLDR emoji names, and emoji's most frequent meaning words in the sample
CANDIDATE_WORDS = ("face", "eye", "hand", "red", "button", "sign", "mark", "symbol", "smile", "grin", "joy", "tear",
                   "heart", "thumb", "cry")


def word_counts(keyword_texts: list[str]) -> Counter:
    return Counter(word for text in keyword_texts for word in text.split())


def keyword_sets(preprocessed: pd.DataFrame, labels: np.ndarray, form_words: frozenset[str]) -> list[dict]:
    brand_words = frozenset(" ".join(preprocessed["brand_keywords"].unique()).split())
    original = topic_words.EMOJI_FORM_WORDS
    topic_words.EMOJI_FORM_WORDS = form_words
    try:
        keywords = topic_words.ctfidf_keywords(preprocessed["keyword_text"].tolist(), labels, int(labels.max()) + 1,
                                               excluded_words=brand_words)
    finally:
        topic_words.EMOJI_FORM_WORDS = original
    return [{"label": topic_words.short_label([term for term, _ in terms]), "keywords": [term for term, _ in terms]}
            for terms in keywords]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=REPO, help="a project whose data/ holds a pipeline run")
    parser.add_argument("--out", type=Path, default=REPO / "research" / "results" / "emoji_keywords.json")
    args = parser.parse_args(argv)

    preprocessed = pd.read_parquet(args.run / "data" / "03_preprocessed" / "discovery.parquet")
    clustered = pd.read_parquet(args.run / "data" / "06_clustered" / "discovery.parquet", columns=["topic_id"])
    topic_ids = sorted(clustered["topic_id"].unique())
    labels = clustered["topic_id"].map({topic: index for index, topic in enumerate(topic_ids)}).to_numpy()

    section = load_section("preprocess", args.run / "params.yaml")
    cleaner = TweetCleaner(section.language, handles=section.handles)
    texts = preprocessed["text"].tolist()
    with_emoji = word_counts(cleaner.views(texts)[1])
    without_emoji = word_counts(cleaner.views([emoji.replace_emoji(text, " ") for text in texts])[1])
    written = Counter(re.findall(r"[a-z]+", " ".join(texts).lower()))
    occurrences = {word: {"left_out": word in topic_words.EMOJI_FORM_WORDS, "occurrences": with_emoji[word],
                          "share_from_emoji": round(1 - without_emoji[word] / with_emoji[word], 4)
                          if with_emoji[word] else None,
                          # as the word itself or its plural, where the customer typed it
                          "written": written[word] + written[word + "s"]}
                   for word in CANDIDATE_WORDS}
    before = keyword_sets(preprocessed, labels, frozenset())
    after = keyword_sets(preprocessed, labels, topic_words.EMOJI_FORM_WORDS)
    form = topic_words.EMOJI_FORM_WORDS
    results = {
        "words": occurrences,
        "topics": [{"topic": int(topic), "before": b, "after": a} for topic, b, a in zip(topic_ids, before, after,
                                                                                       strict=True)],
        "labels_with_a_form_word": {
            "before": sum(bool(form & set(t["label"].split())) for t in before),
            "after": sum(bool(form & set(t["label"].split())) for t in after)},
        "keywords_with_a_form_word": {
            "before": sum(bool(form & set(k.split())) for t in before for k in t["keywords"]),
            "after": sum(bool(form & set(k.split())) for t in after for k in t["keywords"])},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    print(table(results))


def table(results: dict) -> str:
    lines = ["| topic | label, form words kept | label, form words left out |", "|---|---|---|"]
    lines += [f"| {t['topic']} | {t['before']['label']} | {t['after']['label']} |" for t in results["topics"]]
    lines += ["", "| word | in the keyword view | typed as the word | share from emoji | keyword |",
              "|---|---|---|---|---|"]
    for word, counts in results["words"].items():
        share = "" if counts["share_from_emoji"] is None else f"{counts['share_from_emoji']:.2f}"
        kept = "left out" if counts["left_out"] else "kept"
        lines.append(f"| {word} | {counts['occurrences']} | {counts['written']} | {share} | {kept} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
