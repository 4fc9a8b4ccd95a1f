"""A user's CSV read as strings; a missing or unreadable file is a one-line UserError."""

from pathlib import Path

import pandas as pd

from tweet_topics.errors import UserError


def read_string_csv(path: Path, missing_hint: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: file not found ({missing_hint})") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: not a readable CSV ({str(error).splitlines()[0]})") from None
