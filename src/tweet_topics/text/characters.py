"""The embedding view's whole-text character steps, before a tweet is cut into chunks.

  1. HTML entities unescaped (repeatedly: twcs has ``&amp;amp;``), lone surrogates, U+FFFD and invisible characters
     dropped, NFKC (fullwidth and "fancy" maths letters to plain ones, ``…`` to ``...``), curly quotes and
     apostrophes to straight ones so ``don’t`` reads like ``don't``, control characters to spaces;
  2. emoji become their CLDR names (``😂`` -> ``face with tears of joy``), skin tones dropped, a run of the same
     emoji said once;
  3. URLs removed (see ``_URL_RE``).
Step 6, letters repeated 3+ times cut to 2 (``shorten_elongations``), is here too: the cleaner runs it on each
chunk, and emoji names go through it.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata

import emoji

from tweet_topics.text.memo import settle

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

_SKIN_TONE_RE = re.compile("[\U0001f3fb-\U0001f3ff]")
# Left over when a sequence is not an emoji: zero-width joiner, variation selectors, combining keycap.
_EMOJI_LEFTOVER_RE = re.compile("[\u200d\ufe0e\ufe0f\u20e3]")
# Letters only: "1000", "!!!" and "..." keep their length. Two letters stay because English has double letters
# (good, cool, too, all), never triple ones, so the rule cannot break a word and is idempotent.
_ELONGATION_RE = re.compile(r"([^\W\d_])\1{2,}")


def as_text(value: object) -> str:
    """Anything a tweet column can hold, as text: None, NaN, pd.NA and non-strings become ""; bytes are decoded."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    return ""


def clean_characters(text: object) -> str:
    """Steps 1 to 3 on a whole text (emoji before links: dropping a stray variation selector can complete
    "https://"); the emoji loop runs again while a pass changes something."""
    # Most tweets are printable ASCII without "&": nothing for steps 1 and 2 to do.
    if not (type(text) is str and text.isascii() and text.isprintable() and "&" not in text):
        text = settle(_emoji_to_words_and_entities, normalise_characters(as_text(text)), 3, str.isascii)
    if "://" in text or "www." in text or "WWW." in text:
        text = _URL_RE.sub(" ", text)
    return text


def normalise_characters(text: str) -> str:
    """Step 1: entities, invisible and control characters, NFKC, straight quotes; repeated until stable."""
    text = settle(_normalise_once, text, 8)
    return text if text.isprintable() else _CONTROL_RE.sub(" ", text)


def _normalise_once(text: str) -> str:
    if "&" in text:
        text = _ENTITY_RE.sub(_unescape_entity, text)
    if not text.isascii():
        text = _INVISIBLE_RE.sub("", text).replace("\u200b", " ")
        text = _QUOTE_RE.sub(_straight_quote, unicodedata.normalize("NFKC", text))
    return text


def _unescape_entity(match: re.Match[str]) -> str:
    return html.unescape(match.group())


def _straight_quote(match: re.Match[str]) -> str:
    return _QUOTES[match.group()]


def shorten_elongations(text: str) -> str:
    """Letters repeated 3+ times cut to 2 (``soooo`` -> ``soo``, ``goooood`` -> ``good``)."""
    return _ELONGATION_RE.sub(_shorten, text)


def _shorten(match: re.Match[str]) -> str:
    return match.group(1) * 2  # a function, not r"\1\1": re.sub parses a template on every call


def _emoji_to_words_and_entities(text: str) -> str:
    text = _emoji_to_words(text)
    if "&" in text:  # "&#1\ufe0f;" is an entity once the selector is gone
        text = normalise_characters(text)
    return text


def _emoji_to_words(text: str) -> str:
    """Step 2 on the whole text (a run of emoji may be spaced out): each emoji by its longest known sequence."""
    if _SKIN_TONE_RE.search(text):
        text = _SKIN_TONE_RE.sub("", text)
    start_re, names, lengths = emoji_matcher()
    pieces: list[str] = []
    position = 0
    previous = None
    for candidate in start_re.finditer(text):
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


@functools.cache
def emoji_matcher() -> tuple[re.Pattern[str], dict[str, str], tuple[int, ...]]:
    """Where an emoji may start, the words for every emoji the ``emoji`` package knows, their lengths (longest first).

    Built once per process. Finding emoji this way is ~50x faster here than ``emoji.emoji_list`` or a regex with
    every emoji in it: the start pattern is a few code point ranges, and each candidate is looked up in a dict,
    longest sequence first. Names go through the tweets' character normalisation ("woman’s hat" -> "woman's hat").
    """
    names: dict[str, str] = {}
    for glyph, data in emoji.EMOJI_DATA.items():
        glyph = _SKIN_TONE_RE.sub("", glyph)
        if glyph and not glyph.isascii() and glyph not in names:
            name = normalise_characters(data["en"].strip(":").replace("_", " "))
            names[glyph] = " ".join(shorten_elongations(name).split())
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
    return start_re, names, lengths
