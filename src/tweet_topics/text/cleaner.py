"""Two views of a tweet's text: a lightly normalised one for the sentence encoder, a cleaned one for keywords.

DESIGN.md ("Text: two views, measured"): stopword removal and lemmatisation help topic keywords but hurt
embeddings, so the embedding view only normalises what an encoder cannot read (links, anonymised handles,
HTML entities, emoji, emoticons, chat abbreviations, elongations) and the keyword view adds the heavy cleaning.

Embedding view, in this order:
  1. characters: HTML entities unescaped (repeatedly: twcs has ``&amp;amp;``), lone surrogates, U+FFFD and
     invisible characters dropped, NFKC (fullwidth and "fancy" maths letters to plain ones, ``…`` to ``...``),
     curly quotes and apostrophes to straight ones so ``don’t`` reads like ``don't``, control characters to spaces;
  2. emoji become their CLDR names (``😂`` -> ``face with tears of joy``), skin tones dropped, a run of the same
     emoji said once;
  3. URLs removed (see ``_URL_RE``); kaomoji with spaces inside (``( ͡° ͜ʖ ͡°)``) replaced from the emoticon lexicon;
  then on each whitespace-separated chunk (memoised: chunks repeat across tweets):
  4. twcs's ``__email__`` redaction becomes the word ``email``;
  5. anonymised customer handles (``@115712``) removed; brand handles, by ``handles``: ``leading`` (the default)
     drops the run of handles a tweet opens with (the account it is addressed to: metadata, the ``brand`` column,
     not what the customer asks) and turns later ones into the brand's name (``@AmazonHelp`` -> ``Amazon Help``),
     ``all`` drops every handle, ``keep`` names every one; hashtags become their words (``#NeverAgain`` ->
     ``Never Again``);
  6. letters repeated 3+ times cut to 2 (``soooo`` -> ``soo``, ``goooood`` -> ``good``);
  7. emoticons, then chat abbreviations, replaced from the package's lexicons (``lexicons/*.tsv``);
  8. whitespace collapsed to single spaces.
Each view is idempotent (cleaning its output again changes nothing); where one pass could expose a new match (a
removed handle gives an emoticon the space it needed) the chunk is cleaned again until it settles.

Keyword view: the embedding view lower-cased, tokenised like nltk's TweetTokenizer, stopwords of the language
removed except negations (``n't`` and ``cannot`` become ``not``), English tokens lemmatised with WordNet (other
languages keep their word forms: WordNet is English), elongations the embedding view cut to two letters restored
when WordNet knows the word (``trackk`` -> ``track``), and tokens without a letter (bare punctuation, numbers,
prices, versions) and lone Latin letters dropped. Emoji and emoticon words are English in every language.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable
from importlib import resources

import emoji
import regex
from nltk.tokenize import TweetTokenizer

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

# HTML entities need their semicolon: html.unescape alone would also turn "&notice" into "¬ice".
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Lone surrogates (invalid bytes decoded with surrogateescape), U+FFFD, BOM, word joiner, soft hyphen: they
# carry nothing and break encoders and ``str.encode``. A zero-width space separates words (Thai, Khmer): a space.
_INVISIBLE_RE = re.compile("[\ud800-\udfff\ufffd\ufeff\u2060\u00ad]")
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_QUOTES = {"‘": "'", "’": "'", "‚": "'", "‛": "'", "ʼ": "'", "′": "'", "´": "'",
           "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"'}
_QUOTE_RE = re.compile("[" + "".join(_QUOTES) + "]")  # a regex: str.translate is slow on non-ASCII text

# URLs are removed, not replaced by a placeholder: in twcs almost every link is a t.co wrapper of an attached
# screenshot or quoted tweet whose target the text cannot show, so a placeholder word ("url") would carry no
# topic, pull unrelated tweets together in embedding space and top every keyword list. Printable ASCII only, so
# an emoji glued to the end of a link survives.
_URL_RE = re.compile(r"(?:https?://|www\.)[!-~]+", re.IGNORECASE)
# A run of glued handles ("@Delta@115712") is one match, so one pass leaves none behind (idempotence).
_NAME = r"[A-Za-z0-9_]*[A-Za-z0-9][A-Za-z0-9_]*"
_HANDLE_RE = re.compile(rf"@(?<![A-Za-z0-9_@].){_NAME}(?:@{_NAME})*")
# The handles a tweet opens with, glued or separated by spaces and punctuation (".@Delta @115712, my bag ...").
_LEADING_HANDLES_RE = re.compile(rf"^[\s.,:;]*(?:@{_NAME}[\s.,:;]*)+")
HANDLE_MODES = ("leading", "all", "keep")
_HASHTAG_RE = re.compile(r"#(?<!#.)(\w*[^\W\d_]\w*)")  # "set#Help" too: no URL is left to break
# Brand handles and hashtags are split into words (SpotifyCares -> Spotify Cares, GWRHelp -> GWR Help): the
# encoder's WordPiece vocabulary knows "spotify" and "help" but cuts "spotifycares" at arbitrary pieces, and the
# keyword view then counts the brand as the same word customers write. A word starts at a capital followed by a
# lower-case letter (AtLast, TheLastJedi) or after an acronym (GWRHelp); iPhone, eBay, McDonalds, BofA stay whole.
_CAMEL_RE = re.compile(r"(?<=[a-z])(?<!^[a-z])(?<!Mc)(?=[A-Z][a-z])|(?<=[A-Z])(?=[A-Z][a-z]{2})|_+")
_SKIN_TONE_RE = re.compile("[\U0001f3fb-\U0001f3ff]")
# Left over when a sequence is not an emoji: zero-width joiner, variation selectors, combining keycap.
_EMOJI_LEFTOVER_RE = re.compile("[\u200d\ufe0e\ufe0f\u20e3]")
# Letters only: "1000", "!!!" and "..." keep their length. Two letters stay because English has double letters
# (good, cool, too, all), never triple ones, so the rule cannot break a word and is idempotent.
_ELONGATION_RE = re.compile(r"([^\W\d_])\1{2,}")


def _as_text(value: object) -> str:
    """Anything a tweet column can hold, as text: None, NaN, pd.NA and non-strings become ""; bytes are decoded."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    return ""


