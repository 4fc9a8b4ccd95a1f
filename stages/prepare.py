"""prepare: typed records with UTC timestamps, the addressed brand and sane text."""

from tweet_topics.io.atomic import atomic_dir
from tweet_topics.io.datasets import read_frames, write_frames
from tweet_topics.paths import INGESTED, PREPARED
from tweet_topics.stage import run_stage
from tweet_topics.tweets.prepare import prepare_tweets


def main() -> None:
    frames = {split: prepare_tweets(frame, source=str(INGESTED / f"{split}.parquet"))
              for split, frame in read_frames(INGESTED).items()}
    with atomic_dir(PREPARED) as tmp:
        write_frames(tmp, frames)


if __name__ == "__main__":
    run_stage("prepare", main)
