"""The pipeline's chain, composed once: raw messages -> the text views (text/views.py) -> embeddings (the encoder
featurize.backend names: encoding/backends.py) -> reduced (the reducer reduce.method names: reduction/methods.py)
-> KMeans topics (discovery/cluster.py).

The stages run one step each, through the same step objects, so that DVC caches each step's output; `predict`, the
service, the foreign stage, the labelled evaluation, the stability metric, the test fixtures and the benchmarks run
the chain through `TopicChain`. So a text becomes the same vector and the same topic whichever way it comes in
(tests/test_pipeline_e2e.py checks that they agree)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from tweet_topics.discovery.cluster import fit_kmeans
from tweet_topics.encoding.backends import TextEncoder, load_text_encoder
from tweet_topics.encoding.spec import EncoderSpec
from tweet_topics.params import ChainParams, KMeansParams, PreprocessParams, ReductionParams, validate_section
from tweet_topics.reduction.base import Reducer
from tweet_topics.reduction.reduce import fit_reducer
from tweet_topics.text.views import TextViews

SEED_SHIFT = 1000  # reseeded(r) adds r * SEED_SHIFT to every seed, so no two refits share one
# what models trained before a key existed ran by, for a manifest that lacks the key
RECORDED_DEFAULTS = {"preprocess": {"handles": "keep"}, "featurize": {"backend": "torch", "dtype": "float32",
                                                                      "engine": "local"}}


@dataclass(frozen=True)
class TopicChain:
    """Each step's settings; a step is built when first used, so a chain for embeddings -> topics (the sweep, the
    stability metric) never loads the cleaner or the encoder. A stage uses the one step it runs."""

    preprocess: PreprocessParams | None = None
    text_view: str = "embedding"  # featurize.text_view: which view the encoder reads
    encoder_spec: EncoderSpec | None = None
    reduction: ReductionParams | None = None  # None in a chain that only embeds (predict: models/ holds the rest)
    kmeans: KMeansParams | None = None

    @classmethod
    def from_params(cls, params: ChainParams, spec: EncoderSpec | None = None) -> "TopicChain":
        """`spec`, when given, replaces featurize's encoder settings."""
        return cls(params.preprocess, params.featurize.text_view, spec or EncoderSpec.from_params(params.featurize),
                   params.reduction, params.kmeans)

    @classmethod
    def from_manifest(cls, recorded: dict, spec: EncoderSpec) -> "TopicChain":
        """The chain up to the embeddings that trained the models whose manifest recorded `recorded` (its params)."""
        preprocess, featurize = (validate_section(name, {**RECORDED_DEFAULTS[name], **recorded[name]})
                                 for name in ("preprocess", "featurize"))
        return cls(preprocess, featurize.text_view, spec)

    @cached_property
    def text(self) -> TextViews:
        return TextViews.from_params(self.preprocess, self.text_view)

    @cached_property
    def encoder(self) -> TextEncoder:
        """Loaded on first use: a chain that only reduces and clusters embeddings never loads the weights."""
        return load_text_encoder(self.encoder_spec)

    def encoder_texts(self, messages: Iterable[object]) -> list[str]:
        return self.text.for_encoder(messages)

    def embed(self, messages: Iterable[object]) -> np.ndarray:
        return self.encoder.embed(self.encoder_texts(messages))

    def fit_reducer(self, embeddings: np.ndarray, place: Callable | None = None) -> tuple[Reducer, np.ndarray]:
        return fit_reducer(embeddings, self.reduction, place)

    def fit_topics(self, reduced: np.ndarray, n_clusters: int | None = None):
        """KMeans fitted on `reduced`, with kmeans.n_clusters unless `n_clusters` says otherwise."""
        kmeans = self.kmeans if n_clusters is None else replace(self.kmeans, n_clusters=n_clusters)
        return fit_kmeans(reduced, kmeans)

    def topics(self, embeddings: np.ndarray, n_clusters: int | None = None) -> np.ndarray:
        """Each embedding's topic, with the reducer and KMeans fitted on these embeddings."""
        _, reduced = self.fit_reducer(embeddings)
        return self.fit_topics(reduced, n_clusters).predict(reduced)

    def reseeded(self, refit: int) -> "TopicChain":
        """The chain with every seed of the reduction and of KMeans shifted for `refit` (stability's refits)."""
        shift = refit * SEED_SHIFT
        reduction = self.reduction
        reduction = replace(reduction, **{name: replace(getattr(reduction, name), seed=getattr(reduction, name).seed
                                                        + shift) for name in ("pca", "umap", "smoothing")})
        return replace(self, reduction=reduction, kmeans=replace(self.kmeans, seed=self.kmeans.seed + shift))
