"""Two views of a tweet's text: a lightly normalised one for the sentence encoder, a cleaned one for keywords.

Stopword removal and lemmatisation help topic keywords but hurt embeddings, so the embedding view only normalises
what an encoder cannot read (links, anonymised handles, HTML entities, emoji, emoticons, chat abbreviations,
elongations) and the keyword view (``keywords.py``) adds the heavy cleaning.

Embedding view, in this order:
  1. characters: HTML entities, invisible and control characters, NFKC, straight quotes (``characters.py``);
  2. emoji become their CLDR names (``😂`` -> ``face with tears of joy``);
  3. URLs removed; kaomoji with spaces inside (``( ͡° ͜ʖ ͡°)``) replaced from the emoticon lexicon;
  then on each whitespace-separated chunk (memoised: chunks repeat across tweets):
  4. twcs's ``__email__`` redaction becomes the word ``email``;
  5. anonymised customer handles (``@115712``) removed, brand handles by ``handles`` (``leading``, the default,
     drops the handles a tweet opens with and names later ones), hashtags become their words (``handles.py``);
  6. letters repeated 3+ times cut to 2 (``soooo`` -> ``soo``, ``goooood`` -> ``good``);
  7. emoticons, then chat abbreviations, replaced from the package's lexicons (``lexicons/*.tsv``, ``lexicon.py``);
  8. whitespace collapsed to single spaces.
Each view is idempotent (cleaning its output again changes nothing); where one pass could expose a new match (a
removed handle gives an emoticon the space it needed) the chunk is cleaned again until it settles.
"""

from __future__ import annotations

from collections.abc import Iterable

from tweet_topics.text.characters import as_text, clean_characters, emoji_matcher, shorten_elongations
from tweet_topics.text.handles import (
    HANDLE_MODES,
    handle_words,
    handles_as_words,
    hashtags_as_words,
    without_handles,
    without_leading_handles,
)
from tweet_topics.text.keywords import NEGATIONS, KeywordView
from tweet_topics.text.lexicon import Lexicons, abbreviation_forms, load_chat_abbreviations, load_emoticons
from tweet_topics.text.memo import Memo, settle

# What other code imports from here, wherever it now lives.
__all__ = ["HANDLE_MODES", "NEGATIONS", "TweetCleaner", "abbreviation_forms", "handle_words",
           "load_chat_abbreviations", "load_emoticons"]


