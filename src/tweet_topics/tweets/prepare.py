"""Record-level preparation: types, UTC timestamps, the brand a tweet addresses, sane text."""

import re

import numpy as np
import pandas as pd

from tweet_topics.errors import UserError

TWCS_TIME_FORMAT = "%a %b %d %H:%M:%S %z %Y"  # Tue Oct 31 22:10:47 +0000 2017
# twcs anonymises customers as numeric handles (@115712); brands keep their names (@AmazonHelp)
_BRAND_HANDLE = re.compile(r"(?<![\w@])@([A-Za-z_]\w{0,49})")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WHITESPACE = re.compile(r"\s+")


def parse_tweet_ids(ids: pd.Series, source: str) -> pd.Series:
    numeric = pd.to_numeric(ids, errors="coerce")
    bad = numeric.isna() | (numeric != numeric.round())
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise UserError(f"{source}: row {row + 1}, column 'tweet_id' is {ids.iloc[row]!r}; expected an integer")
    return numeric.astype("int64")


def sane_text(texts: pd.Series) -> pd.Series:
    """Control characters removed and runs of whitespace (CR, LF, tabs) made one space."""
    return texts.str.replace(_CONTROL, "", regex=True).str.replace(_WHITESPACE, " ", regex=True).str.strip()


def addressed_brand(texts: pd.Series, replied_by: pd.Series) -> pd.Series:
    """The first brand handle mentioned in the text, else the brand that replied, else ''."""
    mentioned = texts.str.extract(_BRAND_HANDLE, expand=False)
    return mentioned.fillna(replied_by).fillna("")


def prepare_tweets(tweets: pd.DataFrame, source: str) -> pd.DataFrame:
    text = sane_text(tweets["text"])
    prepared = pd.DataFrame({
        "tweet_id": parse_tweet_ids(tweets["tweet_id"], source),
        "author_id": tweets["author_id"].astype(str),
        "created_at": pd.to_datetime(tweets["created_at"], format=TWCS_TIME_FORMAT, errors="coerce", utc=True),
        "brand": addressed_brand(text, tweets["replied_by"].replace("", np.nan)),
        "text": text,
    })
    return prepared.loc[prepared["text"] != ""].reset_index(drop=True)
