"""The service's monitor (GET /monitor): the last N messages the service routed, kept with the embeddings, topics and
handoff flags routing gave them, and the monitor's summary of them (batch_monitor.py), computed again only once new
messages have come. Memory is bounded: N rows of each, however long the service runs."""

import threading
from pathlib import Path

import numpy as np

from tweet_topics.monitoring.batch_monitor import DEFAULT_PARAMS, Monitor
from tweet_topics.reduction.sampling import fit_rows
from tweet_topics.serving.router import Router


class RoutedWindow:
    """The last `size` routed messages, oldest first; `add` and `summary` may be called from any thread."""

    def __init__(self, monitor: Monitor, size: int) -> None:
        if size < 1:
            raise ValueError(f"a window of {size} messages holds nothing")
        self.monitor, self.size = monitor, size
        self._lock = threading.Lock()
        self._ids: list[str] = [""] * size
        self._texts: list[str] = [""] * size
        self._embeddings: np.ndarray | None = None  # (size, d) float32, made at the first add, when d is known
        self._top_topics = np.zeros(size, dtype=np.int64)
        self._needs_human = np.zeros(size, dtype=bool)
        self._added = 0  # messages added since the start: the window's version, and where the next one goes
        self._summary: tuple[int, dict] | None = None  # the last summary and the version it summarises

    def add(self, ids: list[str], texts: list[str], embeddings: np.ndarray, top_topics: np.ndarray,
            needs_human: np.ndarray) -> None:
        """Routed messages, in arrival order: their ids, texts, embeddings (n, d), top topics (the classifier's
        index) and handoff flags; the oldest in the window make room."""
        keep = slice(max(0, len(ids) - self.size), len(ids))  # a batch larger than the window: its last `size`
        ids, texts = list(ids[keep]), list(texts[keep])
        embeddings, top_topics, needs_human = embeddings[keep], top_topics[keep], needs_human[keep]
        with self._lock:
            if self._embeddings is None:
                self._embeddings = np.zeros((self.size, embeddings.shape[1]), dtype=np.float32)
            slots = (self._added + np.arange(len(ids))) % self.size
            for slot, identifier, text in zip(slots.tolist(), ids, texts, strict=True):
                self._ids[slot], self._texts[slot] = identifier, text
            self._embeddings[slots] = embeddings
            self._top_topics[slots] = top_topics
            self._needs_human[slots] = needs_human
            self._added += len(ids)

    def summary(self) -> dict:
        """The monitor's summary of the window's messages (compare_embedded) with the window's size; a note instead
        while fewer than the smallest emerging issue (monitor.min_size) have been routed."""
        with self._lock:
            version = self._added
            if self._summary is not None and self._summary[0] == version:
                return self._summary[1]
            rows = self._rows_oldest_first()
            params = self.monitor.params
            if len(rows) >= max(2, params.min_size):
                rows = rows[fit_rows(len(rows), params.max_batch_messages, params.seed)]  # as Monitor.compare
                ids, texts = [self._ids[row] for row in rows], [self._texts[row] for row in rows]
                embeddings, top_topics = self._embeddings[rows], self._top_topics[rows]
                needs_human = self._needs_human[rows]
        if len(rows) < max(2, params.min_size):
            summary = {"n_messages": len(rows), "window": self.size,
                       "note": f"too few messages routed yet: the monitor compares at least {params.min_size}"}
        else:  # outside the lock: an add from another thread need not wait for the comparison
            compared = self.monitor.compare_embedded(ids, texts, embeddings, top_topics, needs_human)
            summary = {"n_messages": compared["n_messages"], "window": self.size, **compared}
        with self._lock:
            if self._summary is None or self._summary[0] < version:
                self._summary = (version, summary)
        return summary

    def _rows_oldest_first(self) -> np.ndarray:
        if self._added <= self.size:
            return np.arange(self._added)
        return (self._added + np.arange(self.size)) % self.size


def routed_window(models_dir: Path, size: int, router: Router) -> RoutedWindow:
    """A window of `size` messages, monitored against the models in `models_dir` (whose router is loaded already)
    with the monitor's default params; models that cannot be monitored are a UserError."""
    return RoutedWindow(Monitor.load(models_dir, DEFAULT_PARAMS, router=router), size)
