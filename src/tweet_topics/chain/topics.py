"""The chain's second half: embeddings -> reduced (the reducer reduce.method names: reduction/methods.py) -> KMeans
topics (discovery/cluster.py). The reduce and cluster stages run its steps one at a time; the sweep, the stability
metric and the labelled evaluation run it whole."""

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from tweet_topics.discovery.cluster import fit_kmeans
from tweet_topics.params import KMeansParams, ReductionParams
from tweet_topics.reduction.base import Reducer
from tweet_topics.reduction.reduce import fit_reducer

SEED_SHIFT = 1000  # reseeded(r) adds r * SEED_SHIFT to every seed, so no two refits share one


@dataclass(frozen=True)
class TopicSteps:
    reduction: ReductionParams
    kmeans: KMeansParams

    def fit_reducer(self, embeddings: np.ndarray, place: Callable | None = None) -> tuple[Reducer, np.ndarray]:
        """The fitted reducer and the reduced embeddings (reduce.fit_reducer)."""
        return fit_reducer(embeddings, self.reduction, place)

    def fit_topics(self, reduced: np.ndarray, n_clusters: int | None = None):
        """KMeans fitted on `reduced`, with kmeans.n_clusters unless `n_clusters` says otherwise."""
        kmeans = self.kmeans if n_clusters is None else replace(self.kmeans, n_clusters=n_clusters)
        return fit_kmeans(reduced, kmeans)

    def topics(self, embeddings: np.ndarray, n_clusters: int | None = None) -> np.ndarray:
        """Each embedding's topic, with the reducer and KMeans fitted on these embeddings."""
        _, reduced = self.fit_reducer(embeddings)
        return self.fit_topics(reduced, n_clusters).predict(reduced)

    def reseeded(self, refit: int) -> "TopicSteps":
        """Every seed of the reduction and of KMeans shifted for `refit` (the stability metric's refits)."""
        shift = refit * SEED_SHIFT
        reduction = replace(self.reduction, **{name: replace(section, seed=section.seed + shift) for name, section in
                                               (("pca", self.reduction.pca), ("umap", self.reduction.umap),
                                                ("smoothing", self.reduction.smoothing))})
        return TopicSteps(reduction, replace(self.kmeans, seed=self.kmeans.seed + shift))