def _unescape_entity(match: re.Match[str]) -> str:
    return html.unescape(match.group())


def _normalise_characters(text: str) -> str:
    """Step 1: entities, invisible and control characters, NFKC, straight quotes; repeated until stable."""
    for _ in range(8):
        before = text
        if "&" in text:
            text = _ENTITY_RE.sub(_unescape_entity, text)
        if not text.isascii():
            text = _INVISIBLE_RE.sub("", text).replace("\u200b", " ")
            text = _QUOTE_RE.sub(_straight_quote, unicodedata.normalize("NFKC", text))
        if text == before:
            break
    return text if text.isprintable() else _CONTROL_RE.sub(" ", text)


def _shorten(match: re.Match[str]) -> str:
    return match.group(1) * 2  # a function, not r"\1\1": re.sub parses a template on every call


def _straight_quote(match: re.Match[str]) -> str:
    return _QUOTES[match.group()]


def _split_words(name: str) -> str:
    return _CAMEL_RE.sub(" ", name).strip()


def _handle_words(match: re.Match[str]) -> str:
    names = match.group()[1:].split("@")
    return "".join(" " if name.isdigit() else f" {_split_words(name)}" for name in names)


def _handle_dropped(match: re.Match[str]) -> str:
    return " "


def handle_words(handle: str) -> str:
    """A brand handle's words as the embedding view writes them ("SpotifyCares" -> "Spotify Cares")."""
    return _split_words(handle.lstrip("@"))


def _hashtag(match: re.Match[str]) -> str:
    return f" {_split_words(match.group(1))}"


