"""What a batch is compared with: the tweets the models were trained on (the handoff's reference, a fixed sample of
discovery), in the space the topics were found in when the reducer can place them as it places a new message.

A reference tweet placed by a reducer fitted on it would meet itself among its neighbours and be smoothed towards
itself; a new message cannot, so every batch would look apart from the reference (drift where there is none, and
false candidates). The smoothing leaves a row out of its own neighbours (`place(..., exclude=)`), so each reference
tweet is placed as if it were new. A reducer that cannot do that is compared in the embedding space instead, where
nothing was fitted: the same test, with less power (bench/bench_monitor.py)."""

from dataclasses import dataclass

import numpy as np

from tweet_topics.reduction.base import Reducer, SharedNeighbourSearch
from tweet_topics.reduction.reduce import reduce_embeddings
from tweet_topics.reduction.sampling import fit_rows
from tweet_topics.threads import one_blas_thread

REDUCED, EMBEDDING = "reduced", "embedding"


@dataclass(frozen=True)
class MonitorSpace:
    """The space messages are compared in, and the reference tweets placed in it."""

    name: str  # REDUCED or EMBEDDING
    reducer: Reducer
    reference: np.ndarray  # (m, d) the reference tweets in this space

    @classmethod
    def of(cls, reducer: Reducer, reference: np.ndarray, k: int, max_reference: int, seed: int) -> "MonitorSpace":
        """`reference` (embeddings: the handoff's, the reducer's own when they share a search with `k`) sampled
        to at most max_reference rows and placed in the reduced space if the reducer can leave each out."""
        rows = fit_rows(len(reference), max_reference, seed)
        if isinstance(reducer, SharedNeighbourSearch) and reducer.shares_search(reference, k):
            with one_blas_thread():  # as reduce_embeddings: the bits do not depend on the machine's cores
                placed = np.concatenate([reducer.place(reference[block], exclude=block)
                                         for block in np.array_split(rows, max(1, len(rows) // 4096))])
            return cls(REDUCED, reducer, placed)
        return cls(EMBEDDING, reducer, np.asarray(reference[rows]))

    def place(self, embeddings: np.ndarray) -> np.ndarray:
        """New messages' embeddings in this space."""
        return reduce_embeddings(self.reducer, embeddings) if self.name == REDUCED else np.asarray(embeddings)
