"""The reduction before clustering: PCA (the seed's way) or UMAP, fitted on discovery and applied to every split.

UMAP keeps the local neighbourhoods that KMeans needs and measured better on labelled intents (see README);
PCA is linear, fast and needs no compilation, and stays available for the seed's behaviour.
"""

import numpy as np
from sklearn.decomposition import PCA

from tweet_topics.errors import UserError

METHODS = ("pca", "umap")


def fit_reducer(embeddings: np.ndarray, method: str, pca: dict, umap: dict):
    """A fitted reducer; `pca` and `umap` are the params sections of the same name."""
    if method == "pca":
        return _fit_pca(embeddings, pca["n_components"], pca["whiten"], pca["seed"])
    return _fit_umap(embeddings, umap)


def apply_reducer(reducer, embeddings: np.ndarray, batch_size: int = 100_000) -> np.ndarray:
    """The reduced float32 vectors, computed a batch at a time so memory stays bounded."""
    batches = [reducer.transform(np.asarray(embeddings[start:start + batch_size]))
               for start in range(0, len(embeddings), batch_size)]
    if not batches:
        return np.empty((0, reducer.n_components), dtype=np.float32)
    return np.vstack(batches).astype(np.float32)


def _fit_pca(embeddings: np.ndarray, n_components: int, whiten: bool, seed: int) -> PCA:
    limit = min(embeddings.shape)
    if n_components > limit:
        raise UserError(
            f"pca.n_components is {n_components} but the discovery split allows at most {limit}"
            f" ({embeddings.shape[0]} tweets x {embeddings.shape[1]} dimensions): lower pca.n_components"
        )
    return PCA(n_components=n_components, whiten=whiten, random_state=seed).fit(embeddings)


def _fit_umap(embeddings: np.ndarray, params: dict):
    import umap  # imported here: it compiles its numba kernels on first use (tens of seconds)

    n_neighbors = params["n_neighbors"]
    if len(embeddings) <= max(n_neighbors, params["n_components"] + 1):
        raise UserError(f"umap needs more than {max(n_neighbors, params['n_components'] + 1)} discovery tweets"
                        f" (it has {len(embeddings)}): lower umap.n_neighbors or use reduce.method: pca")
    sample = embeddings
    if len(embeddings) > params["max_fit_tweets"]:  # fit on a fixed sample, transform everything
        rows = np.random.default_rng(params["seed"]).choice(len(embeddings), params["max_fit_tweets"], replace=False)
        sample = embeddings[np.sort(rows)]
    # random_state makes UMAP reproducible (and single-threaded); cosine suits sentence embeddings
    return umap.UMAP(n_neighbors=n_neighbors, n_components=params["n_components"], min_dist=params["min_dist"],
                     metric="cosine", random_state=params["seed"], n_jobs=1).fit(np.asarray(sample))
