"""The handoff: an out-of-topic score per message and the `needs_human` flag, for messages that fit no topic (another
language, spam, a new kind of problem) and that a softmax would still give to some topic with confidence.

The score is how far a message is from the tweets the topics were trained on: the mean cosine distance to its
`k` nearest reference tweets (a sample of discovery) in the embedding space, the space every message passes through
before the reduction shapes it for the topics. The threshold is the score that `flag_rate` of the validation tweets
exceed, so `handoff.flag_rate` in params.yaml is the share of ordinary traffic sent to a person; the evaluation split
checks it. The choice of this score over the others measured is research/handoff_study.py's table."""

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from tweet_topics.io.artifacts import load_arrays, save_arrays
from tweet_topics.params import HandoffParams
from tweet_topics.reduction.neighbours import nearest_neighbours, normalise_rows
from tweet_topics.reduction.sampling import fit_rows
from tweet_topics.threads import one_blas_thread


@dataclass(frozen=True)
class OutOfTopic:
    reference: np.ndarray  # unit-length embeddings of the reference tweets
    k: int
    threshold: float  # a score above it needs a human

    def scores(self, embeddings: np.ndarray, nearest: np.ndarray | None = None) -> np.ndarray:
        """Each message's mean cosine distance to its k nearest reference tweets (0 = among them, 2 = opposite);
        `nearest`, each message's distances to at least its k nearest of this same reference, nearest first, if
        a search found them already (the smoothing's: `TrainedTopics.assess`).

        On one BLAS thread, as reduce_embeddings: the idle threads of a wider product keep spinning and take the
        cores the encoder needs for the next message (one message on 2 cores: 105 ms with them, 36 ms without)."""
        if len(embeddings) == 0:
            return np.empty(0)
        if nearest is None:
            # normalised before the search, which normalises again, as the smoothing's search (`neighbours`) does:
            # the same bits whichever search found them
            with one_blas_thread():
                nearest = nearest_neighbours(normalise_rows(embeddings), self.reference, self.k)[1]
        return nearest[:, :self.k].astype(np.float64).mean(axis=1)

    def needs_human(self, scores: np.ndarray) -> np.ndarray:
        return np.asarray(scores) > self.threshold


def reference_scorer(discovery: np.ndarray, params: HandoffParams, keep: np.ndarray | None = None) -> OutOfTopic:
    """The scorer on a fixed sample of discovery embeddings (`discovery` may be a memory map; `keep`, a boolean
    mask, leaves tweets out, as the held-out-topic check does), with no threshold yet; `params` is params.yaml's
    handoff section."""
    rows = np.flatnonzero(np.ones(len(discovery), dtype=bool) if keep is None else keep)
    rows = rows[fit_rows(len(rows), params.max_reference_tweets, params.seed)]
    return OutOfTopic(normalise_rows(np.asarray(discovery[rows])), min(params.k, len(rows)), 0.0)


def fit_out_of_topic(discovery: np.ndarray, validation: np.ndarray, params: HandoffParams) -> OutOfTopic:
    """`reference_scorer`, its threshold from a fixed sample of the validation embeddings."""
    scorer = reference_scorer(discovery, params)
    checked = np.asarray(validation[fit_rows(len(validation), params.max_tweets, params.seed)])
    return replace(scorer, threshold=flag_threshold(scorer.scores(checked), params.flag_rate))


def flag_threshold(validation_scores: np.ndarray, flag_rate: float) -> float:
    """The score that a `flag_rate` share of the validation tweets exceed."""
    return round(float(np.quantile(validation_scores, 1.0 - flag_rate, method="higher")), 6)


def save_out_of_topic(path: Path, scorer: OutOfTopic) -> None:
    save_arrays(path, {"reference": scorer.reference}, {"kind": "handoff", "k": scorer.k,
                                                         "threshold": scorer.threshold})


def load_out_of_topic(path: Path) -> OutOfTopic:
    arrays, meta = load_arrays(path, "handoff")
    return OutOfTopic(arrays["reference"], meta["k"], meta["threshold"])