def _load_lexicon(filename: str) -> dict[str, str]:
    """A two-column ``token<TAB>replacement`` file with a header row; both columns non-empty."""
    path = resources.files("tweet_topics.text").joinpath("lexicons", filename)
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].split("\t") != ["token", "replacement"]:
        raise ValueError(f"{filename}: the first line must be the header 'token<TAB>replacement'")
    lexicon: dict[str, str] = {}
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != 2 or not fields[0] or not fields[1].strip():
            raise ValueError(f"{filename}:{number}: expected 'token<TAB>replacement', got {line!r}")
        if fields[0] in lexicon:
            raise ValueError(f"{filename}:{number}: {fields[0]!r} is listed twice")
        lexicon[fields[0]] = fields[1].strip()
    return lexicon


def load_emoticons() -> dict[str, str]:
    """The emoticon lexicon as written in ``lexicons/emoticons.tsv``."""
    return _load_lexicon("emoticons.tsv")


def load_chat_abbreviations() -> dict[str, str]:
    """The chat-abbreviation lexicon as written in ``lexicons/chat_abbreviations.tsv``."""
    return _load_lexicon("chat_abbreviations.tsv")


def abbreviation_forms(token: str) -> list[str]:
    """The spellings an abbreviation entry matches, so that case-sensitivity is decided in one place.

    An all-lower-case entry of two or more characters also matches its Capitalised and UPPER-CASE forms (pls, Pls,
    PLS); one letter, or any entry written with a capital, matches exactly as written (``u`` and ``U`` are two
    entries, ``n`` is not ``N``; ``DMs`` is not ``dms``).
    """
    if len(token) < 2 or token != token.lower():
        return [token]
    return list(dict.fromkeys([token, token[0].upper() + token[1:], token.upper()]))


def _trie_pattern(
    keys: Iterable[str], left: Callable[[str], str], right: Callable[[str], str], repeat_last: str = ""
) -> str:
    """One regex alternation for many literal keys, shaped as a trie so the engine tries the longest key first.

    ``left(first_char)`` is a character class of what must not precede a key, or "" (checked right after the first
    character, so the pattern still starts with a literal and the engine can skip ahead fast); ``right(key)`` is
    a lookahead that must hold after it. A key ending in a character of ``repeat_last`` also matches with that
    character repeated (``:)))``, ``<333``).
    """
    end = object()
    trie: dict = {}
    for key in keys:
        node = trie
        for char in key:
            node = node.setdefault(char, {})
        node[end] = key

    def branch(node: dict, last: str | None) -> str:
        alternatives = [re.escape(char) + branch(child, char) for char, child in sorted(
            ((c, n) for c, n in node.items() if c is not end), key=lambda item: item[0])]
        if end in node:  # after the longer keys, so they win
            repeat = f"{re.escape(last)}*" if last is not None and last in repeat_last else ""
            alternatives.append(repeat + right(node[end]))
        if len(alternatives) == 1:
            return alternatives[0]
        return "(?:" + "|".join(alternatives) + ")"

    roots = []
    for char, child in sorted(((c, n) for c, n in trie.items() if c is not end), key=lambda item: item[0]):
        forbidden = left(char)
        check = f"(?<!{forbidden}.)" if forbidden else ""
        roots.append(f"{re.escape(char)}{check}{branch(child, char)}")
    return "|".join(roots) if roots else r"(?!x)x"  # no keys: a pattern that never matches


# Emoticons glue to words ("thanks:)") but not to digits (10:30 holds ":3"), paths or other emoticon symbols.
_EMOTICON_SYMBOLS = r"0-9:;=<>^*/\\|(){}\[\]_@~#$%&+\-"
_BRACKETS = "()[]{}"


_EMOTICON_WALLS = frozenset("0123456789:;=<>^*/\\|(){}[]_@~#$%&+-")


