"""Fail early, in one line, when the NLTK data the text stages need is not installed."""

import warnings

from tweet_topics.errors import UserError

SETUP_HINT = "run `bash scripts/setup.sh` to install the NLTK data"
# The WordNet files NLTK opens when the lemmatizer first loads WordNet.
WORDNET_FILES = (
    "lexnames",
    "index.sense",
    *(f"{kind}.{pos}" for kind in ("index", "data") for pos in ("adj", "adv", "noun", "verb")),
    *(f"{pos}.exc" for pos in ("adj", "adv", "noun", "verb")),
)


def require_nltk_resources(language: str = "english") -> None:
    """Raise UserError unless the stopword list for ``language`` and WordNet are installed and readable.

    Cheap: finds each file on ``nltk.data.path`` and reads the stopword list and WordNet's ``lexnames``,
    but does not build WordNet's index (that takes seconds; the lemmatizer does it on first use).
    """
    from nltk.corpus.reader import StopwordsCorpusReader

    where = f" ({language})"
    root = _find("corpora/stopwords", where)
    reader = StopwordsCorpusReader(root, r"(?!README|\.).*", encoding="utf8")
    if language not in reader.fileids():
        available = ", ".join(reader.fileids()) or "none"
        raise UserError(f"unknown stopword language {language!r}; NLTK's stopwords have: {available}")
    try:
        if not reader.words(language):
            raise UserError(f"NLTK resource 'corpora/stopwords'{where} is empty: {SETUP_HINT}")
    except (OSError, UnicodeError, ValueError) as error:
        raise UserError(f"NLTK resource 'corpora/stopwords'{where} cannot be read ({error}): {SETUP_HINT}") from error

    _find("corpora/wordnet")
    pointers = {name: _find(f"corpora/wordnet/{name}") for name in WORDNET_FILES}
    try:
        with pointers["lexnames"].open() as stream:
            lexnames = stream.read().decode("ascii").splitlines()
        damaged = not lexnames or any(len(line.split()) != 3 for line in lexnames)
    except (OSError, UnicodeError, ValueError):
        damaged = True
    if damaged:
        raise UserError(f"NLTK resource 'corpora/wordnet/lexnames' is damaged: {SETUP_HINT}")


def _find(resource: str, detail: str = ""):
    """``nltk.data.find``, with a missing or refused resource turned into a one-line UserError."""
    import nltk

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return nltk.data.find(resource)
        except LookupError:
            refused = [str(w.message) for w in caught if "will not read" in str(w.message)]
    if refused:
        reason = refused[0].split(": it is")[0]
        raise UserError(f"NLTK resource {resource!r}{detail} is not readable ({reason}; chmod go-w fixes it)")
    raise UserError(f"NLTK resource {resource!r}{detail} not found: {SETUP_HINT}")
