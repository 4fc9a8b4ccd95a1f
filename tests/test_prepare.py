import pandas as pd
import pytest

from tweet_topics.errors import UserError
from tweet_topics.tweets.prepare import prepare_tweets


def ingested(**columns) -> pd.DataFrame:
    base = {"tweet_id": ["1"], "author_id": ["115712"], "created_at": ["Tue Oct 31 22:10:47 +0000 2017"],
            "text": ["@sprintcare hello"], "replied_by": [""], "inbound": ["True"]}
    base.update(columns)
    return pd.DataFrame(base)


def test_types_and_utc_timestamp():
    frame = prepare_tweets(ingested(created_at=["Tue Oct 31 22:10:47 +0100 2017"]), "x")
    assert frame["tweet_id"].dtype == "int64"
    assert frame["created_at"].iloc[0] == pd.Timestamp("2017-10-31 21:10:47", tz="UTC")


def test_unparseable_date_becomes_missing_not_an_error():
    assert pd.isna(prepare_tweets(ingested(created_at=["yesterday"]), "x")["created_at"].iloc[0])


@pytest.mark.parametrize(("text", "replied_by", "brand"), [
    ("@AmazonHelp where is my parcel", "", "AmazonHelp"),
    ("@115712 @AppleSupport my phone", "", "AppleSupport"),   # numeric handles are anonymised customers
    ("@115712 thanks for nothing", "Delta", "Delta"),          # no brand mentioned: the brand that replied
    ("email me at a@b.com", "", ""),                           # an address is not a handle
    ("thanks", "", ""),
])
def test_addressed_brand(text, replied_by, brand):
    assert prepare_tweets(ingested(text=[text], replied_by=[replied_by]), "x")["brand"].iloc[0] == brand


def test_text_sanity_whitespace_and_control_characters():
    frame = prepare_tweets(ingested(tweet_id=["1", "2"], author_id=["a", "b"], created_at=["", ""],
                                    text=["  line one\r\nline\ttwo\x00 ", " \r\n "], replied_by=["", ""],
                                    inbound=["1", "1"]), "x")
    assert frame["text"].tolist() == ["line one line two"]


def test_non_integer_tweet_id_names_row_and_column():
    with pytest.raises(UserError, match=r"data\.parquet: row 2, column 'tweet_id' is '1\.5E\+18x'"):
        prepare_tweets(ingested(tweet_id=["1", "1.5E+18x"], author_id=["a", "b"], created_at=["", ""],
                                text=["a", "b"], replied_by=["", ""], inbound=["1", "1"]), "data.parquet")
