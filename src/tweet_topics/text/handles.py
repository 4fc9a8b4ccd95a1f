"""Handles and hashtags (step 5 of the embedding view): anonymised customers removed, brands and hashtags as words.

Anonymised customer handles (``@115712``) are removed; brand handles, by the cleaner's ``handles`` mode (one of
``HANDLE_MODES``): ``leading`` drops the run of handles a tweet opens with (the account it is addressed to:
metadata, the ``brand`` column, not what the customer asks) and turns later ones into the brand's name
(``@AmazonHelp`` -> ``Amazon Help``), ``all`` drops every handle, ``keep`` names every one. Hashtags become their
words (``#NeverAgain`` -> ``Never Again``).
"""

from __future__ import annotations

import re

HANDLE_MODES = ("leading", "all", "keep")

# A run of glued handles ("@Delta@115712") is one match, so one pass leaves none behind (idempotence).
_NAME = r"[A-Za-z0-9_]*[A-Za-z0-9][A-Za-z0-9_]*"
_HANDLE_RE = re.compile(rf"@(?<![A-Za-z0-9_@].){_NAME}(?:@{_NAME})*")
# The handles a tweet opens with, glued or separated by spaces and punctuation (".@Delta @115712, my bag ...").
_LEADING_HANDLES_RE = re.compile(rf"^[\s.,:;]*(?:@{_NAME}[\s.,:;]*)+")
_HASHTAG_RE = re.compile(r"#(?<!#.)(\w*[^\W\d_]\w*)")  # "set#Help" too: no URL is left to break
# Brand handles and hashtags are split into words (SpotifyCares -> Spotify Cares, GWRHelp -> GWR Help): the
# encoder's WordPiece vocabulary knows "spotify" and "help" but cuts "spotifycares" at arbitrary pieces, and the
# keyword view then counts the brand as the same word customers write. A word starts at a capital followed by a
# lower-case letter (AtLast, TheLastJedi) or after an acronym (GWRHelp); iPhone, eBay, McDonalds, BofA stay whole.
_CAMEL_RE = re.compile(r"(?<=[a-z])(?<!^[a-z])(?<!Mc)(?=[A-Z][a-z])|(?<=[A-Z])(?=[A-Z][a-z]{2})|_+")


def handle_words(handle: str) -> str:
    """A brand handle's words as the embedding view writes them ("SpotifyCares" -> "Spotify Cares")."""
    return _split_words(handle.lstrip("@"))


def without_leading_handles(text: str) -> str:
    """The text without the handles it opens with (the ``leading`` mode, on the whole text)."""
    return _LEADING_HANDLES_RE.sub("", text) if "@" in text else text


def handles_as_words(chunk: str) -> str:
    """Brand handles as their words, anonymised ones removed (``leading`` after the opening run, and ``keep``)."""
    return _HANDLE_RE.sub(_handle_words, chunk)


def without_handles(chunk: str) -> str:
    """Every handle removed (the ``all`` mode)."""
    return _HANDLE_RE.sub(_handle_dropped, chunk)


def hashtags_as_words(chunk: str) -> str:
    return _HASHTAG_RE.sub(_hashtag, chunk)


def _split_words(name: str) -> str:
    return _CAMEL_RE.sub(" ", name).strip()


def _handle_words(match: re.Match[str]) -> str:
    names = match.group()[1:].split("@")
    return "".join(" " if name.isdigit() else f" {_split_words(name)}" for name in names)


def _handle_dropped(match: re.Match[str]) -> str:
    return " "


def _hashtag(match: re.Match[str]) -> str:
    return f" {_split_words(match.group(1))}"
