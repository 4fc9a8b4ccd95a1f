"""The trained router: raw messages -> topic probabilities by the pipeline's own chain (chain/embedding.py), and
whether a person should look (handoff.py), with the artifacts in models/ that the manifest ties together and the
encoder the manifest records."""

from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from tweet_topics.chain.embedding import RECORDED_DEFAULTS, EmbeddingSteps
from tweet_topics.encoding.spec import EncoderSpec
from tweet_topics.errors import UserError
from tweet_topics.params import validate_section
from tweet_topics.paths import CLASSIFIER, HANDOFF, REDUCER
from tweet_topics.reduction.base import Reducer, SharedNeighbourSearch
from tweet_topics.reduction.reduce import load_reducer, reduce_embeddings
from tweet_topics.threads import one_blas_thread
from tweet_topics.training.classify import LinearClassifier, load_classifier
from tweet_topics.training.handoff import OutOfTopic, load_out_of_topic
from tweet_topics.training.manifest import read_manifest


@dataclass(frozen=True)
class TrainedTopics:
    """What training fitted, checked by the manifest: the reducer, the classifier and the topics it routes to."""

    manifest: dict
    reducer: Reducer
    classifier: LinearClassifier
    labels: list[str]  # "id: name" of each topic, in the classifier's order
    topic_ids: list[int]  # each topic's stable id (topic_identity.py), in the same order
    handoff: OutOfTopic | None = None  # None for models trained before the handoff existed

    @classmethod
    def load(cls, models_dir: Path) -> "TrainedTopics":
        manifest = read_manifest(models_dir)
        reducer, _ = load_reducer(models_dir / REDUCER)
        # models trained before topics had stable ids numbered them by the classifier's order
        topic_ids = manifest.get("topic_ids", list(range(len(manifest["labels"]))))
        handoff = load_out_of_topic(models_dir / HANDOFF) if HANDOFF in manifest["artifacts"] else None
        return cls(manifest, reducer, load_classifier(models_dir / CLASSIFIER), manifest["labels"], topic_ids,
                   handoff)

    def probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        """Topic probabilities (n, k) of embeddings: reduced as the reduce stage does, then classified."""
        return self.classifier.probabilities(reduce_embeddings(self.reducer, embeddings))

    def assess(self, embeddings: np.ndarray) -> "Routing":
        """The topic probabilities of embeddings, their out-of-topic scores and who needs a human (with the
        embeddings themselves, for the service's monitor)."""
        if self.handoff is None:
            return Routing(self.probabilities(embeddings), None, None, embeddings)
        if not self.search_shared:
            scores = self.handoff.scores(embeddings)
            return Routing(self.probabilities(embeddings), scores, self.handoff.needs_human(scores), embeddings)
        with one_blas_thread():  # as reduce_embeddings
            found = self.reducer.neighbours(embeddings)
            reduced = self.reducer.place(embeddings, found=found)
        scores = self.handoff.scores(embeddings, nearest=found[1])
        return Routing(self.classifier.probabilities(reduced), scores, self.handoff.needs_human(scores), embeddings)

    @cached_property
    def search_shared(self) -> bool:
        """Whether the handoff's reference is the smoothing's (as with the default params), so that one search
        serves both: the same distances, about half of a message's time after the encoder (bench/bench_predict.py)."""
        reducer, handoff = self.reducer, self.handoff
        return (isinstance(reducer, SharedNeighbourSearch) and handoff is not None
                and reducer.shares_search(handoff.reference, handoff.k))


@dataclass(frozen=True)
class Routing:
    """What the router says about each of n messages."""

    probabilities: np.ndarray  # (n, k) calibrated topic probabilities
    out_of_topic: np.ndarray | None  # (n,) the handoff's score: higher is further from every topic's tweets
    needs_human: np.ndarray | None  # (n,) bool: the score is past the handoff's threshold
    embeddings: np.ndarray | None = None  # (n, d) what they were computed from: the service's monitor reuses them


@dataclass(frozen=True)
class Router:
    topics: TrainedTopics
    messages: EmbeddingSteps  # raw messages -> embeddings, as the models' training embeddings were made
    note: str | None = None  # how this router's encoder differs from the one the models were trained with

    @classmethod
    def load(cls, models_dir: Path, device: str | None = None, model: str | None = None,
             topics: TrainedTopics | None = None) -> "Router":
        """The models in `models_dir` (or `topics`, already loaded from there) with the cleaner and the encoder they
        were trained with: the recorded device and dtype unless `device` says otherwise (or this machine lacks the
        GPU), and `model` in place of the recorded weights' name if its weights are the same."""
        topics = topics or TrainedTopics.load(models_dir)
        spec, note = routing_spec(topics.manifest, device, model)
        messages = EmbeddingSteps.from_manifest(topics.manifest["params"], spec)
        recorded = topics.manifest["embedding_model"]
        fingerprint = messages.encoder.fingerprint
        if fingerprint != recorded["fingerprint"]:
            raise UserError(
                f"embedding model '{spec.model}' (weights {fingerprint[:12]}) is not the one the models were"
                f" trained with ('{recorded['name']}', weights {recorded['fingerprint'][:12]}): pass that model's"
                " folder with --model, or retrain with `dvc repro`")
        return cls(topics, messages, note)

    def route(self, messages: list) -> np.ndarray:
        """Topic probabilities of raw messages, through the pipeline's own steps."""
        return self.topics.probabilities(self.messages.embed(messages))

    def assess(self, messages: list) -> Routing:
        """Topic probabilities of raw messages and whether each needs a human."""
        return self.topics.assess(self.messages.embed(messages))

    def assess_each(self, groups: list[list]) -> list[Routing]:
        """`assess` of each group of raw messages, with one run of the encoder for all of them: a vector depends on
        its text alone, and each group is reduced and scored on its own, so a group gets exactly what it gets
        alone (the reduction's matrix products round with the rows beside them)."""
        embeddings = self.messages.embed([message for group in groups for message in group])
        ends = np.cumsum([len(group) for group in groups])
        return [self.topics.assess(embeddings[end - len(group):end]) for group, end in zip(groups, ends, strict=True)]


def routing_spec(manifest: dict, device: str | None, model: str | None) -> tuple[EncoderSpec, str | None]:
    """The encoder spec that reproduces the training embeddings here, and a note of what differs, if anything."""
    recorded = manifest.get("encoder")
    if recorded is None:  # models trained before the manifest recorded the resolved encoder
        featurize = {**RECORDED_DEFAULTS["featurize"], **manifest["params"]["featurize"], "device": device or "auto"}
        spec = EncoderSpec.from_params(validate_section("featurize", featurize))
        return replace(spec, model=model or spec.model), None
    spec = EncoderSpec(**recorded)
    wanted = spec.device if device is None else EncoderSpec(spec.model, device, spec.backend).resolved().device
    if device is None and wanted.startswith("cuda") and not _cuda_available():
        wanted = "cpu"
    note = None
    if wanted != spec.device:
        note = (f"the models were trained on embeddings made on {spec.device} in {spec.dtype}; these are made on"
                f" {wanted} in {spec.dtype}, so a vector can differ in its last bits and a message at a topic's"
                " edge can change topic")
    return replace(spec, device=wanted, model=model or spec.model), note


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()
