"""Labelled evaluation: run the pipeline's text → embedding → reduction → KMeans (pipeline.py's steps) on
human-labelled messages and measure how well the clusters agree with the labels; also how the trained topics cover
those labels."""

from pathlib import Path

import numpy as np
import pandas as pd

from tweet_topics.discovery.cluster import fit_kmeans
from tweet_topics.discovery.stability import refit_params
from tweet_topics.errors import UserError
from tweet_topics.evaluation.labelled import agreement_scores, purity
from tweet_topics.io.csv_input import read_csv_rows
from tweet_topics.reduction.reduce import REDUCE_SECTIONS, fit_reducer
from tweet_topics.routing.pipeline import MessagePipeline

# the params.yaml sections that decide how texts become clusters
PIPELINE_SECTIONS = ("preprocess", "featurize", *REDUCE_SECTIONS, "kmeans")


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


def labelled_embeddings(texts: list[str], params: dict) -> np.ndarray:
    """The texts embedded by the pipeline's own steps with params.yaml's preprocess and featurize settings."""
    return MessagePipeline.from_params(params).embed(texts)


def labelled_evaluation(frame: pd.DataFrame, params: dict, k: int | None = None, trained=None,
                        seeds: int = 1) -> dict:
    """Cluster the labelled texts with the pipeline's params (k = number of labels unless given) and score them:
    the mean over `seeds` runs, each with every seed of the chain shifted (stability.refit_params), and each run.

    `params` is params.yaml as a dict; `trained` is an optional router.TrainedTopics of the models from
    `dvc repro`.
    """
    texts, truth = frame["text"].tolist(), frame["label"].to_numpy()
    k = k or int(frame["label"].nunique())
    featurize = params["featurize"]
    embeddings = labelled_embeddings(texts, params)

    runs = []
    for seed in range(seeds):
        shifted = refit_params(params, seed)
        _, reduced = fit_reducer(embeddings, shifted)
        runs.append(agreement_scores(truth, fit_kmeans(reduced, k, shifted["kmeans"]).predict(reduced)))
    kmeans = params["kmeans"]
    result = {
        "n_texts": len(texts), "n_labels": int(frame["label"].nunique()), "k": k,
        "config": {"text_view": featurize["text_view"], "model": featurize["model"],
                   "reduce_method": params["reduce"]["method"], "kmeans_seed": kmeans["seed"],
                   "kmeans_n_init": kmeans["n_init"], "seeds": seeds},
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
