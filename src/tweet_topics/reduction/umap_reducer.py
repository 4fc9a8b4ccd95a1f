"""UMAP (reduce.method: umap): umap-learn's layout of a fixed sample of discovery, every other point placed into it
by umap_projection.project from plain arrays."""

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tweet_topics.errors import UserError
from tweet_topics.reduction.base import FittedReduction
from tweet_topics.reduction.neighbours import normalise_rows
from tweet_topics.reduction.sampling import fit_rows
from tweet_topics.reduction.umap_projection import project
from tweet_topics.threads import single_thread

TRANSFORM_EPOCHS = 100  # umap-learn's choice for batches up to 10k, used here for every batch
NEGATIVE_SAMPLE_RATE = 5  # umap-learn's defaults
LEARNING_RATE = 1.0
REPULSION_STRENGTH = 1.0


@dataclass(frozen=True)
class UmapReducer:
    reference: np.ndarray  # the fitted embeddings, unit length
    layout: np.ndarray  # their UMAP coordinates
    fitted_rows: np.ndarray  # which discovery rows were fitted
    a: float
    b: float
    n_neighbors: int
    seed: int
    projection: dict = field(default_factory=lambda: {
        "n_epochs": TRANSFORM_EPOCHS, "negative_sample_rate": NEGATIVE_SAMPLE_RATE,
        "learning_rate": LEARNING_RATE, "repulsion_strength": REPULSION_STRENGTH})

    method = "umap"

    @property
    def n_components(self) -> int:
        return self.layout.shape[1]

    def transform(self, embeddings: np.ndarray) -> np.ndarray:
        return project(np.asarray(embeddings), self.reference, self.layout, self.a, self.b, self.n_neighbors,
                       seed=self.seed, **self.projection)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"reference": self.reference, "layout": self.layout, "fitted_rows": self.fitted_rows}

    def settings(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "n_neighbors": self.n_neighbors, "seed": self.seed,
                "settings": self.projection}

    @classmethod
    def fit(cls, embeddings: np.ndarray, params) -> FittedReduction:
        """The fitted sample keeps its layout; `params.umap` is params.UmapParams."""
        reducer = fit_umap(embeddings, params.umap)
        return FittedReduction(reducer, reducer.fitted_rows, reducer.layout)

    @classmethod
    def from_saved(cls, arrays: dict[str, np.ndarray], settings: dict[str, Any]) -> "UmapReducer":
        return cls(**arrays, a=settings["a"], b=settings["b"], n_neighbors=settings["n_neighbors"],
                   seed=settings["seed"], projection=settings["settings"])


def fit_umap(embeddings: np.ndarray, umap_params) -> UmapReducer:
    import umap  # imported here: it compiles its numba kernels on first use (tens of seconds)

    n_neighbors, n_components = umap_params.n_neighbors, umap_params.n_components
    if len(embeddings) <= max(n_neighbors, n_components + 1):
        raise UserError(f"umap needs more than {max(n_neighbors, n_components + 1)} discovery tweets"
                        f" (it has {len(embeddings)}): lower umap.n_neighbors or use reduce.method: pca")
    rows = fit_rows(len(embeddings), umap_params.max_fit_tweets, umap_params.seed)  # the rest are projected
    sample = np.asarray(embeddings[rows], dtype=np.float32)
    # random_state makes UMAP's optimisation reproducible, but its spectral start (BLAS) and neighbour search (numba)
    # still sum floats in an order set by the thread count: 1 against 2 threads moved 3.5% of the sample's tweets
    # to another topic (docs/STUDIES.md). One thread gives every machine the same layout.
    with single_thread():
        fitted = umap.UMAP(n_neighbors=n_neighbors, n_components=n_components, min_dist=umap_params.min_dist,
                           metric="cosine", random_state=umap_params.seed, n_jobs=1).fit(sample)
    return UmapReducer(reference=normalise_rows(sample), layout=fitted.embedding_.astype(np.float32),
                       fitted_rows=rows, a=float(fitted._a), b=float(fitted._b), n_neighbors=n_neighbors,
                       seed=umap_params.seed)
