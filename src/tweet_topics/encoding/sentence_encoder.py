"""The sentence-transformers encoder (featurize.backend torch or onnx-int8) as a backends.TextEncoder: its weights
loaded once, run by embed.py so that a vector depends on its text alone."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from tweet_topics.encoding.embed import embed_texts, embedding_recipe, passes_for
from tweet_topics.encoding.identity import describe_encoder
from tweet_topics.encoding.onnx_encoder import OnnxInt8Encoder
from tweet_topics.encoding.spec import EncoderSpec
from tweet_topics.encoding.weights import load_encoder


@dataclass(frozen=True)
class SentenceEncoder:
    """A loaded encoder and the resolved spec it runs by: what featurize, predict and the labelled evaluation use."""

    spec: EncoderSpec  # resolved: no `auto` left
    model: object  # a SentenceTransformer, or the int8 ONNX encoder

    @classmethod
    def load(cls, spec: EncoderSpec) -> "SentenceEncoder":
        spec = spec.resolved()
        model = load_encoder(spec.model, spec.device, spec.backend, spec.dtype)
        if not isinstance(model, OnnxInt8Encoder):
            passes_for(model, spec.batch_size)  # its check runs now, not in the first message's time
        return cls(spec, model)

    def embed(self, texts: Sequence[str], out: np.ndarray | None = None,
              progress: Callable[[int], object] | None = None) -> np.ndarray:
        return embed_texts(self.model, texts, self.spec.batch_size, out, progress)

    @cached_property
    def identity(self) -> dict:
        """The weights' name, fingerprint and dimension, hashed once per load."""
        return describe_encoder(self.spec.model, self.model)

    @property
    def fingerprint(self) -> str:
        return self.identity["fingerprint"]

    def description(self) -> dict:
        """encoder.json: the weights (name, fingerprint, dimension) and how they ran (`encoded_with`)."""
        return {**self.identity, "encoded_with": self.spec.record()}

    def recipe(self) -> dict:
        return embedding_recipe(self.identity, self.model, self.spec.batch_size)
