"""Raw messages to the two text views, the same way for every path (preprocess, predict, the labelled evaluation):
prepare's sane text first, then the cleaner."""

from collections.abc import Iterable
from dataclasses import dataclass

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


@dataclass(frozen=True)
class TextViews:
    """The chain's text step: the cleaner built from preprocess's settings, and which view the encoder reads."""

    cleaner: TweetCleaner
    encoder_view: str  # featurize.text_view

    @classmethod
    def from_params(cls, preprocess, text_view: str, keywords: bool | None = None) -> "TextViews":
        """`preprocess` is params.PreprocessParams; the keyword view's NLTK data and WordNet are loaded when
        `keywords` (by default, only when the keyword view is embedded)."""
        keywords = text_view == "keyword" if keywords is None else keywords
        return cls(TweetCleaner(preprocess.language, keywords=keywords, handles=preprocess.handles), text_view)

    def both(self, messages: Iterable[object]) -> tuple[list[str], list[str]]:
        return text_views(self.cleaner, messages)

    def for_encoder(self, messages: Iterable[object]) -> list[str]:
        return encoder_view(self.cleaner, self.encoder_view, messages)
