"""Read a twcs-format CSV, keep the customers' (inbound) tweets and split them by a stable hash of tweet_id."""

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from tweet_topics.errors import UserError
from tweet_topics.io.csv_input import CsvRows, read_csv_rows
from tweet_topics.io.datasets import SPLITS
from tweet_topics.params import IngestParams

REQUIRED_COLUMNS = ("tweet_id", "author_id", "inbound", "created_at", "text")
MAX_TEXT_CHARS = 10_000  # a tweet has at most 280; longer "texts" are rows swallowed by broken quoting
QUARANTINE_REASONS = ("bad_line", "bad_tweet_id", "invalid_utf8", "empty_text", "text_too_long",
                      "duplicate_tweet_id", "duplicate_tweet_id_other_text")
QUARANTINE_COLUMNS = ["row", "reason", "tweet_id", "text"]
_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


def read_twcs(path: Path) -> CsvRows:
    """All readable rows of a twcs-format CSV as strings; no rows or a missing required column is a UserError."""
    rows = read_csv_rows(path, "set ingest.raw_path to a twcs-format CSV")
    missing = [column for column in REQUIRED_COLUMNS if column not in rows.frame.columns]
    if missing:
        raise UserError(
            f"{path}: missing column '{missing[0]}' (its columns: {', '.join(rows.frame.columns)});"
            f" a twcs file needs {', '.join(REQUIRED_COLUMNS)}"
        )
    if rows.frame.empty:
        raise UserError(f"{path}: a header but no readable rows: give ingest.raw_path a file with tweets")
    return rows


def parse_inbound(values: pd.Series, path: Path, rows: np.ndarray | None = None) -> pd.Series:
    """True/False, TRUE/FALSE, true/false and 1/0 as booleans; anything else names its row (`rows`: each value's
    row number in the file, by default 1, 2, ...)."""
    normalised = values.str.strip().str.lower()
    bad = ~normalised.isin(_TRUE | _FALSE)
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        row = position + 1 if rows is None else int(rows[position])
        raise UserError(
            f"{path}: row {row}, column 'inbound' is {values.iloc[position]!r}; expected True/False or 1/0"
        )
    return normalised.isin(_TRUE)


def replying_authors(frame: pd.DataFrame, inbound: pd.Series) -> dict[str, str]:
    """Tweet id -> author of the first brand reply to it (the brand the customer reached)."""
    if "in_response_to_tweet_id" not in frame.columns:
        return {}
    replies = frame.loc[~inbound & (frame["in_response_to_tweet_id"] != ""),
                        ["in_response_to_tweet_id", "author_id"]]
    replies = replies.drop_duplicates("in_response_to_tweet_id")
    return dict(zip(replies["in_response_to_tweet_id"], replies["author_id"], strict=True))


def select_inbound(rows: CsvRows, path: Path) -> tuple[pd.DataFrame, dict[str, int], pd.DataFrame]:
    """The inbound tweets with a usable id and text, one row per tweet id; the count of rows per outcome; and the
    quarantined rows (row, reason, tweet_id, text), every inbound row that was dropped and why."""
    frame, row_numbers = rows.frame, rows.lines - 1  # a row's number: its line in the file, less the header's
    inbound = parse_inbound(frame["inbound"], path, row_numbers)
    if not inbound.any():
        raise UserError(f"{path}: none of its {len(frame)} rows is inbound (a customer's tweet): check the"
                        " 'inbound' column (True/False or 1/0)")
    replied_by = replying_authors(frame, inbound)
    tweets = frame.loc[inbound, list(REQUIRED_COLUMNS)].assign(row=row_numbers[inbound.to_numpy()])
    quarantine = [pd.DataFrame({"row": [line - 1 for line, _ in rows.skipped], "reason": "bad_line",
                                "tweet_id": "", "text": [why for _, why in rows.skipped]})]

    def drop(mask: pd.Series, reason: str) -> pd.DataFrame:
        quarantine.append(tweets.loc[mask, ["row", "tweet_id", "text"]].assign(reason=reason))
        return tweets.loc[~mask]

    # Excel writes long ids as 1.19237E+11 (digits lost) or 119237.0 (recoverable)
    tweets["tweet_id"] = tweets["tweet_id"].str.strip().str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    tweets = drop(~tweets["tweet_id"].str.fullmatch(r"\d+"), "bad_tweet_id")
    if rows.invalid_utf8:
        tweets = drop(tweets["text"].str.contains("\ufffd", regex=False), "invalid_utf8")
    tweets = drop(tweets["text"].str.strip() == "", "empty_text")
    tweets = drop(tweets["text"].str.len() > MAX_TEXT_CHARS, "text_too_long")
    first_text = tweets.drop_duplicates("tweet_id").set_index("tweet_id")["text"]
    repeated = tweets["tweet_id"].duplicated(keep="first")
    same_text = tweets["text"].to_numpy() == first_text.loc[tweets["tweet_id"]].to_numpy()
    tweets = drop(repeated & ~same_text, "duplicate_tweet_id_other_text")
    tweets = drop(tweets["tweet_id"].duplicated(keep="first"), "duplicate_tweet_id")

    quarantined = pd.concat(quarantine, ignore_index=True)[QUARANTINE_COLUMNS]
    reasons = quarantined["reason"].value_counts()
    counts = {"rows_read": len(frame) + len(rows.skipped), "outbound_rows": int((~inbound).sum()),
              **{f"quarantined_{reason}": int(reasons.get(reason, 0)) for reason in QUARANTINE_REASONS}}
    tweets = tweets.drop(columns="row")
    tweets["replied_by"] = [replied_by.get(tweet_id, "") for tweet_id in tweets["tweet_id"]]
    counts["inbound_tweets"] = len(tweets)
    return tweets.reset_index(drop=True), counts, quarantined


