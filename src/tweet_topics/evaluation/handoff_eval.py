"""How well the handoff sends the right messages to a person, at handoff.flag_rate and as the threshold moves:
ordinary evaluation tweets flagged (false flags), foreign messages flagged (foreign.path), and new kinds of problem
flagged: for each topic in turn, the scorer refitted without that topic's tweets (reference and threshold),
and the share of its evaluation tweets flagged. The reduction and the classifier are not involved: the score is
measured in the embedding space."""

import numpy as np
import pandas as pd

from tweet_topics.params import HandoffParams
from tweet_topics.reduction.sampling import fit_rows
from tweet_topics.training.handoff import OutOfTopic, flag_threshold, reference_scorer

TRADEOFF_RATES = (0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3)


def checked_rows(n_rows: int, params: HandoffParams) -> np.ndarray:
    return fit_rows(n_rows, params.max_tweets, params.seed)


def handoff_checks(scorer: OutOfTopic, embeddings: dict, labels: dict, foreign: np.ndarray, names: list[str],
                   params: HandoffParams) -> tuple[dict, pd.DataFrame]:
    """metrics.json's handoff section and the trade-off table (one row per flag rate). `embeddings` and `labels` are
    per split (discovery, validation, evaluation: pseudo-labels); `names` are the topics' in the labels' order."""
    rows = {split: checked_rows(len(embeddings[split]), params) for split in ("validation", "evaluation")}
    validation = scorer.scores(np.asarray(embeddings["validation"][rows["validation"]]))
    evaluation = scorer.scores(np.asarray(embeddings["evaluation"][rows["evaluation"]]))
    foreign_scores = scorer.scores(foreign)
    held_out = [held_out_scores(topic, embeddings, labels, rows, params) for topic in range(len(names))]
    metrics = {
        "flag_rate": params.flag_rate, "threshold": scorer.threshold,
        "false_flag_evaluation": share_above(evaluation, scorer.threshold),
        "foreign_detection": share_above(foreign_scores, scorer.threshold),
        **held_out_summary(held_out, names, params.flag_rate),
    }
    table = pd.DataFrame([{
        "flag_rate": rate,
        "false_flag_evaluation": share_above(evaluation, flag_threshold(validation, rate)),
        "foreign_detection": share_above(foreign_scores, flag_threshold(validation, rate)),
        **held_out_summary(held_out, names, rate, per_topic=False),
    } for rate in TRADEOFF_RATES])
    return metrics, table


def held_out_scores(topic: int, embeddings: dict, labels: dict, rows: dict, params: HandoffParams) -> dict:
    """The scores of `topic`'s evaluation tweets, and of the other validation tweets (from which
    `held_out_summary` sets the threshold), by a scorer that never saw `topic`."""
    scorer = reference_scorer(embeddings["discovery"], params, keep=labels["discovery"] != topic)
    validation = rows["validation"][labels["validation"][rows["validation"]] != topic]
    held = rows["evaluation"][labels["evaluation"][rows["evaluation"]] == topic]
    return {"validation": scorer.scores(np.asarray(embeddings["validation"][validation])),
            "held": scorer.scores(np.asarray(embeddings["evaluation"][held]))}


def held_out_summary(held_out: list[dict], names: list[str], rate: float, per_topic: bool = True) -> dict:
    """The share of each held-out topic's tweets flagged at `rate`: mean, worst, and (per_topic) each one's."""
    shares = {name: share_above(scores["held"], flag_threshold(scores["validation"], rate))
              for name, scores in zip(names, held_out, strict=True) if len(scores["held"])}
    summary = {"held_out_detection_mean": round(float(np.mean(list(shares.values()))), 6),
               "held_out_detection_worst": round(float(min(shares.values())), 6)}
    return {**summary, "held_out_detection": shares} if per_topic else summary


def share_above(scores: np.ndarray, threshold: float) -> float:
    return round(float(np.mean(scores > threshold)), 6) if len(scores) else 0.0
