"""The emoticon and chat-abbreviation lexicons (``lexicons/*.tsv``): read, and replaced where they occur in a tweet.

Emoticons, then chat abbreviations, become their words (step 7 of the embedding view), and kaomoji with spaces
inside (``( ͡° ͜ʖ ͡°)``) are replaced on the whole text (step 3). Each lexicon is one trie-shaped regex, with the
boundaries that keep an entry from matching inside a word, number, handle, path or price.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from importlib import resources

from tweet_topics.text.characters import normalise_characters


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
_EMOTICON_WALLS = frozenset("0123456789:;=<>^*/\\|(){}[]_@~#$%&+-")
_BRACKETS = "()[]{}"


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


class Lexicons:
    """Both lexicons, with the patterns that find their entries; built once per cleaner."""

    def __init__(self) -> None:
        emoticons: dict[str, str] = {}
        for token, replacement in load_emoticons().items():
            # Matched after NFKC, so the keys are normalised the same way ("¯" becomes " ̄" there).
            emoticons.setdefault(normalise_characters(token).strip(), replacement)
        self.emoticons = emoticons
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
        self.abbreviations = abbreviations
        self._abbreviation_re = re.compile(
            _trie_pattern(abbreviations, lambda _: _ABBREVIATION_LEFT, _abbreviation_right))

    def replace_in_word(self, word: str) -> str:
        """A chunk of letters only: an entry can only be the whole of it (``XD``, ``Xdddd``, ``pls``)."""
        emoticon = self.emoticons.get(word) or self.emoticons.get(word.rstrip(word[-1]) + word[-1])
        return emoticon or self.abbreviations.get(word, word)

    def replace_in_chunk(self, chunk: str) -> str:
        """Emoticons, then chat abbreviations, in a whitespace-free chunk."""
        return self._abbreviation_re.sub(self._abbreviation, self._replace_emoticons(self._emoticon_re, chunk))

    def replace_spaced_emoticons(self, text: str) -> str:
        """Emoticons with spaces inside, on the whole text."""
        return self._replace_emoticons(self._spaced_emoticon_re, text)

    def _replace_emoticons(self, pattern: re.Pattern[str], text: str) -> str:
        pieces: list[str] = []
        done = 0  # end of the last replacement
        match = pattern.search(text)
        while match is not None:
            start = match.start()
            if start == 0 or start == done or _emoticon_may_follow(text[start - 1], text[start]):
                found = match.group()
                replacement = self.emoticons.get(found)
                if replacement is None:  # ":)))" matched ":)" with its last character repeated
                    replacement = self.emoticons[found.rstrip(found[-1]) + found[-1]]
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
        return self.abbreviations[match.group()] + after
