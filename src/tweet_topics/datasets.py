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


def read_arrays(directory: Path, mmap: bool = False) -> dict[str, np.ndarray]:
    mode = "r" if mmap else None
    return {split: np.load(_existing(directory / f"{split}.npy"), mmap_mode=mode) for split in SPLITS}


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
