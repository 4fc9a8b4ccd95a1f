"""ingest: the inbound tweets of a twcs-format file (the committed sample, a local file or Kaggle's), split into
discovery / validation / evaluation."""

from tweet_topics.errors import UserError
from tweet_topics.io.atomic import atomic_dir, write_json
from tweet_topics.io.datasets import SPLITS, write_frames
from tweet_topics.params import load_section
from tweet_topics.paths import INGEST_COUNTS, INGESTED, QUARANTINE, SAMPLE
from tweet_topics.stage import run_stage
from tweet_topics.tweets.ingest import assign_splits, cap_tweets, raw_file, read_twcs, select_inbound


def main() -> None:
    params = load_section("ingest")
    raw_path = raw_file(params, SAMPLE)
    tweets, counts, quarantined = select_inbound(read_twcs(raw_path), raw_path)
    tweets = cap_tweets(tweets, params.max_inbound)
    split = assign_splits(tweets["tweet_id"], params.split_fractions)
    frames = {name: tweets.loc[split == name].reset_index(drop=True) for name in SPLITS}
    for name, frame in frames.items():
        if frame.empty:
            raise UserError(f"{raw_path}: the {name} split is empty ({len(tweets)} inbound tweets kept):"
                            " use a larger file or raise ingest.max_inbound")
        counts[f"{name}_tweets"] = len(frame)
    with atomic_dir(INGESTED) as tmp:
        write_frames(tmp, frames)
        quarantined.to_csv(tmp / QUARANTINE, index=False)  # every dropped inbound row and why
    write_json(INGEST_COUNTS, counts)


if __name__ == "__main__":
    run_stage("ingest", main)
