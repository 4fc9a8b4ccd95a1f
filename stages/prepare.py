"""prepare: typed records with UTC timestamps, the addressed brand and sane text."""

from pathlib import Path

from tweet_topics.atomic import atomic_dir
from tweet_topics.datasets import read_frames, write_frames
from tweet_topics.prepare import prepare_tweets
from tweet_topics.stage import run_stage

IN_DIR = Path("data/01_ingested")
OUT_DIR = Path("data/02_prepared")


def main() -> None:
    frames = {split: prepare_tweets(frame, source=str(IN_DIR / f"{split}.parquet"))
              for split, frame in read_frames(IN_DIR).items()}
    with atomic_dir(OUT_DIR) as tmp:
        write_frames(tmp, frames)


if __name__ == "__main__":
    run_stage("prepare", main)
