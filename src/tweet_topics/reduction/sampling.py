"""The fixed sample of rows a model is fitted on when a split is larger than a `max_*` param allows."""

import numpy as np


def fit_rows(n_rows: int, max_rows: int, seed: int) -> np.ndarray:
    """Sorted row indices: all `n_rows`, or `max_rows` of them drawn without replacement by `seed`.

    Sorted, so that reading them from a memory map walks the file forwards.
    """
    if n_rows <= max_rows:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(seed).choice(n_rows, max_rows, replace=False))
