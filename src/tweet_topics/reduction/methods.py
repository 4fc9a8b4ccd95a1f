"""The reducers by their reduce.method name. A new method is a module with a class that follows base.Reducer and
one line here (or `REDUCERS.register`, or an entry point in the group below, from another package)."""

from tweet_topics.reduction.base import Reducer
from tweet_topics.registry import Registry


def _builtins() -> dict[str, type[Reducer]]:
    from tweet_topics.reduction.pca import PcaReducer
    from tweet_topics.reduction.smoothing import SmoothedPcaReducer
    from tweet_topics.reduction.umap_reducer import UmapReducer

    return {reducer.method: reducer for reducer in (SmoothedPcaReducer, PcaReducer, UmapReducer)}


REDUCERS: Registry[type[Reducer]] = Registry("reduce.method", "tweet_topics.reducers", _builtins)
