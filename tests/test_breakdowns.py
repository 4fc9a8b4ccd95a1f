"""Topics per brand and over time, and the topics that moved most in the last period."""

import numpy as np
import pandas as pd

from tweet_topics.discovery.breakdowns import (
    period_counts,
    period_shares,
    topics_over_time,
    topics_per_brand,
    trending,
)


def test_topics_per_brand_leaves_out_small_and_unknown_brands_and_sums_to_one():
    brands = np.array(["A"] * 60 + ["B"] * 55 + ["C"] * 10 + [""] * 20)
    names = np.array((["x", "y"] * 100)[:len(brands)])
    table = topics_per_brand(brands, names, min_tweets=50)
    assert table["brand"].unique().tolist() == ["A", "B"]  # by size; C too small, "" unknown
    assert table.groupby("brand")["share"].sum().round(4).eq(1).all()
    assert table.loc[table["brand"] == "A", "tweets"].sum() == 60


def test_topics_over_time_by_week_and_the_counts_of_batches_add_up():
    times = pd.Series(pd.date_range("2017-10-02", periods=120, freq="6h", tz="UTC"))
    names = np.array(["a", "b", "c"] * 40)
    whole = topics_over_time(times, names, min_tweets=10)
    assert whole["period"].unique().tolist() == ["2017-10-02", "2017-10-09", "2017-10-16", "2017-10-23",
                                                 "2017-10-30"][:whole["period"].nunique()]
    assert whole.groupby("period")["share"].sum().round(4).eq(1).all()
    parts = period_counts(times[:50], names[:50]).add(period_counts(times[50:], names[50:]), fill_value=0)
    pd.testing.assert_frame_equal(period_shares(parts, min_tweets=10), whole)


def test_undated_tweets_are_left_out_and_no_dates_give_an_empty_table():
    times = pd.Series([pd.NaT, pd.NaT])
    assert topics_over_time(times, np.array(["a", "b"])).empty
    assert period_shares(period_counts(pd.Series([], dtype=object), np.array([]))).empty


def test_trending_puts_the_largest_move_of_the_last_period_first():
    table = pd.DataFrame({"period": ["w1", "w1", "w2", "w2", "w3", "w3"], "topic": ["a", "b"] * 3,
                          "tweets": [50, 50, 50, 50, 20, 80], "share": [0.5, 0.5, 0.5, 0.5, 0.2, 0.8]})
    moved = trending(table, n=2)
    assert [m["topic"] for m in moved] == ["a", "b"] or [m["topic"] for m in moved] == ["b", "a"]
    assert {m["topic"]: m["change"] for m in moved} == {"a": -0.3, "b": 0.3}
    assert trending(table[table["period"] == "w1"]) == []