def _emoticon_may_follow(before: str, first: str) -> bool:
    """Whether an emoticon starting with ``first`` may come right after the character ``before``."""
    if first.isalnum():
        return not before.isalnum()  # XD, T_T, o_O: not inside a word
    if first in _BRACKETS:
        return before.isspace()  # "(:" and "):" only after a space: "(see below):" is no emoticon
    return before not in _EMOTICON_WALLS


def _emoticon_right(key: str) -> str:
    last = key[-1]
    if last.isalnum():
        return r"(?![^\W_])"  # :D, :p, <3, XD: not followed by a letter or digit (":Dfoo", "<30 min")
    if last in ":;=":
        return r"(?![^\s.,!?])"  # "):", ";_;" end a word
    if last in "/\\":
        return r"(?![\w/\\:;=<>^*|~$%&+\-])"  # ":/" is no emoticon in "C:/Users"
    return r"(?![0-9/\\:;=<>^*|_~$%&+\-])"  # ":$" is none in "costs:$20"


# A chat abbreviation is a whole word: not inside a handle, hashtag, URL, number, contraction or "U.S.".
_ABBREVIATION_LEFT = r"[\w'@#$&.:=(\\\-]"  # "/" is no wall on the left: "username/pw", "w/u"; "(" keeps 401(k)


