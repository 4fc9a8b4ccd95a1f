"""PCA alone (reduce.method: pca, the seed's way): fitted on a fixed sample of discovery, a linear map after."""

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.decomposition import PCA

from tweet_topics.errors import UserError
from tweet_topics.reduction.base import FittedReduction
from tweet_topics.reduction.sampling import fit_rows


@dataclass(frozen=True)
class PcaReducer:
    mean: np.ndarray
    components: np.ndarray  # (n_components, dimension)
    scale: np.ndarray  # per component: 1 / sqrt(explained variance) when whitened, else 1

    method = "pca"

    @property
    def n_components(self) -> int:
        return len(self.components)

    def transform(self, embeddings: np.ndarray) -> np.ndarray:
        return (((np.asarray(embeddings, dtype=np.float32) - self.mean) @ self.components.T) * self.scale).astype(
            np.float32)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean, "components": self.components, "scale": self.scale}

    def settings(self) -> dict[str, Any]:
        return {}

    @classmethod
    def fit(cls, embeddings: np.ndarray, params) -> FittedReduction:
        """Fitted on a fixed sample of at most pca.max_fit_tweets rows."""
        return FittedReduction(fit_pca(embeddings, params.pca))

    @classmethod
    def from_saved(cls, arrays: dict[str, np.ndarray], settings: dict[str, Any]) -> "PcaReducer":
        return cls(**arrays)


def fit_pca(embeddings: np.ndarray, pca) -> PcaReducer:
    """`pca` is params.PcaParams."""
    n_components = pca.n_components
    sample = np.asarray(embeddings[fit_rows(len(embeddings), pca.max_fit_tweets, pca.seed)], dtype=np.float32)
    limit = min(sample.shape)
    if n_components > limit:
        raise UserError(
            f"pca.n_components is {n_components} but the discovery split allows at most {limit}"
            f" ({sample.shape[0]} tweets x {sample.shape[1]} dimensions): lower pca.n_components"
        )
    fitted = PCA(n_components=n_components, random_state=pca.seed).fit(sample)
    scale = 1.0 / np.sqrt(fitted.explained_variance_) if pca.whiten else np.ones(n_components)
    return PcaReducer(fitted.mean_.astype(np.float32), fitted.components_.astype(np.float32),
                      scale.astype(np.float32))
