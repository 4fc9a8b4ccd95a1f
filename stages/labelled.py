"""labelled (optional, labelled/dvc.yaml): agreement of the pipeline's clustering with human labels."""

from pathlib import Path

from tweet_topics.chain.topic_chain import TopicChain
from tweet_topics.evaluation.labelled import labelled_evaluation, read_labelled_csv
from tweet_topics.io.atomic import write_json
from tweet_topics.params import CHAIN_SECTIONS, ChainParams, load_section, load_sections
from tweet_topics.paths import LABELLED_SCORES, MODELS
from tweet_topics.serving.router import TrainedTopics
from tweet_topics.stage import run_stage


def main() -> None:
    labelled = load_section("labelled")
    chain = TopicChain.from_params(ChainParams.from_sections(load_sections(*CHAIN_SECTIONS)))
    trained = TrainedTopics.load(MODELS)
    result = labelled_evaluation(read_labelled_csv(Path(labelled.path)), chain, labelled.k or None, trained,
                                 labelled.seeds)
    write_json(LABELLED_SCORES, result)


if __name__ == "__main__":
    run_stage("labelled", main)
