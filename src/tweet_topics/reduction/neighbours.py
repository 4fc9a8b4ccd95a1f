"""Exact cosine neighbours among fitted reference embeddings, and UMAP's fuzzy weights for them: the graph that UMAP's
projection and the neighbourhood smoothing both stand on. Exact (a matrix product per block of rows), so a point's
neighbours do not depend on a random search or on the other points in its batch."""

import math
import threading

import numpy as np

SMOOTH_K_TOLERANCE = 1e-5  # umap-learn's constants, so the neighbourhood scales match its fit
MIN_K_DIST_SCALE = 1e-3
BISECTION_STEPS = 64
FEW_ROWS = 8  # rows whose scales are found one at a time (`_row_scale`)
NEIGHBOUR_BLOCK = 1024  # rows per distance block: 1024 x 50k reference float32 is 200 MB
# rows whose nearest are selected at a time from a block's products: every temporary stays a few MB
SELECT_ROWS = 64

# each thread's buffer for a block's products, kept between calls. On the 2-core machine a fresh array of 58 MB
# (1,000 messages x 14,578 reference tweets), allocated right after the encoder had run, took 0.1-0.4 s to fault in
# (numpy asks for huge pages, and the kernel compacts memory to find them): more than the product itself (0.07 s)
_products = threading.local()


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def nearest_neighbours(points: np.ndarray, reference: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact cosine neighbours of each point among unit-length `reference` rows, nearest first."""
    points = normalise_rows(points)
    indices = np.empty((len(points), k), dtype=np.int64)
    distances = np.empty((len(points), k), dtype=np.float32)
    for start in range(0, len(points), NEIGHBOUR_BLOCK):
        block = points[start:start + NEIGHBOUR_BLOCK]
        # one product per block, as before the buffer: a row's bits do not depend on how it is selected below
        products = np.matmul(block, reference.T, out=products_buffer(len(block), len(reference)))
        for first in range(0, len(block), SELECT_ROWS):
            selected = 1.0 - products[first:first + SELECT_ROWS]
            rows = slice(start + first, start + first + len(selected))
            indices[rows], distances[rows] = nearest_in(selected, k)
    return indices, distances


def nearest_in(block: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k smallest of each row of a distance block, nearest first (ties broken by column, so the order is
    stable): their columns and distances."""
    nearest = np.argpartition(block, k - 1, axis=1)[:, :k]
    nearest_distances = np.take_along_axis(block, nearest, axis=1)
    order = np.lexsort((nearest, nearest_distances), axis=1)
    return (np.take_along_axis(nearest, order, axis=1),
            np.maximum(np.take_along_axis(nearest_distances, order, axis=1), 0.0))


def products_buffer(rows: int, columns: int) -> np.ndarray:
    """This thread's (rows, columns) float32 buffer, grown when a call needs more (`_products`)."""
    buffer = getattr(_products, "buffer", None)
    if buffer is None or buffer.size < rows * columns:
        buffer = _products.buffer = np.empty(rows * columns, dtype=np.float32)
    return buffer[:rows * columns].reshape(rows, columns)


def membership_strengths(distances: np.ndarray) -> np.ndarray:
    """UMAP's fuzzy edge weights exp(-d / sigma), sigma per point so the weights sum to log2(k) (rho = 0 when
    transforming, as in umap-learn)."""
    return edge_weights(distances, neighbourhood_scales(distances))


def edge_weights(distances: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """exp(-d / sigma) per row's sigma; a distance of 0 (an identical point) weighs 1."""
    distances = distances.astype(np.float64)
    return np.where(distances > 0, np.exp(-distances / sigma[:, None]), 1.0)


def neighbourhood_scales(distances: np.ndarray) -> np.ndarray:
    """Each row's sigma: the scale at which its weights beyond the nearest sum to log2(k), found by bisection."""
    distances = distances.astype(np.float64)
    few = len(distances) <= FEW_ROWS
    sigma = np.array([_row_scale(row) for row in distances], dtype=np.float64) if few else _scales(distances)
    return np.maximum(sigma, MIN_K_DIST_SCALE * distances.mean(axis=1))


def _scales(distances: np.ndarray) -> np.ndarray:
    target = np.log2(distances.shape[1])
    low = np.zeros(len(distances))
    high = np.full(len(distances), np.inf)
    sigma = np.ones(len(distances))
    done = np.zeros(len(distances), dtype=bool)
    tail = distances[:, 1:]
    for _ in range(BISECTION_STEPS):
        total = np.where(tail > 0, np.exp(-tail / sigma[:, None]), 1.0).sum(axis=1)
        done |= np.abs(total - target) < SMOOTH_K_TOLERANCE
        too_big = (total > target) & ~done
        too_small = (total <= target) & ~done
        high = np.where(too_big, sigma, high)
        low = np.where(too_small, sigma, low)
        sigma = np.where(too_big | (too_small & np.isfinite(high)), (low + high) / 2.0,
                         np.where(too_small, sigma * 2.0, sigma))
        if done.all():
            break
    return sigma


def _row_scale(row: np.ndarray) -> float:
    """`_scales` of one row with its steps on Python floats (the same IEEE arithmetic, so the same bits): its dozen
    array operations a step cost a routed message 1.4 ms."""
    target = float(np.log2(len(row)))
    negative_tail, zero = -row[1:], ~(row[1:] > 0)  # a distance of 0 weighs 1
    low, high, sigma = 0.0, math.inf, 1.0
    for _ in range(BISECTION_STEPS):
        weights = np.exp(negative_tail / sigma)
        weights[zero] = 1.0
        total = float(weights.sum())
        if abs(total - target) < SMOOTH_K_TOLERANCE:
            break
        if total > target:
            high = sigma
            sigma = (low + high) / 2.0
        else:
            low = sigma
            sigma = (low + high) / 2.0 if math.isfinite(high) else sigma * 2.0
    return sigma


def nearest_others(points: np.ndarray, reference: np.ndarray, k: int,
                   exclude: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`nearest_neighbours` with reference row `exclude[i]` left out of point i's (itself, for a fitted point; an
    identical twin stays), nearest first."""
    indices, distances = nearest_neighbours(points, reference, k + 1)
    found = indices == exclude[:, None]
    # drop the excluded row where it was found, else the farthest of the k + 1
    drop = np.where(found.any(axis=1), found.argmax(axis=1), k)
    keep = np.ones_like(found)
    keep[np.arange(len(indices)), drop] = False
    return indices[keep].reshape(-1, k), distances[keep].reshape(-1, k)