def _abbreviation_right(key: str) -> str:
    if key[-1].isalnum():
        return r"(?![\w'@&+]|[./:\-]\w)"  # "2day-" is a word, "u-turn" and "r/spotify" are not
    return r"(?!/)"  # "w/" may touch its word: "w/my"


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

    def __init__(self, language: str = "english", keywords: bool = True, handles: str = "leading") -> None:
        """`keywords=False` builds the embedding view only, without NLTK data or WordNet's seconds of loading
        (what `predict` needs); `handles` is one of HANDLE_MODES (see the module docstring, step 5)."""
        if handles not in HANDLE_MODES:
            raise ValueError(f"handles must be one of {HANDLE_MODES}, got {handles!r}")
        self.language = language
        self.handles = handles
        self._handle = _handle_dropped if handles == "all" else _handle_words
        self._negations = NEGATIONS.get(language, frozenset())
        self._english = language == "english"
        if keywords:
            self._load_keyword_resources()
        # Its word pattern, run without the per-call wrappers: the text is already unescaped and lower-cased.
        word_re = TweetTokenizer().WORD_RE
        self._tweet_words = regex.compile(word_re.pattern, word_re.flags).findall

        emoticons: dict[str, str] = {}
        for token, replacement in load_emoticons().items():
            # Matched after NFKC, so the keys are normalised the same way ("¯" becomes " ̄" there).
            emoticons.setdefault(_normalise_characters(token).strip(), replacement)
        self._emoticons = emoticons
        spaced = [key for key in emoticons if len(key.split()) > 1]  # a kaomoji spans chunks: whole text
        # The left boundary is checked in Python (_replace_emoticons), so that an emoticon may follow one just
        # replaced: ":(:(" or two lenny faces in a row are all replaced in one pass.
        self._spaced_emoticon_re = re.compile(_trie_pattern(spaced, lambda _: "", _emoticon_right))
        self._emoticon_re = re.compile(_trie_pattern(
            [key for key in emoticons if len(key.split()) == 1], lambda _: "", _emoticon_right, ")(][DdPp3"))
        abbreviations: dict[str, str] = {}
        for token, replacement in load_chat_abbreviations().items():
            for form in abbreviation_forms(token):
                abbreviations.setdefault(form, replacement)
        self._abbreviations = abbreviations
        self._abbreviation_re = re.compile(
            _trie_pattern(abbreviations, lambda _: _ABBREVIATION_LEFT, _abbreviation_right))

        self._emoji_start_re, self._emoji_names, self._emoji_lengths = _emoji_matcher()
        self._views: dict[str, tuple[str, str]] = {}  # text -> both views
        self._chunk_views: dict[str, str] = {}  # raw chunk -> its embedding view
        self._chunk_both: dict[str, tuple[str, str]] = {}  # raw chunk -> its view and its keywords
        self._chunk_keywords: dict[str, tuple[str, ...]] = {}  # lower-cased embedding chunk -> keywords
        self._keywords: dict[str, tuple[str, ...]] = {}  # token -> its keywords, () when dropped
        self._lemmas: dict[str, str] = {}

    def _load_keyword_resources(self) -> None:
        require_nltk_resources(self.language)
        from nltk.corpus import stopwords
        from nltk.stem import WordNetLemmatizer

        self._stopwords = frozenset(stopwords.words(self.language)) - self._negations
        # WordNet is English: other languages keep their word forms rather than get English lemmas.
        self._lemmatizer = WordNetLemmatizer() if self._english else None
        if self._lemmatizer is not None:
            self._lemmatizer.lemmatize("tweets")  # loads WordNet now (seconds), not inside the first batch
            from nltk.corpus import wordnet

            # All WordNet base forms of a word, as WordNetLemmatizer._morphy gives them (without its per-call import).
            self._morphy = wordnet._morphy
        self._irregular = _wordnet_exceptions() if self._english else frozenset()
        self._wordnet_words = _wordnet_words() if self._english else frozenset()

    # -- embedding view --------------------------------------------------------------------------------------
    def embedding_view(self, text: object) -> str:
        """Light normalisation for a sentence encoder; "" for None, NaN or any non-string."""
        return self._settled(self._embed_once(text))

    def _settled(self, view: str) -> str:
        # A kaomoji may span chunks, so a chunk's cleaning can complete one ("(@1 ͡° ͜ʖ ͡°)" loses its handle and
        # becomes a lenny face). Those are non-ASCII: such views are cleaned again until nothing changes.
        for _ in range(3):
            if view.isascii():
                break
            again = self._embed_once(view)
            if again == view:
                break
            view = again
        return view

    def _embed_once(self, text: object) -> str:
        memo = self._chunk_views
        words = []
        for chunk in self._whole_text_steps(text).split():
            view = memo.get(chunk)
            if view is None:
                if len(memo) >= self._CACHE_LIMIT:
                    memo.clear()
                view = memo[chunk] = self._chunk_view(chunk)
            if view:
                words.append(view)
        return " ".join(words)

    def _whole_text_steps(self, text: object) -> str:
        """Steps 1 to 3, and the leading handles of step 5 (emoji before links: dropping a stray variation selector
        can complete "https://")."""
        text = self._whole_text_characters(text)
        if self.handles == "leading" and "@" in text:
            text = _LEADING_HANDLES_RE.sub("", text)
        return text

    def _whole_text_characters(self, text: object) -> str:
        if type(text) is str and text.isascii() and text.isprintable() and "&" not in text:  # most tweets
            if "://" in text or "www." in text or "WWW." in text:
                return _URL_RE.sub(" ", text)
            return text
        text = _normalise_characters(_as_text(text))
        for _ in range(3):
            if text.isascii():
                break
            again = self._emoji_to_words(text)
            if "&" in again:  # "&#1\ufe0f;" is an entity once the selector is gone
                again = _normalise_characters(again)
            if again == text:
                break
            text = again
        if "://" in text or "www." in text or "WWW." in text:
            text = _URL_RE.sub(" ", text)
        if not text.isascii():
            text = self._replace_emoticons(self._spaced_emoticon_re, text)
        return text

    def _chunk_view(self, chunk: str) -> str:
        """The other steps on one whitespace-free chunk, repeated on its pieces until they stay as they are.

        One pass is not always its own fixed point: a removed handle or an emoticon's words can give a neighbour
        the space it needed ("@1@Delta": the second handle follows a word character until the first is gone).
        """
        view = self._chunk_steps(chunk)
        if view == chunk:
            return view
        for _ in range(4):
            again = " ".join(filter(None, map(self._chunk_steps, view.split())))
            if again == view:
                break
            view = again
        return view

    def _chunk_steps(self, chunk: str) -> str:
        """Steps 4 to 8 on one whitespace-free chunk: none of them looks across a space."""
        if chunk.isalpha():  # most chunks: then a lexicon entry can only be the whole chunk
            chunk = _ELONGATION_RE.sub(_shorten, chunk)
            emoticon = self._emoticons.get(chunk) or self._emoticons.get(chunk.rstrip(chunk[-1]) + chunk[-1])
            return emoticon or self._abbreviations.get(chunk, chunk)
        if "__email__" in chunk:
            chunk = chunk.replace("__email__", " email ")
        if "@" in chunk:
            chunk = _HANDLE_RE.sub(self._handle, chunk)
        if "#" in chunk:
            chunk = _HASHTAG_RE.sub(_hashtag, chunk)
        chunk = _ELONGATION_RE.sub(_shorten, chunk)
        chunk = self._replace_emoticons(self._emoticon_re, chunk)
        chunk = self._abbreviation_re.sub(self._abbreviation, chunk)
        return " ".join(chunk.split())

    def _emoji_to_words(self, text: str) -> str:
        """Step 2 on the whole text (a run of emoji may be spaced out): each emoji by its longest known sequence."""
        if _SKIN_TONE_RE.search(text):
            text = _SKIN_TONE_RE.sub("", text)
        names, lengths = self._emoji_names, self._emoji_lengths
        pieces: list[str] = []
        position = 0
        previous = None
        for candidate in self._emoji_start_re.finditer(text):
            start = candidate.start()
            if start < position:
                continue  # inside the emoji sequence just read
            for length in lengths:
                glyph = text[start:start + length]
                name = names.get(glyph)
                if name is not None:
                    break
            else:
                continue
            between = text[position:start]
            if glyph != previous or between.strip():  # "😂😂😂" says it once
                pieces.append(between)
                pieces.append(f" {name} ")
            previous = glyph
            position = start + len(glyph)
        if pieces:
            pieces.append(text[position:])
            text = "".join(pieces)
        return _EMOJI_LEFTOVER_RE.sub("", text)

    def _replace_emoticons(self, pattern: re.Pattern[str], text: str) -> str:
        pieces: list[str] = []
        done = 0  # end of the last replacement
        match = pattern.search(text)
        while match is not None:
            start = match.start()
            if start == 0 or start == done or _emoticon_may_follow(text[start - 1], text[start]):
                found = match.group()
                replacement = self._emoticons.get(found)
                if replacement is None:  # ":)))" matched ":)" with its last character repeated
                    replacement = self._emoticons[found.rstrip(found[-1]) + found[-1]]
                pieces.append(text[done:start])
                pieces.append(f" {replacement} ")  # words, so they must not touch a neighbour ("thanks:)")
                done = match.end()
                match = pattern.search(text, done)
            else:
                match = pattern.search(text, start + 1)
        if not pieces:
            return text
        pieces.append(text[done:])
        return "".join(pieces)

    def _abbreviation(self, match: re.Match[str]) -> str:
        # The boundaries keep letters off both sides, except after "w/" ("w/my" -> "with my").
        text, end = match.string, match.end()
        after = " " if end < len(text) and text[end].isalnum() else ""
        return self._abbreviations[match.group()] + after

    # -- keyword view ----------------------------------------------------------------------------------------
    def keyword_view(self, embedding_text: object) -> str:
        """The embedding view (pass its output) lower-cased, stopwords out, lemmatised, no bare punctuation."""
        return " ".join(self._keyword_words(_as_text(embedding_text)))

    def _keyword_words(self, text: str) -> list[str]:
        memo = self._chunk_keywords
        words: list[str] = []
        for chunk in text.lower().split():
            kept = memo.get(chunk)
            if kept is None:
                if len(memo) >= self._CACHE_LIMIT:
                    memo.clear()
                kept = memo[chunk] = self._keywords_of_chunk(chunk)
            words.extend(kept)
        return words

    def _keywords_of_chunk(self, chunk: str) -> tuple[str, ...]:
        # TweetTokenizer's tokens per whitespace-separated chunk equal its tokens for the whole text except where
        # its patterns span spaces (phone numbers, spaced dots), and those hold no letter, so they are dropped
        # either way; tests/test_text_cleaner.py checks this on the sample tweets. A plain word with sentence
        # punctuation is one token without running the pattern (~10 us a word on this machine). One exception
        # on purpose: TweetTokenizer cuts "at&t" and "m&s" into letters that are then dropped, so brands vanish,
        # and a colon between two words or numbers separates them.
        if chunk.isalpha():
            tokens: tuple[str, ...] | list[str] = (chunk,)
        else:
            plain = _PLAIN_CHUNK_RE.fullmatch(chunk) or _AMPERSAND_CHUNK_RE.fullmatch(chunk)
            if plain:
                tokens = (plain.group(1),)
            else:
                if ":" in chunk:  # "spotify:user:x:playlist": TweetTokenizer would read ":p" as an emoticon
                    chunk = _INNER_COLON_RE.sub(" ", chunk)
                tokens = self._tweet_words(_HANG_RE.sub(r"\1\1\1", chunk))
        if len(tokens) == 1:
            return self._token_keywords(tokens[0])
        return tuple(keyword for token in tokens for keyword in self._token_keywords(token))

    def _token_keywords(self, token: str, depth: int = 0) -> tuple[str, ...]:
        """The keywords a token becomes (none when it is dropped), memoised."""
        keywords = self._keywords.get(token)
        if keywords is None:
            if len(self._keywords) >= self._CACHE_LIMIT:
                self._keywords.clear()
            keywords = self._keywords[token] = self._keywords_of_token(token, depth)
        return keywords

    def _keywords_of_token(self, token: str, depth: int) -> tuple[str, ...]:
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
                return tuple(keyword for part in parts for keyword in self._token_keywords(part, depth + 1))
            if not word.isalpha():
                return () if word in self._stopwords else (word,)
            token = word
        if self._english and token.isascii() and _DOUBLE_LETTER_RE.search(token, 1):
            token = self._undouble(token)
        if token in self._stopwords or (len(token) == 1 and token.isascii()):
            return ()  # a lone Latin letter ("i.e." leaves "e") names nothing
        if (self._lemmatizer is not None and len(token) >= 3 and token.isascii()
                and (token.endswith(_INFLECTIONS) or token in self._irregular)):
            token = self._lemma(token)
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

    def _lemma(self, token: str, depth: int = 0) -> str:
        # WordNet's base forms, the verb reading first: in support tweets "charging",
        # "crashed", "updates" are mostly verbs, and the noun reading keeps "playing" and "working" whole. A base
        # verb stays ("feed", not "fee"); otherwise the longest verb form wins ("hoping" -> hope, not hop;
        # "installed" -> install, not instal; "goes" -> go, but "UPS" is no "up"). Nouns take the shortest form,
        # as WordNetLemmatizer does ("data" stays data, "devices" -> device), but none under 3 letters ("ios" is
        # no "io"). Words WordNet lacks stay as written ("apps"). Followed to a fixed point (idempotence).
        lemma = self._lemmas.get(token)
        if lemma is None:
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
                lemma = self._lemma(lemma, depth + 1)
            self._lemmas[token] = lemma
        return lemma

    # -- batches ---------------------------------------------------------------------------------------------
    def _chunk_pair(self, chunk: str) -> tuple[str, str]:
        view = self._chunk_view(chunk)
        if view == chunk and chunk.isalpha():  # one plain word: one token
            keywords = self._token_keywords(chunk.lower())
        else:
            keywords = self._keyword_words(view)
        pair = self._chunk_both[chunk] = (view, " ".join(keywords))
        return pair

    def views(self, texts: Iterable[object]) -> tuple[list[str], list[str]]:
        """Both views of every text, in order; None, NaN and non-strings give ""; repeated texts are cleaned once.

        The same as ``embedding_view`` and then ``keyword_view`` of its output, in one pass over the chunks: the
        keywords of an embedding view are the keywords of its chunks' views, one after the other.
        """
        embedding: list[str] = []
        keywords: list[str] = []
        memo = self._views
        chunk_memo = self._chunk_both
        for raw in texts:
            text = _as_text(raw)
            both = memo.get(text)
            if both is None:
                if len(memo) >= self._TEXT_MEMO_LIMIT:
                    memo.clear()
                if len(chunk_memo) >= self._CACHE_LIMIT:
                    chunk_memo.clear()
                pairs = [chunk_memo.get(chunk) or self._chunk_pair(chunk)
                         for chunk in self._whole_text_steps(text).split()]
                view = " ".join([pair[0] for pair in pairs if pair[0]])
                settled = view if view.isascii() else self._settled(view)
                if settled == view:
                    both = memo[text] = (view, " ".join([pair[1] for pair in pairs if pair[1]]))
                else:
                    both = memo[text] = (settled, self.keyword_view(settled))
            embedding.append(both[0])
            keywords.append(both[1])
        return embedding, keywords


