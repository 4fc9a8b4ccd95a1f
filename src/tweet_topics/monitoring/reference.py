"""What a batch is compared with: the tweets the models were trained on (the handoff's reference, a fixed sample of
discovery), and the space the comparison is made in.

The monitor compares in the embedding space, where nothing was fitted. The reduced space looks the natural choice,
but the smoothing places each new message towards its nearest training tweets: a new problem's messages are drawn
into the old topics beside them, and fewer of them are each other's neighbours (bench/bench_monitor.py measures both
spaces on the same windows). The reduced space stays for that comparison, with the reference placed as a new
message is: a tweet the reducer was fitted on would otherwise meet itself among its neighbours and be smoothed
towards itself, and every batch would look apart from the reference (`place(..., exclude=)` leaves it out)."""

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

    name: str  # EMBEDDING or REDUCED
    reducer: Reducer
    reference: np.ndarray  # (m, d) the reference tweets in this space

    @classmethod
    def of(cls, reducer: Reducer, reference: np.ndarray, k: int, max_reference: int, seed: int,
           name: str = EMBEDDING) -> "MonitorSpace":
        """`reference` (embeddings: the handoff's) sampled to at most max_reference rows, in the space `name`.
        REDUCED needs a reducer whose neighbour search is the reference's own with `k` (the default params'), so
        that it can leave each reference tweet out of its own neighbours."""
        rows = fit_rows(len(reference), max_reference, seed)
        if name == EMBEDDING:
            return cls(EMBEDDING, reducer, np.asarray(reference[rows]))
        if not (isinstance(reducer, SharedNeighbourSearch) and reducer.shares_search(reference, k)):
            raise ValueError("this reducer cannot place its own reference tweets as new messages")
        with one_blas_thread():  # as reduce_embeddings: the bits do not depend on the machine's cores
            placed = np.concatenate([reducer.place(reference[block], exclude=block)
                                     for block in np.array_split(rows, max(1, len(rows) // 4096))])
        return cls(REDUCED, reducer, placed)

    def place(self, embeddings: np.ndarray) -> np.ndarray:
        """New messages' embeddings in this space."""
        return reduce_embeddings(self.reducer, embeddings) if self.name == REDUCED else np.asarray(embeddings)
