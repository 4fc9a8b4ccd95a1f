"""Raw messages to the two text views, the same way for every path (preprocess, predict, the labelled evaluation):
prepare's sane text first, then the cleaner."""

from collections.abc import Iterable

import pandas as pd

from tweet_topics.text.cleaner import TweetCleaner
from tweet_topics.tweets.prepare import sane_text


def sane_messages(messages: Iterable[object]) -> list[str]:
    """prepare's text rule applied to raw messages; anything that is not a string is an empty text."""
    return sane_text(pd.Series([m if isinstance(m, str) else "" for m in messages], dtype=object)).tolist()


def text_views(cleaner: TweetCleaner, messages: Iterable[object]) -> tuple[list[str], list[str]]:
    """The embedding view and the keyword view of each message (preprocess's two columns)."""
    return cleaner.views(sane_messages(messages))


def encoder_view(cleaner: TweetCleaner, text_view: str, messages: Iterable[object]) -> list[str]:
    """The view featurize.text_view names, of each message: what the encoder reads."""
    texts = sane_messages(messages)
    if text_view == "keyword":
        return cleaner.views(texts)[1]
    return [cleaner.embedding_view(text) for text in texts]  # without the keyword view's cost
