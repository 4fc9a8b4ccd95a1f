"""A toy encoder and a toy reducer, each one class that follows the package's protocol and nothing else: what a user
writes to swap a step (tests/test_steps.py registers them, in the process and as an installed package's entry
points). Deliberately simple, deterministic and fast."""

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from tweet_topics.encoding.spec import EncoderSpec
from tweet_topics.reduction.base import FittedReduction

DIMENSION = 64


@dataclass(frozen=True)
class HashedWordsEncoder:
    """Each word hashed to one of DIMENSION signed buckets, the counts normalised to unit length."""

    spec: EncoderSpec

    @classmethod
    def load(cls, spec: EncoderSpec) -> "HashedWordsEncoder":
        return cls(spec.resolved())

    def embed(self, texts, out=None, progress=None) -> np.ndarray:
        vectors = np.zeros((len(texts), DIMENSION), dtype=np.float32) if out is None else out
        for row, text in enumerate(texts):
            vector = np.zeros(DIMENSION, dtype=np.float32)
            for word in str(text).lower().split():
                digest = hashlib.sha256(word.encode("utf-8")).digest()
                vector[digest[0] % DIMENSION] += 1.0 if digest[1] % 2 else -1.0
            vectors[row] = vector / max(float(np.linalg.norm(vector)), 1e-6)
        if progress is not None:
            progress(len(texts))
        return vectors

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(f"hashed words {DIMENSION}".encode()).hexdigest()

    def description(self) -> dict:
        return {"name": self.spec.model, "fingerprint": self.fingerprint, "dimension": DIMENSION,
                "encoded_with": asdict(self.spec)}

    def recipe(self) -> dict:
        return {"name": "hashed-words", "fingerprint": self.fingerprint, "dimension": DIMENSION}


@dataclass(frozen=True)
class LeadingCoordinatesReducer:
    """The first pca.n_components coordinates, centred on discovery's mean."""

    mean: np.ndarray
    n_kept: np.ndarray  # a 0-d array: the fitted state is arrays and settings only

    method = "leading-coordinates"
    fits = 0  # how many fits ran in this process: a test's proof that the chain went through this class

    @property
    def n_components(self) -> int:
        return int(self.n_kept)

    def transform(self, embeddings: np.ndarray) -> np.ndarray:
        return (np.asarray(embeddings, dtype=np.float32)[:, :self.n_components] - self.mean).astype(np.float32)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean, "n_kept": self.n_kept}

    def settings(self) -> dict[str, Any]:
        return {}

    @classmethod
    def fit(cls, embeddings: np.ndarray, params) -> FittedReduction:
        cls.fits += 1
        kept = min(params.pca.n_components, embeddings.shape[1])
        mean = np.asarray(embeddings[:, :kept], dtype=np.float32).mean(axis=0)
        return FittedReduction(cls(mean.astype(np.float32), np.array(kept)))

    @classmethod
    def from_saved(cls, arrays: dict[str, np.ndarray], settings: dict[str, Any]) -> "LeadingCoordinatesReducer":
        return cls(arrays["mean"], arrays["n_kept"])
