"""handoff: the out-of-topic scorer (its reference tweets from discovery) and the needs_human threshold that
handoff.flag_rate of the validation tweets exceed, in models/handoff.npz."""

from tweet_topics.io.datasets import read_arrays
from tweet_topics.params import load_section
from tweet_topics.paths import EMBEDDINGS, HANDOFF, MODELS
from tweet_topics.stage import run_stage
from tweet_topics.training.handoff import fit_out_of_topic, save_out_of_topic


def main() -> None:
    embeddings = read_arrays(EMBEDDINGS, lazy=True)
    scorer = fit_out_of_topic(embeddings["discovery"], embeddings["validation"], load_section("handoff"))
    save_out_of_topic(MODELS / HANDOFF, scorer)


if __name__ == "__main__":
    run_stage("handoff", main)
