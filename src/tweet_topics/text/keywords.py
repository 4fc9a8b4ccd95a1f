"""The keyword view: what topic keywords are counted from, made from the embedding view.

The embedding view lower-cased, tokenised like nltk's TweetTokenizer, stopwords of the language removed except
negations (``n't`` and ``cannot`` become ``not``), English tokens lemmatised with WordNet (other languages keep
their word forms: WordNet is English), elongations the embedding view cut to two letters restored when WordNet
knows the word (``trackk`` -> ``track``), and tokens without a letter (bare punctuation, numbers, prices, versions)
and lone Latin letters dropped. Emoji and emoticon words are English in every language.
"""

from __future__ import annotations

import functools
import re

import regex
from nltk.tokenize import TweetTokenizer

from tweet_topics.text.memo import Memo
from tweet_topics.text.nltk_resources import require_nltk_resources

# Words a stopword list would remove but that flip a customer's meaning ("not working", "no sound"), per language.
# Languages not listed keep none of their stopwords.
NEGATIONS: dict[str, frozenset[str]] = {
    "english": frozenset({"not", "no", "nor", "never"}),
    "spanish": frozenset({"no", "ni", "nunca", "jamás", "tampoco", "nada", "nadie", "ninguno", "ninguna", "sin"}),
    "portuguese": frozenset({"não", "nem", "nunca", "jamais", "nada", "ninguém", "sem"}),
    "french": frozenset({"ne", "pas", "non", "ni", "jamais", "rien", "personne", "sans"}),
    "italian": frozenset({"non", "né", "mai", "niente", "nessuno", "senza"}),
    "german": frozenset({"nicht", "kein", "keine", "keinen", "keinem", "keiner", "nie", "niemals", "ohne"}),
}

# Chunks of lower-cased text whose TweetTokenizer tokens we know without running it: one word (letters, with
# inner ' or -) and trailing sentence punctuation, which the keyword view drops anyway. TweetTokenizer's
# pattern costs ~10 us a word here, so everything else goes through it once per distinct chunk (memoised).
_PLAIN_CHUNK_RE = re.compile(r"([^\W\d_]+(?:['-][^\W\d_]+)*)[.,!?]*")
_HAS_LETTER_RE = re.compile(r"[^\W\d_]")
_CLITIC_RE = re.compile(r"(.+?)'(?:s|m|re|ve|ll|d)")
# WordNet's noun and verb rules only strip these endings; any other word changes only through its exception
# lists (went -> go, mice -> mouse), so other tokens skip the lookup.
_INFLECTIONS = ("s", "ed", "ing", "men")
_SHORT_VERBS = frozenset({"be", "do", "go"})
_DOUBLE_LETTER_RE = re.compile(r"([a-z])\1")
_INNER_COLON_RE = re.compile(r"(?<=[^\W_]):(?=[^\W_])")
_HANG_RE = re.compile(r"([^\w\s])\1{3,}")  # as TweetTokenizer: "-----" costs its pattern quadratic time
_AMPERSAND_CHUNK_RE = re.compile(r"([^\W\d_]+(?:&[^\W\d_]+)+)[.,!?]*")  # at&t, m&s, h&m stay one word


