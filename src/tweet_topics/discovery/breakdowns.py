"""Topic shares per brand and per period (BERTopic's topics per class and over time), and the topics that grew or
shrank the most in the last period: what a support lead reads for their own brand and for this week."""

import numpy as np
import pandas as pd

MIN_BRAND_TWEETS = 50  # a brand with fewer tweets gets no row: its shares would be noise
MIN_PERIOD_TWEETS = 30  # nor does a period (the sample's first and last weeks hold a handful of tweets)


def topics_per_brand(brands: np.ndarray, names: np.ndarray, min_tweets: int = MIN_BRAND_TWEETS) -> pd.DataFrame:
    """Long table (brand, topic, tweets, share) for every brand with at least `min_tweets` tweets, the brands by
    size, each brand's shares summing to 1; `names` are the tweets' topic names."""
    frame = pd.DataFrame({"brand": brands, "topic": names})
    frame = frame.loc[frame["brand"] != ""]
    sizes = frame["brand"].value_counts()
    kept = sizes[sizes >= min_tweets].index
    counts = frame.loc[frame["brand"].isin(kept)].groupby(["brand", "topic"]).size().rename("tweets").reset_index()
    counts["share"] = (counts["tweets"] / counts["brand"].map(sizes)).round(6)
    order = {brand: rank for rank, brand in enumerate(sorted(kept, key=lambda b: (-sizes[b], b)))}
    return counts.sort_values(["brand", "topic"], key=lambda c: c.map(order) if c.name == "brand" else c,
                              kind="stable").reset_index(drop=True)


def topics_over_time(created_at: pd.Series, names: np.ndarray, freq: str = "W",
                     min_tweets: int = MIN_PERIOD_TWEETS) -> pd.DataFrame:
    """Long table (period, topic, tweets, share): each period's topic shares (weeks by default, named by the day
    they start), for the periods with at least `min_tweets` dated tweets; every topic in every period."""
    return period_shares(period_counts(created_at, names, freq), min_tweets)


def period_counts(created_at: pd.Series, names: np.ndarray, freq: str = "W") -> pd.DataFrame:
    """Tweets per period (rows) and topic (columns), undated tweets left out: counts of several batches add up
    (`a.add(b, fill_value=0)`) to those of all of them, so `predict` builds the view as it streams."""
    frame = pd.DataFrame({"created_at": pd.to_datetime(created_at, utc=True), "topic": names}).dropna()
    if frame.empty:
        return pd.DataFrame(index=pd.Index([], name="period"), columns=pd.Index([], name="topic"), dtype=np.int64)
    frame["period"] = frame["created_at"].dt.tz_localize(None).dt.to_period(freq).dt.start_time.dt.date.astype(str)
    return frame.groupby(["period", "topic"]).size().unstack(fill_value=0)


def period_shares(counts: pd.DataFrame, min_tweets: int = MIN_PERIOD_TWEETS) -> pd.DataFrame:
    """`period_counts` as the long table of `topics_over_time`."""
    counts = counts.astype(np.int64).sort_index().sort_index(axis=1)
    counts = counts.loc[counts.sum(axis=1) >= min_tweets]
    if counts.empty:
        return pd.DataFrame(columns=["period", "topic", "tweets", "share"])
    shares = counts.div(counts.sum(axis=1), axis=0)
    table = counts.stack().rename("tweets").to_frame().join(shares.stack().rename("share").round(6))
    return table.reset_index()[["period", "topic", "tweets", "share"]]


def trending(over_time: pd.DataFrame, n: int = 3) -> list[dict]:
    """The topics whose share in the last period moved most against their mean share in the periods before, largest
    change first (growth and decline alike); empty with fewer than two periods."""
    shares = over_time.pivot(index="period", columns="topic", values="share").sort_index()
    if len(shares) < 2:
        return []
    last, before = shares.iloc[-1], shares.iloc[:-1].mean()
    change = (last - before).sort_values(key=np.abs, ascending=False, kind="stable")
    return [{"topic": topic, "period": str(shares.index[-1]), "share": round(float(last[topic]), 6),
             "share_before": round(float(before[topic]), 6), "change": round(float(change[topic]), 6)}
            for topic in change.index[:n]]