class TweetCleaner:
    """Turns raw tweet texts into the embedding view and the keyword view (see the module docstring).

    Build one per process and reuse it: it loads the lexicons, the stopwords and WordNet once. Both views are
    computed per whitespace-separated chunk and memoised, because chunks repeat: the 20,820 inbound sample tweets
    hold 330k chunks but only 33k distinct ones, so most of the regex work is done once per distinct chunk.
    """

    # Entries per memo; a memo that fills up is cleared, so memory stays bounded on 1.5M tweets (a few hundred MB
    # at most). Whole texts repeat least (3% of the sample), chunks and tokens most.
    _TEXT_MEMO_LIMIT = 100_000
    _CACHE_LIMIT = 300_000
    _NO_KEYWORDS = "this TweetCleaner was built with keywords=False: it has no keyword view"

    def __init__(self, language: str = "english", keywords: bool = True, handles: str = "leading") -> None:
        """`keywords=False` builds the embedding view only, without NLTK data or WordNet's seconds of loading
        (what `predict` needs); `handles` is one of HANDLE_MODES (see ``handles.py``)."""
        if handles not in HANDLE_MODES:
            raise ValueError(f"handles must be one of {HANDLE_MODES}, got {handles!r}")
        self.language = language
        self.handles = handles
        self._keywords = KeywordView(language, self._CACHE_LIMIT) if keywords else None
        self._lexicons = Lexicons()
        self._replace_handles = without_handles if handles == "all" else handles_as_words
        emoji_matcher()  # built now (once per process), not inside the first batch
        self._views = Memo(self._both_views, self._TEXT_MEMO_LIMIT)  # text -> both views
        self._chunk_views = Memo(self._chunk_view, self._CACHE_LIMIT)  # raw chunk -> its embedding view
        self._chunk_keywords = Memo(self._chunk_keyword_view, self._CACHE_LIMIT)  # raw chunk -> its keyword view

    def views(self, texts: Iterable[object]) -> tuple[list[str], list[str]]:
        """Both views of every text, in order; None, NaN and non-strings give ""; repeated texts are cleaned once.

        The same as ``embedding_view`` and then ``keyword_view`` of its output, and computed that way: the keyword
        view works chunk by chunk, so a text's keywords are its chunks' keywords one after the other.
        """
        if self._keywords is None:
            raise ValueError(self._NO_KEYWORDS)
        both = list(map(self._views.__getitem__, map(as_text, texts)))
        return [pair[0] for pair in both], [pair[1] for pair in both]

    def embedding_view(self, text: object) -> str:
        """Light normalisation for a sentence encoder; "" for None, NaN or any non-string."""
        view = self._embed_once(text)
        return view if view.isascii() else self._settled(view)

    def keyword_view(self, embedding_text: object) -> str:
        """The embedding view (pass its output) lower-cased, stopwords out, lemmatised, no bare punctuation."""
        if self._keywords is None:
            raise ValueError(self._NO_KEYWORDS)
        return self._keywords.view(as_text(embedding_text))

    def _both_views(self, text: str) -> tuple[str, str]:
        chunks = self._whole_text_steps(text).split()
        view = " ".join(filter(None, map(self._chunk_views.__getitem__, chunks)))
        if view.isascii() or (settled := self._settled(view)) == view:
            return view, " ".join(filter(None, map(self._chunk_keywords.__getitem__, chunks)))
        return settled, self.keyword_view(settled)

    def _chunk_keyword_view(self, chunk: str) -> str:
        return self._keywords.view(self._chunk_views[chunk])

    def _embed_once(self, text: object) -> str:
        return " ".join(filter(None, map(self._chunk_views.__getitem__, self._whole_text_steps(text).split())))

    def _settled(self, view: str) -> str:
        # A kaomoji may span chunks, so a chunk's cleaning can complete one ("(@1 ͡° ͜ʖ ͡°)" loses its handle and
        # becomes a lenny face). Those are non-ASCII: such views are cleaned again until nothing changes.
        return settle(self._embed_once, view, 3, str.isascii)

    def _whole_text_steps(self, text: object) -> str:
        """Steps 1 to 3, and the leading handles of step 5."""
        text = clean_characters(text)
        if not text.isascii():
            text = self._lexicons.replace_spaced_emoticons(text)
        return without_leading_handles(text) if self.handles == "leading" else text

    def _chunk_view(self, chunk: str) -> str:
        """The other steps on one whitespace-free chunk, repeated on its pieces until they stay as they are.

        One pass is not always its own fixed point: a removed handle or an emoticon's words can give a neighbour
        the space it needed ("@1@Delta": the second handle follows a word character until the first is gone).
        """
        view = self._chunk_steps(chunk)
        return view if view == chunk else settle(self._pieces_steps, view, 4)

    def _pieces_steps(self, view: str) -> str:
        return " ".join(filter(None, map(self._chunk_steps, view.split())))

    def _chunk_steps(self, chunk: str) -> str:
        """Steps 4 to 8 on one whitespace-free chunk: none of them looks across a space."""
        if chunk.isalpha():  # most chunks: then a lexicon entry can only be the whole chunk
            return self._lexicons.replace_in_word(shorten_elongations(chunk))
        if "__email__" in chunk:
            chunk = chunk.replace("__email__", " email ")
        if "@" in chunk:
            chunk = self._replace_handles(chunk)
        if "#" in chunk:
            chunk = hashtags_as_words(chunk)
        chunk = self._lexicons.replace_in_chunk(shorten_elongations(chunk))
        return " ".join(chunk.split())
