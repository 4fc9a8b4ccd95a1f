"""The pipeline's chain, composed once: raw messages -> sane text and the two text views (text/views.py) -> the
encoder's view -> embeddings (embed.Encoder) -> reduced (reduce.reduce_embeddings) -> topic probabilities (the
classifier, router.TrainedTopics).

The stages run it a step at a time, so that DVC caches each step's output; `predict`, the score stage and the
labelled evaluation run it through `MessagePipeline`. Every path calls the same functions, so a text becomes the same
vector and the same topic whichever way it comes in (tests/test_pipeline_e2e.py checks that they agree). Each step
lives in its own module so that a stage depends only on the code of its step (dvc.yaml)."""

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from tweet_topics.encoding.embed import Encoder
from tweet_topics.encoding.encoder import EncoderSpec
from tweet_topics.text.cleaner import TweetCleaner
from tweet_topics.text.views import encoder_view


@dataclass(frozen=True)
class MessagePipeline:
    """Raw messages to embeddings, with the cleaner and the encoder that made the training embeddings."""

    cleaner: TweetCleaner
    text_view: str  # featurize.text_view: which view the encoder reads
    encoder: Encoder

    @classmethod
    def from_params(cls, params: dict, spec: EncoderSpec | None = None) -> "MessagePipeline":
        """`params` holds the preprocess and featurize sections (params.yaml's, or a manifest's); `spec`, when given,
        replaces featurize's encoder settings."""
        preprocess, featurize = params["preprocess"], params["featurize"]
        keywords = featurize["text_view"] == "keyword"  # WordNet only when the keyword view is embedded
        # models trained before preprocess.handles existed kept every handle as words
        cleaner = TweetCleaner(preprocess["language"], keywords=keywords, handles=preprocess.get("handles", "keep"))
        return cls(cleaner, featurize["text_view"], Encoder.load(spec or EncoderSpec.from_params(featurize)))

    def encoder_view(self, messages: Iterable[object]) -> list[str]:
        return encoder_view(self.cleaner, self.text_view, messages)

    def embed(self, messages: Iterable[object]) -> np.ndarray:
        return self.encoder.embed(self.encoder_view(messages))
