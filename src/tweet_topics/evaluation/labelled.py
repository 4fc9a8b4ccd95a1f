"""Labelled evaluation: run the pipeline's text → embedding → reduction → KMeans (chain/topic_chain.py) on
human-labelled messages and measure how well the clusters agree with the labels; also how the trained topics cover
those labels."""

from pathlib import Path

import numpy as np
import pandas as pd

from tweet_topics.chain.topic_chain import TopicChain
from tweet_topics.errors import UserError
from tweet_topics.evaluation.agreement import agreement_scores, purity
from tweet_topics.io.csv_input import read_csv_rows


def read_labelled_csv(path: Path) -> pd.DataFrame:
    """The `text,label` rows of a CSV, without empty texts or labels."""
    frame = read_csv_rows(path, "set labelled.path or pass a CSV of text,label").frame
    missing = [column for column in ("text", "label") if column not in frame.columns]
    if missing:
        raise UserError(f"{path}: missing column '{missing[0]}'; a labelled file needs the columns text,label")
    frame = frame.loc[(frame["text"].str.strip() != "") & (frame["label"].str.strip() != ""), ["text", "label"]]
    if frame["label"].nunique() < 2:
        raise UserError(f"{path}: needs at least two different labels, found {frame['label'].nunique()}")
    return frame.reset_index(drop=True)


def labelled_evaluation(frame: pd.DataFrame, chain: TopicChain, k: int | None = None, trained=None,
                        seeds: int = 1) -> dict:
    """Cluster the labelled texts with the pipeline's chain (k = number of labels unless given) and score them:
    the mean over `seeds` runs, each with every seed of the chain shifted (TopicChain.reseeded), and each run.

    `trained` is an optional serving.router.TrainedTopics of the models from `dvc repro`.
    """
    texts, truth = frame["text"].tolist(), frame["label"].to_numpy()
    k = k or int(frame["label"].nunique())
    embeddings = chain.embed(texts)
    runs = [agreement_scores(truth, chain.reseeded(seed).topics(embeddings, k)) for seed in range(seeds)]
    kmeans, embedding = chain.topic_steps.kmeans, chain.embedding
    result = {
        "n_texts": len(texts), "n_labels": int(frame["label"].nunique()), "k": k,
        "config": {"text_view": embedding.text_view, "model": embedding.encoder_spec.model,
                   "reduce_method": chain.topic_steps.reduction.reduce.method, "kmeans_seed": kmeans.seed,
                   "kmeans_n_init": kmeans.n_init, "seeds": seeds},
        **{name: round(float(np.mean([run[name] for run in runs])), 6) for name in runs[0]},
        "std": {name: round(float(np.std([run[name] for run in runs])), 6) for name in runs[0]},
        "runs": runs,
    }
    if trained is not None:
        result["trained_topics"] = trained_topic_coverage(trained.probabilities(embeddings), truth)
    return result


def trained_topic_coverage(probabilities: np.ndarray, truth: np.ndarray) -> dict:
    """How the topics routed by the trained pipeline (their probabilities per text) line up with the human labels."""
    from sklearn.metrics import normalized_mutual_info_score

    topics = probabilities.argmax(axis=1)
    return {"nmi": round(float(normalized_mutual_info_score(truth, topics)), 6),
            "purity": round(purity(truth, topics), 6), "n_topics": int(probabilities.shape[1])}