class KeywordView:
    """The keyword view in one language. Loads the stopwords and WordNet once (seconds); keywords are memoised per
    chunk, per token and per lemma, each memo emptied when it holds ``memo_limit`` entries (lemmas: never)."""

    def __init__(self, language: str = "english", memo_limit: int = 300_000) -> None:
        require_nltk_resources(language)
        from nltk.corpus import stopwords
        from nltk.stem import WordNetLemmatizer

        self._negations = NEGATIONS.get(language, frozenset())
        self._english = language == "english"
        self._stopwords = frozenset(stopwords.words(language)) - self._negations
        # WordNet is English: other languages keep their word forms rather than get English lemmas.
        self._lemmatizer = WordNetLemmatizer() if self._english else None
        if self._lemmatizer is not None:
            self._lemmatizer.lemmatize("tweets")  # loads WordNet now (seconds), not inside the first batch
            from nltk.corpus import wordnet

            # All WordNet base forms of a word, as WordNetLemmatizer._morphy gives them (without its per-call import).
            self._morphy = wordnet._morphy
        self._irregular = _wordnet_exceptions() if self._english else frozenset()
        self._wordnet_words = _wordnet_words() if self._english else frozenset()
        # Its word pattern, run without the per-call wrappers: the text is already unescaped and lower-cased.
        word_re = TweetTokenizer().WORD_RE
        self._tweet_words = regex.compile(word_re.pattern, word_re.flags).findall
        self._chunk_keywords = Memo(self._keywords_of_chunk, memo_limit)  # lower-cased chunk -> its keywords
        self._token_keywords = Memo(self._keywords_of_token, memo_limit)  # token -> its keywords, () when dropped
        self._lemmas = Memo(self._lemma_of)

    def view(self, embedding_text: str) -> str:
        """The embedding view (pass its output) lower-cased, stopwords out, lemmatised, no bare punctuation."""
        return " ".join(filter(None, map(self._chunk_keywords.__getitem__, embedding_text.lower().split())))

    def token_keywords(self, token: str) -> tuple[str, ...]:
        """The keywords a token becomes (none when it is dropped)."""
        return self._token_keywords[token]

    def _keywords_of_chunk(self, chunk: str) -> str:
        # TweetTokenizer's tokens per whitespace-separated chunk equal its tokens for the whole text except where
        # its patterns span spaces (phone numbers, spaced dots), and those hold no letter, so they are dropped
        # either way; tests/test_text_cleaner.py checks this on the sample tweets. A plain word with sentence
        # punctuation is one token without running the pattern (~10 us a word on this machine). One exception
        # on purpose: TweetTokenizer cuts "at&t" and "m&s" into letters that are then dropped, so brands vanish,
        # and a colon between two words or numbers separates them.
        token_keywords = self._token_keywords
        if chunk.isalpha():
            return " ".join(token_keywords[chunk])
        plain = _PLAIN_CHUNK_RE.fullmatch(chunk) or _AMPERSAND_CHUNK_RE.fullmatch(chunk)
        if plain:
            return " ".join(token_keywords[plain.group(1)])
        if ":" in chunk:  # "spotify:user:x:playlist": TweetTokenizer would read ":p" as an emoticon
            chunk = _INNER_COLON_RE.sub(" ", chunk)
        tokens = self._tweet_words(_HANG_RE.sub(r"\1\1\1", chunk))
        return " ".join([keyword for token in tokens for keyword in token_keywords[token]])

    def _keywords_of_token(self, token: str, depth: int = 0) -> tuple[str, ...]:
        if token in self._negations:
            return (token,)
        if self._english and (token.endswith("n't") or token == "cannot"):
            return ("not",)  # don't, can't, won't, ain't: the verb is a stopword, the negation is the meaning
        if not token.isalpha():
            if not _HAS_LETTER_RE.search(token):
                return ()  # punctuation, numbers, prices, versions, emoticons no lexicon knows
            word = token.lstrip("#")  # "set#help" is tokenised as a hashtag
            if self._english and "'" in word:
                clitic = _CLITIC_RE.fullmatch(word)  # it's -> it, spotify's -> spotify, i'm -> i
                if clitic:
                    word = clitic.group(1)
            # A keyword must come back as itself when the keyword view is cleaned again (idempotence), so a token
            # that is not one word on its own ("1'a" inside "#1'a") is split the way it would be then.
            parts = [word] if _AMPERSAND_CHUNK_RE.fullmatch(word) else self._tweet_words(word)
            if parts != [token] and depth < 4:
                return tuple(keyword for part in parts for keyword in self._token_keywords.lookup(part, depth + 1))
            if not word.isalpha():
                return () if word in self._stopwords else (word,)
            token = word
        if self._english and token.isascii() and _DOUBLE_LETTER_RE.search(token, 1):
            token = self._undouble(token)
        if token in self._stopwords or (len(token) == 1 and token.isascii()):
            return ()  # a lone Latin letter ("i.e." leaves "e") names nothing
        if (self._lemmatizer is not None and len(token) >= 3 and token.isascii()
                and (token.endswith(_INFLECTIONS) or token in self._irregular)):
            token = self._lemmas[token]
            if token in self._stopwords:
                return ()
        return (token,)

    def _known(self, word: str) -> bool:
        """A stopword, a word WordNet lists, or an inflection WordNet's rules lead back to one. Not for a word that
        ends in a double letter: those rules would read "thankss" as a plural of "thanks"."""
        if word in self._stopwords or word in self._negations or word in self._wordnet_words:
            return True
        if word[-1] == word[-2] or not (word.endswith(_INFLECTIONS) or word in self._irregular):
            return False
        return bool(self._morphy(word, "n") or self._morphy(word, "v"))

    def _undouble(self, token: str) -> str:
        """An elongation the embedding view cut to two letters, back to the word WordNet knows.

        "trackkkk" became "trackk" there (that rule must not guess), here "track"; "awesoome" -> awesome, "whyy" ->
        why (then a stopword). A known word stays ("cool", "feeds"), so does one no undoubling makes known
        ("reddit"), and a double first letter is no elongation ("aaliyah"). The rightmost double goes first: "cooll"
        is cool, not col.
        """
        if self._known(token):
            return token
        doubles = [match.start() for match in _DOUBLE_LETTER_RE.finditer(token, 1)]
        variants = [token[:start] + token[start + 1:] for start in reversed(doubles)]
        if len(doubles) > 1:
            variants.append(token[0] + _DOUBLE_LETTER_RE.sub(r"\1", token[1:]))
        return next((variant for variant in variants if len(variant) > 1 and self._known(variant)), token)

    def _lemma_of(self, token: str, depth: int = 0) -> str:
        # WordNet's base forms, the verb reading first: in support tweets "charging",
        # "crashed", "updates" are mostly verbs, and the noun reading keeps "playing" and "working" whole. A base
        # verb stays ("feed", not "fee"); otherwise the longest verb form wins ("hoping" -> hope, not hop;
        # "installed" -> install, not instal; "goes" -> go, but "UPS" is no "up"). Nouns take the shortest form,
        # as WordNetLemmatizer does ("data" stays data, "devices" -> device), but none under 3 letters ("ios" is
        # no "io"). Words WordNet lacks stay as written ("apps"). Followed to a fixed point (idempotence).
        morphy = self._morphy
        verbs = [form for form in morphy(token, "v") if len(form) >= 3 or form in _SHORT_VERBS]
        if token in verbs:
            lemma = token  # a base form already: "feed" (not "fee"), "found", "saw"
        elif verbs:
            lemma = max(verbs, key=len)
        elif not token.endswith("ss"):  # as WordNet's own morphy: "pass" is no plural of "pa"
            nouns = [form for form in morphy(token, "n") if len(form) >= 3]
            lemma = min(nouns, key=len) if nouns else token
        else:
            lemma = token
        # A base form without an inflection ending and not irregular is its own lemma: no second lookup.
        if lemma != token and depth < 3 and (lemma.endswith(_INFLECTIONS) or lemma in self._irregular):
            lemma = self._lemmas.lookup(lemma, depth + 1)
        return lemma


@functools.cache
def _wordnet_words() -> frozenset[str]:
    """Every word WordNet lists (147k), read once per process like WordNet itself."""
    from nltk.corpus import wordnet

    return frozenset(wordnet.all_lemma_names())


def _wordnet_exceptions() -> frozenset[str]:
    """The irregular noun and verb forms WordNet lists (``verb.exc``: "went go"), as one set."""
    import nltk

    forms: set[str] = set()
    for pos in ("noun", "verb"):
        with nltk.data.find(f"corpora/wordnet/{pos}.exc").open() as stream:
            forms.update(line.split(None, 1)[0] for line in stream.read().decode("utf-8").splitlines() if line)
    return frozenset(forms)
