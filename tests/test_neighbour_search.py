"""The exact neighbour search: selected a few rows at a time from a product buffer that each thread keeps between
calls, it finds what one whole product per block and a full sort of each row find, bit for bit."""

import threading

import numpy as np

from tweet_topics.reduction.neighbours import (
    NEIGHBOUR_BLOCK,
    SELECT_ROWS,
    nearest_neighbours,
    normalise_rows,
    products_buffer,
)


def sorted_search(points: np.ndarray, reference: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's whole sort (distance, then column) of its block's product: no partition, no buffer."""
    points = normalise_rows(points)
    indices, distances = [], []
    for start in range(0, len(points), NEIGHBOUR_BLOCK):
        block = 1.0 - points[start:start + NEIGHBOUR_BLOCK] @ reference.T
        columns = np.broadcast_to(np.arange(block.shape[1]), block.shape)
        order = np.lexsort((columns, block), axis=1)[:, :k]
        indices.append(order)
        distances.append(np.maximum(np.take_along_axis(block, order, axis=1), 0.0))
    return np.vstack(indices), np.vstack(distances)


def reference_and_points(rows: int, seed: int = 0, size: int = 700) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    reference = normalise_rows(rng.normal(size=(size, 24)).astype(np.float32))
    reference[5] = reference[9]  # an identical pair: a tie, broken by the lower column
    points = rng.normal(size=(rows, 24)).astype(np.float32)
    points[3] = reference[9]
    return reference, points


def test_the_search_equals_a_full_sort_across_blocks_and_selected_rows():
    rows = NEIGHBOUR_BLOCK + SELECT_ROWS + 7  # a second block, ending in a short selection
    reference, points = reference_and_points(rows)
    indices, distances = nearest_neighbours(points, reference, 30)
    expected_indices, expected_distances = sorted_search(points, reference, 30)
    np.testing.assert_array_equal(indices, expected_indices)
    np.testing.assert_array_equal(distances, expected_distances)
    assert list(indices[3, :2]) == [5, 9]


def test_a_smaller_search_after_a_larger_one_reads_only_its_own_products():
    reference, points = reference_and_points(300, seed=1)
    nearest_neighbours(points, reference, 10)  # fills more of the buffer than the next search uses
    small_reference = reference[:50]
    indices, distances = nearest_neighbours(points[:2], small_reference, 4)
    expected_indices, expected_distances = sorted_search(points[:2], small_reference, 4)
    np.testing.assert_array_equal(indices, expected_indices)
    np.testing.assert_array_equal(distances, expected_distances)


def test_searches_on_several_threads_at_once_do_not_share_a_buffer():
    reference, points = reference_and_points(NEIGHBOUR_BLOCK, seed=2, size=3000)
    expected = sorted_search(points, reference, 12)
    found: dict[int, tuple] = {}
    barrier = threading.Barrier(4)

    def search(number: int) -> None:
        barrier.wait()
        for _ in range(3):
            found[number] = nearest_neighbours(points, reference, 12)

    threads = [threading.Thread(target=search, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for indices, distances in found.values():
        np.testing.assert_array_equal(indices, expected[0])
        np.testing.assert_array_equal(distances, expected[1])


def test_a_thread_keeps_its_product_buffer_between_searches():
    """What the buffer is for: a later search writes into the memory an earlier one faulted in, not a fresh array."""
    first = products_buffer(NEIGHBOUR_BLOCK, 500)
    later = products_buffer(3, 200)
    assert np.shares_memory(first, later)
