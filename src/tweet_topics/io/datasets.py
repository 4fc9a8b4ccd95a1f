"""The pipeline's per-split files: one parquet or .npy per split, never one file per tweet."""

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from tweet_topics.errors import UserError

SPLITS = ("discovery", "validation", "evaluation")


def read_frames(directory: Path, columns: list[str] | None = None) -> dict[str, pd.DataFrame]:
    return {split: pd.read_parquet(_existing(directory / f"{split}.parquet"), columns=columns) for split in SPLITS}


def write_frames(directory: Path, frames: dict[str, pd.DataFrame]) -> None:
    for split, frame in frames.items():
        frame.to_parquet(directory / f"{split}.parquet", index=False)


def read_arrays(directory: Path, lazy: bool = False) -> dict[str, np.ndarray]:
    """Each split's array; with `lazy`, a NpyRows that reads only the rows asked for."""
    if lazy:
        return {split: NpyRows(_existing(directory / f"{split}.npy")) for split in SPLITS}
    return {split: np.load(_existing(directory / f"{split}.npy")) for split in SPLITS}


class NpyRows:
    """A 2-D .npy read a selection of rows at a time: `rows[index]` maps the file, copies those rows, and unmaps it.

    A memory map held open counts every page read so far as the process's resident memory: reading 1.5M embeddings
    through one grew a stage to the file's 1.6 GB, where this stays within the rows of one selection.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        mapped = np.load(path, mmap_mode="r")
        self.shape, self.dtype = mapped.shape, mapped.dtype

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index) -> np.ndarray:
        return np.array(np.load(self.path, mmap_mode="r")[index])

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return np.load(self.path).astype(dtype or self.dtype, copy=False)


def save_array_blocks(path: Path, shape: tuple[int, int], blocks: Iterable[np.ndarray]) -> None:
    """A float32 .npy of `shape` written a block of rows at a time, the same bytes as np.save of the whole array
    (written through a memory map instead, every page stayed in the process's resident memory until the end)."""
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)), "fortran_order": False, "shape": shape}
    written = 0
    with open(path, "wb") as handle:
        np.lib.format.write_array_header_1_0(handle, header)
        for block in blocks:
            handle.write(np.ascontiguousarray(block, dtype=np.float32).tobytes())
            written += len(block)
    if written != shape[0]:
        raise ValueError(f"{path}: {written} rows written for a shape of {shape}")


def read_ids(directory: Path) -> dict[str, np.ndarray]:
    return {split: np.load(_existing(directory / f"{split}_ids.npy")) for split in SPLITS}


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise UserError(f"{path} not found: run `dvc repro` (or `dvc pull`) to produce it")
    return path
