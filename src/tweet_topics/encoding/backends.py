"""What an encoder is (featurize.backend), and the encoders by name. A new one is a module with a class that follows
TextEncoder and one line here (or `ENCODERS.register`, or an entry point in the group below, from another package)."""

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from tweet_topics.encoding.spec import EncoderSpec
from tweet_topics.registry import Registry


@runtime_checkable
class TextEncoder(Protocol):
    spec: EncoderSpec  # resolved: what it runs by, recorded by featurize and reproduced by predict

    @classmethod
    def load(cls, spec: EncoderSpec) -> "TextEncoder": ...

    def embed(self, texts: Sequence[str], out: np.ndarray | None = None,
              progress: Callable[[int], object] | None = None) -> np.ndarray:
        """(len(texts), dimension) float32, into `out` if given; a vector depends on its text alone."""

    @property
    def fingerprint(self) -> str:
        """Of the weights: predict refuses weights other than the ones the models were trained with."""

    def description(self) -> dict:
        """encoder.json: name, fingerprint, dimension, and `encoded_with` (the resolved spec)."""

    def recipe(self) -> dict:
        """Everything a vector's bits depend on: the embedding cache's key."""


def _builtins() -> dict[str, type[TextEncoder]]:
    from tweet_topics.encoding.sentence_encoder import SentenceEncoder

    return {"torch": SentenceEncoder, "onnx-int8": SentenceEncoder}


ENCODERS: Registry[type[TextEncoder]] = Registry("featurize.backend", "tweet_topics.encoders", _builtins)


def load_text_encoder(spec: EncoderSpec) -> TextEncoder:
    """The encoder featurize.backend names, loaded by `spec`."""
    return ENCODERS.get(spec.backend).load(spec)
