"""Split arrays read a selection of rows at a time, and written a block of rows at a time."""

import numpy as np
import pytest

from tweet_topics.io.datasets import NpyRows, read_arrays, save_array_blocks


def test_npy_rows_give_the_rows_asked_for_and_the_whole_array(tmp_path):
    array = np.arange(60, dtype=np.float32).reshape(20, 3)
    np.save(tmp_path / "a.npy", array)
    rows = NpyRows(tmp_path / "a.npy")
    assert len(rows) == 20 and rows.shape == (20, 3) and rows.dtype == np.float32
    np.testing.assert_array_equal(rows[[3, 1, 19]], array[[3, 1, 19]])
    np.testing.assert_array_equal(rows[5:8], array[5:8])
    assert type(rows[5:8]) is np.ndarray  # a copy, not a view of a mapping that stays open
    np.testing.assert_array_equal(np.asarray(rows), array)


def test_read_arrays_lazy_gives_npy_rows_per_split(tmp_path):
    for split in ("discovery", "validation", "evaluation"):
        np.save(tmp_path / f"{split}.npy", np.ones((4, 2), dtype=np.float32))
    arrays = read_arrays(tmp_path, lazy=True)
    assert all(isinstance(rows, NpyRows) for rows in arrays.values())
    np.testing.assert_array_equal(arrays["validation"][[0, 3]], np.ones((2, 2), dtype=np.float32))


def test_saving_in_blocks_writes_the_bytes_of_np_save(tmp_path):
    array = np.random.default_rng(0).normal(size=(1000, 7)).astype(np.float32)
    np.save(tmp_path / "whole.npy", array)
    save_array_blocks(tmp_path / "blocks.npy", array.shape, (array[start:start + 300] for start in range(0, 1000, 300)))
    assert (tmp_path / "blocks.npy").read_bytes() == (tmp_path / "whole.npy").read_bytes()


def test_saving_fewer_rows_than_the_shape_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="999 rows written for a shape of \\(1000, 7\\)"):
        save_array_blocks(tmp_path / "short.npy", (1000, 7), [np.zeros((999, 7), dtype=np.float32)])
