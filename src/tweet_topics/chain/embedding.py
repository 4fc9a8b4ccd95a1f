"""The chain's first half: raw messages -> the text views (text/views.py) -> embeddings (the encoder
featurize.backend names: encoding/backends.py). featurize, the foreign stage, predict and the service embed through
it, so a text becomes the same vector whichever way it comes in."""

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from tweet_topics.encoding.backends import TextEncoder, load_text_encoder
from tweet_topics.encoding.spec import EncoderSpec
from tweet_topics.params import FeaturizeParams, PreprocessParams, validate_section
from tweet_topics.text.views import TextViews

# what models trained before a key existed ran by, for a manifest that lacks the key
RECORDED_DEFAULTS = {"preprocess": {"handles": "keep"}, "featurize": {"backend": "torch", "dtype": "float32",
                                                                      "engine": "local"}}


@dataclass(frozen=True)
class EmbeddingSteps:
    """The text step's and the encoder's settings; each step is built when first used."""

    preprocess: PreprocessParams
    text_view: str  # featurize.text_view: which view the encoder reads
    encoder_spec: EncoderSpec

    @classmethod
    def from_params(cls, preprocess: PreprocessParams, featurize: FeaturizeParams,
                    spec: EncoderSpec | None = None) -> "EmbeddingSteps":
        """`spec`, when given, replaces featurize's encoder settings."""
        return cls(preprocess, featurize.text_view, spec or EncoderSpec.from_params(featurize))

    @classmethod
    def from_manifest(cls, recorded: dict, spec: EncoderSpec) -> "EmbeddingSteps":
        """The steps that made the training embeddings of the models whose manifest recorded `recorded` (its
        params), with the encoder `spec` that reproduces them here."""
        preprocess, featurize = (validate_section(name, {**RECORDED_DEFAULTS[name], **recorded[name]})
                                 for name in ("preprocess", "featurize"))
        return cls(preprocess, featurize.text_view, spec)

    @cached_property
    def text(self) -> TextViews:
        return TextViews.from_params(self.preprocess, self.text_view)

    @cached_property
    def keyword_text(self) -> TextViews:
        """The text step with the keyword view's NLTK data loaded: what topic keywords are counted from."""
        return TextViews.from_params(self.preprocess, self.text_view, keywords=True)

    @cached_property
    def encoder(self) -> TextEncoder:
        return load_text_encoder(self.encoder_spec)

    def encoder_texts(self, messages: Iterable[object]) -> list[str]:
        return self.text.for_encoder(messages)

    def keyword_texts(self, messages: Iterable[object]) -> list[str]:
        """Each message's keyword view, as preprocess writes it for the topics' keywords."""
        return self.keyword_text.both(messages)[1]

    def embed(self, messages: Iterable[object]) -> np.ndarray:
        return self.encoder.embed(self.encoder_texts(messages))
