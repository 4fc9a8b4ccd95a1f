"""What a reducer is (reduce.method): fitted on discovery's embeddings, then a plain function from embeddings to
reduced vectors, saved as named arrays and JSON settings. Each method is one module with one class that follows
`Reducer`; methods.py names them."""

from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Reducer(Protocol):
    method: ClassVar[str]  # its name in reduce.method

    @property
    def n_components(self) -> int: ...

    def transform(self, embeddings: np.ndarray) -> np.ndarray:
        """The reduced float32 vectors of `embeddings` (n, dimension); a row's vector depends on that row alone."""

    def arrays(self) -> dict[str, np.ndarray]:
        """The fitted state as named arrays (saved without pickle: io/artifacts.py)."""

    def settings(self) -> dict[str, Any]:
        """The fitted state that is not an array, JSON-serialisable."""

    @classmethod
    def fit(cls, embeddings: np.ndarray, params: Any) -> "FittedReduction":
        """Fitted on `embeddings` (a memory map is fine: read only the rows it fits on) with `params`, the
        params.ReductionParams of the run."""

    @classmethod
    def from_saved(cls, arrays: dict[str, np.ndarray], settings: dict[str, Any]) -> "Reducer":
        """The reducer `arrays()` and `settings()` describe."""


@dataclass(frozen=True)
class FittedReduction:
    """A fitted reducer and, where its fit placed some rows itself (a layout, a smoothed reference), which rows and
    where: those keep their fitted coordinates, every other row is placed by `transform`."""

    reducer: Reducer
    fitted_rows: np.ndarray | None = None
    fitted_reduced: np.ndarray | None = None


@runtime_checkable
class SharedNeighbourSearch(Protocol):
    """A reducer that searches the nearest reference embeddings of each message, and can share that search with
    the handoff's scorer when both hold the same reference (one search instead of two)."""

    def shares_search(self, reference: np.ndarray, k: int) -> bool:
        """Whether its search finds the k nearest rows of `reference`, with their distances."""

    def neighbours(self, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The reference rows searched for each embedding, nearest first, and their cosine distances."""

    def place(self, embeddings: np.ndarray, exclude: np.ndarray | None = None,
              found: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """`transform`, with `found` the embeddings' `neighbours` if searched already."""