_WORDNET_WORDS: frozenset[str] | None = None


def _wordnet_words() -> frozenset[str]:
    """Every word WordNet lists (147k), read once per process like WordNet itself."""
    global _WORDNET_WORDS
    if _WORDNET_WORDS is None:
        from nltk.corpus import wordnet

        _WORDNET_WORDS = frozenset(wordnet.all_lemma_names())
    return _WORDNET_WORDS


def _wordnet_exceptions() -> frozenset[str]:
    """The irregular noun and verb forms WordNet lists (``verb.exc``: "went go"), as one set."""
    import nltk

    forms: set[str] = set()
    for pos in ("noun", "verb"):
        with nltk.data.find(f"corpora/wordnet/{pos}.exc").open() as stream:
            forms.update(line.split(None, 1)[0] for line in stream.read().decode("utf-8").splitlines() if line)
    return frozenset(forms)


_EMOJI_MATCHER: tuple[re.Pattern[str], dict[str, str], tuple[int, ...]] | None = None


def _emoji_matcher() -> tuple[re.Pattern[str], dict[str, str], tuple[int, ...]]:
    """Where an emoji may start, the words for every emoji the ``emoji`` package knows, their lengths (longest first).

    Built once per process. Finding emoji this way is ~50x faster here than ``emoji.emoji_list`` or a regex with
    every emoji in it: the start pattern is a few code point ranges, and each candidate is looked up in a dict,
    longest sequence first. Names go through the tweets' character normalisation ("woman’s hat" -> "woman's hat").
    """
    global _EMOJI_MATCHER
    if _EMOJI_MATCHER is None:
        names: dict[str, str] = {}
        for glyph, data in emoji.EMOJI_DATA.items():
            glyph = _SKIN_TONE_RE.sub("", glyph)
            if glyph and not glyph.isascii() and glyph not in names:
                name = _normalise_characters(data["en"].strip(":").replace("_", " "))
                names[glyph] = " ".join(_ELONGATION_RE.sub(r"\1\1", name).split())
        ranges: list[list[int]] = []
        for point in sorted({ord(glyph[0]) for glyph in names if not glyph[0].isascii()}):
            if ranges and point - ranges[-1][1] <= 256:  # few wide ranges scan faster than many exact ones
                ranges[-1][1] = point
            else:
                ranges.append([point, point])
        starts = "".join(f"{re.escape(chr(low))}-{re.escape(chr(high))}" for low, high in ranges)
        keycaps = "".join(sorted({re.escape(glyph[0]) for glyph in names if glyph[0].isascii()}))
        start_re = re.compile(f"[{starts}]|[{keycaps}](?=\ufe0f?\u20e3)")
        lengths = tuple(sorted({len(glyph) for glyph in names}, reverse=True))
        _EMOJI_MATCHER = (start_re, names, lengths)
    return _EMOJI_MATCHER
