"""The whole chain, raw messages -> topics: the embedding steps, then the topic steps, built from params.yaml's
chain sections (params.CHAIN_SECTIONS). The labelled evaluation, the test fixtures and the benchmarks run it; the
stages run its steps one at a time, so that DVC caches each step's output."""

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from tweet_topics.chain.embedding import EmbeddingSteps
from tweet_topics.chain.topics import TopicSteps
from tweet_topics.encoding.spec import EncoderSpec
from tweet_topics.params import ChainParams


@dataclass(frozen=True)
class TopicChain:
    embedding: EmbeddingSteps
    topic_steps: TopicSteps

    @classmethod
    def from_params(cls, params: ChainParams, spec: EncoderSpec | None = None) -> "TopicChain":
        """`spec`, when given, replaces featurize's encoder settings."""
        return cls(EmbeddingSteps.from_params(params.preprocess, params.featurize, spec),
                   TopicSteps(params.reduction, params.kmeans))

    def embed(self, messages: Iterable[object]) -> np.ndarray:
        return self.embedding.embed(messages)

    def topics(self, embeddings: np.ndarray, n_clusters: int | None = None) -> np.ndarray:
        return self.topic_steps.topics(embeddings, n_clusters)

    def message_topics(self, messages: Iterable[object], n_clusters: int | None = None) -> np.ndarray:
        """Each message's topic, every step fitted on these messages."""
        return self.topics(self.embed(messages), n_clusters)

    def reseeded(self, refit: int) -> "TopicChain":
        return replace(self, topic_steps=self.topic_steps.reseeded(refit))