def stable_unit_interval(tweet_ids: pd.Series, salt: str) -> np.ndarray:
    """A number in [0, 1) per tweet id that depends only on the id and the salt (not on row order or data size)."""
    person = salt.encode()[:16]
    return np.fromiter(
        (int.from_bytes(hashlib.blake2b(tid.encode(), digest_size=8, person=person).digest(), "big") / 2**64
         for tid in tweet_ids),
        dtype=np.float64,
        count=len(tweet_ids),
    )


def cap_tweets(tweets: pd.DataFrame, max_inbound: int) -> pd.DataFrame:
    """A stable subset of at most `max_inbound` tweets (0 keeps all); the same ids stay in as data grows."""
    if max_inbound == 0 or len(tweets) <= max_inbound:
        return tweets
    order = np.argsort(stable_unit_interval(tweets["tweet_id"], salt="cap"), kind="stable")
    return tweets.iloc[np.sort(order[:max_inbound])].reset_index(drop=True)


def assign_splits(tweet_ids: pd.Series, fractions: dict[str, float]) -> np.ndarray:
    """The split name of each tweet id, from a hash of the id, so a tweet keeps its split when rows are added."""
    position = stable_unit_interval(tweet_ids, salt="split")
    edges = np.cumsum([fractions[name] for name in SPLITS])[:-1]
    return np.asarray(SPLITS, dtype=object)[np.searchsorted(edges, position, side="right")]


SOURCES = ("sample", "file", "kaggle")


def raw_file(params: IngestParams, sample: Path) -> Path:
    """The twcs-format file the ingest section of params.yaml names: the committed `sample`, the local file at
    ingest.raw_path, or Kaggle's twcs.csv (downloaded by kagglehub, or its cached copy)."""
    source = params.source
    if source == "sample":
        if not sample.is_file():
            raise UserError(f"{sample} not found: restore it with `git checkout -- {sample}`, or set"
                            " ingest.source to file or kaggle")
        return sample
    if source == "kaggle":
        return download_twcs(params.kaggle_handle, params.kaggle_file)
    raw_path = Path(params.raw_path)
    if not raw_path.is_file():
        raise UserError(f"{raw_path} not found (ingest.source is file): put a twcs-format CSV there or point"
                        " ingest.raw_path at one; or set ingest.source to sample (the committed excerpt) or kaggle")
    return raw_path


def download_twcs(handle: str, file_in_dataset: str) -> Path:
    """twcs.csv from Kaggle through kagglehub; offline or without credentials, a UserError saying what to do."""
    import kagglehub  # imported here: it is slow to import and only needed for the download

    try:
        root = Path(kagglehub.dataset_download(handle))
    except Exception as error:  # kagglehub raises requests, HTTP and auth errors alike
        raise UserError(
            f"the Kaggle download of '{handle}' failed ({type(error).__name__}) (ingest.source is kaggle):"
            " set KAGGLE_USERNAME/KAGGLE_KEY (or ~/.kaggle/kaggle.json) and connect to the internet, or download"
            " twcs.csv yourself and set ingest.source: file with ingest.raw_path"
        ) from None
    path = root / file_in_dataset
    if not path.is_file():
        raise UserError(f"Kaggle dataset '{handle}' has no {file_in_dataset}: check ingest.kaggle_file")
    return path
