"""The monitor: a batch of new messages routed by the trained router and compared with the tweets the models were
trained on. What it says of a batch: the emerging-issue candidates (emerging.py), each described as the topics are
(c-TF-IDF keywords and a label, typical messages, the nearest topic), the topics' and the handoff's shifts
(shifts.py), and the batch's drift score."""

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tweet_topics.discovery.descriptions import ctfidf_keywords, short_label
from tweet_topics.errors import UserError
from tweet_topics.io.artifacts import read_json
from tweet_topics.monitoring.emerging import EmergingIssueDetector
from tweet_topics.monitoring.reference import MonitorSpace
from tweet_topics.monitoring.shifts import needs_human_shift, topic_shifts
from tweet_topics.params import MonitorParams
from tweet_topics.paths import TOPICS
from tweet_topics.reduction.neighbours import normalise_rows
from tweet_topics.reduction.sampling import fit_rows
from tweet_topics.serving.router import Router, TrainedTopics

N_EXAMPLES = 5
N_KEYWORDS = 10
# params.yaml's monitor section as committed (tests/test_monitor.py keeps them equal): for a folder without
# params.yaml (`tweet-topics monitor` beside models/ alone) and the service's GET /monitor
DEFAULT_PARAMS = MonitorParams(input="-", text_column="text", period=None, k=30, message_alpha=0.01, alpha=0.05,
                               min_size=10, permutations=199, max_reference_tweets=10_000,
                               max_batch_messages=100_000, seed=0)


@dataclass(frozen=True)
class Monitor:
    router: Router
    space: MonitorSpace
    detector: EmergingIssueDetector
    params: MonitorParams
    training_shares: np.ndarray  # each topic's share of the training tweets, in the classifier's order
    centroids: np.ndarray  # each topic's unit mean embedding, in the classifier's order

    @classmethod
    def load(cls, models_dir: Path, params: MonitorParams, device: str | None = None, model: str | None = None,
             router: Router | None = None) -> "Monitor":
        """The models in `models_dir` (checked by their manifest), their reference placed in the monitored space;
        `router`, when given, is those models' loaded router."""
        topics = router.topics if router is not None else TrainedTopics.load(models_dir)
        if topics.handoff is None:
            raise UserError(f"{models_dir}: these models have no handoff reference (trained before it existed), so"
                            " there is nothing to compare a batch with: retrain with `dvc repro`")
        described = {topic["topic"]: topic for topic in read_json(models_dir / TOPICS)["topics"]}
        if set(described) != set(topics.topic_ids):
            raise UserError(f"{models_dir / TOPICS} describes other topics than {models_dir}'s classifier routes to"
                            " (another run's file): restore the models with `dvc pull` or retrain with `dvc repro`")
        ordered = [described[topic_id] for topic_id in topics.topic_ids]
        missing = next((key for key in ("share", "centroid") for topic in ordered if key not in topic), None)
        if missing:
            raise UserError(f"{models_dir / TOPICS}: its topics have no {missing!r}, which the monitor compares with"
                            " (written before the monitor existed): retrain with `dvc repro`")
        router = router or Router.load(models_dir, device, model, topics)
        space = MonitorSpace.of(topics.reducer, topics.handoff.reference, topics.handoff.k,
                                params.max_reference_tweets, params.seed)
        detector = EmergingIssueDetector(k=params.k, message_alpha=params.message_alpha, alpha=params.alpha,
                                         min_size=params.min_size, permutations=params.permutations,
                                         seed=params.seed)
        return cls(router, space, detector, params, np.array([topic["share"] for topic in ordered]),
                   normalise_rows(np.array([topic["centroid"] for topic in ordered])))

    @property
    def topics(self) -> TrainedTopics:
        return self.router.topics

    def compare(self, ids: list[str], texts: list[str]) -> dict:
        """What the monitor says of one batch of raw messages (at least 2; a batch over max_batch_messages is
        compared through a fixed sample of it)."""
        if len(texts) < 2:
            raise ValueError("a batch of at least 2 messages is needed")
        rows = fit_rows(len(texts), self.params.max_batch_messages, self.params.seed)
        ids, texts = [ids[row] for row in rows], [texts[row] for row in rows]
        return self.compare_embedded(ids, texts, self.router.messages.embed(texts))

    def compare_embedded(self, ids: list[str], texts: list[str], embeddings: np.ndarray,
                         top_topics: np.ndarray | None = None, needs_human: np.ndarray | None = None,
                         placed: np.ndarray | None = None) -> dict:
        """`compare` of messages already embedded (and routed, when `top_topics` and `needs_human` are given;
        placed in the monitored space, when `placed` is)."""
        if top_topics is None:
            routing = self.topics.assess(embeddings)
            top_topics, needs_human = routing.probabilities.argmax(axis=1), routing.needs_human
        placed = self.space.place(embeddings) if placed is None else placed
        comparison = self.detector.compare(self.space.reference, placed)
        issues = self.describe(comparison.issues, ids, texts, embeddings, top_topics)
        counts = np.bincount(top_topics, minlength=len(self.topics.labels))
        expected_rate = self.topics.manifest["params"]["handoff"]["flag_rate"]
        return {
            "n_messages": len(texts), "reference_tweets": len(self.space.reference), "space": self.space.name,
            "drift": {"score": comparison.drift_score, "p_value": round(comparison.drift_p_value, 6),
                      "significant": comparison.drift_p_value <= self.params.alpha},
            "unusual_messages": int(comparison.unusual.sum()),
            "emerging_issues": issues,
            "topic_shifts": topic_shifts(counts, self.training_shares, self.topics.topic_ids, self.topics.labels,
                                         self.params.alpha),
            "needs_human": needs_human_shift(int(np.sum(needs_human)), len(texts), expected_rate, self.params.alpha),
        }

    def describe(self, issues, ids: list[str], texts: list[str], embeddings: np.ndarray,
                 top_topics: np.ndarray) -> list[dict]:
        """Each candidate as the topics are described: keywords (c-TF-IDF against the rest of the batch) and a label,
        typical messages, the nearest topic and the topics the router sent its messages to."""
        if not issues:
            return []
        labels = np.full(len(texts), len(issues))
        for number, issue in enumerate(issues):
            labels[issue.members] = number
        keywords = ctfidf_keywords(self.router.messages.keyword_texts(texts), labels, len(issues) + 1, N_KEYWORDS)
        described = []
        for number, issue in enumerate(issues):
            mean = normalise_rows(embeddings[issue.members].mean(axis=0, keepdims=True))[0]
            similarity = self.centroids @ mean
            nearest = int(np.argmax(similarity))
            routed = Counter(top_topics[issue.members].tolist()).most_common(3)
            terms = [term for term, _ in keywords[number]]
            described.append({
                "issue": number + 1, "messages": len(issue.members), "share": round(issue.share, 6),
                "p_value": round(issue.p_value, 6), "label": short_label(terms), "keywords": terms,
                "examples": [{"id": ids[row], "text": texts[row]} for row in issue.members[:N_EXAMPLES]],
                "nearest_topic": {"topic_id": self.topics.topic_ids[nearest],
                                  "topic_label": self.topics.labels[nearest],
                                  "distance": round(float(1.0 - similarity[nearest]), 6)},
                "routed_to": [{"topic_id": self.topics.topic_ids[topic], "topic_label": self.topics.labels[topic],
                               "share": round(count / len(issue.members), 6)} for topic, count in routed],
                "message_ids": [ids[row] for row in issue.members],
            })
        return described
