"""foreign: the messages of foreign.path (a CSV with a text column; CLINC150's requests by default, another
domain and style than customer tweets) embedded as a routed message is, so that evaluate can measure how many of
them the handoff flags."""

import numpy as np

from tweet_topics.chain.embedding import EmbeddingSteps
from tweet_topics.errors import UserError
from tweet_topics.io.atomic import atomic_file
from tweet_topics.io.csv_input import read_csv_rows
from tweet_topics.params import load_sections
from tweet_topics.paths import FOREIGN_EMBEDDINGS
from tweet_topics.stage import run_stage


def main() -> None:
    params = load_sections("preprocess", "featurize", "foreign")
    path = params["foreign"].path
    frame = read_csv_rows(path, "set foreign.path to a CSV with a text column").frame
    if "text" not in frame.columns:
        raise UserError(f"{path}: no column 'text'; foreign.path needs a CSV with a text column")
    texts = [text for text in frame["text"].tolist() if text.strip()]
    embeddings = EmbeddingSteps.from_params(params["preprocess"], params["featurize"]).embed(texts)
    FOREIGN_EMBEDDINGS.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(FOREIGN_EMBEDDINGS) as tmp, open(tmp, "wb") as handle:
        np.save(handle, embeddings)


if __name__ == "__main__":
    run_stage("foreign", main)
