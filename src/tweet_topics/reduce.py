"""PCA fitted on the discovery embeddings and applied to every split."""

import numpy as np
from sklearn.decomposition import PCA

from tweet_topics.errors import UserError


def fit_pca(embeddings: np.ndarray, n_components: int, seed: int) -> PCA:
    limit = min(embeddings.shape)
    if n_components > limit:
        raise UserError(
            f"pca.n_components is {n_components} but the discovery split allows at most {limit}"
            f" ({embeddings.shape[0]} tweets x {embeddings.shape[1]} dimensions): lower pca.n_components"
        )
    return PCA(n_components=n_components, random_state=seed).fit(embeddings)


def apply_pca(pca: PCA, embeddings: np.ndarray) -> np.ndarray:
    return pca.transform(embeddings).astype(np.float32)
