"""The pipeline's per-split files: one parquet or .npy per split, never one file per tweet."""

from pathlib import Path

import numpy as np
import pandas as pd

from tweet_topics.errors import UserError

SPLITS = ("discovery", "validation", "evaluation")


def read_frames(directory: Path) -> dict[str, pd.DataFrame]:
    return {split: pd.read_parquet(_existing(directory / f"{split}.parquet")) for split in SPLITS}


def write_frames(directory: Path, frames: dict[str, pd.DataFrame]) -> None:
    for split, frame in frames.items():
        frame.to_parquet(directory / f"{split}.parquet", index=False)


def read_arrays(directory: Path, mmap: bool = False) -> dict[str, np.ndarray]:
    mode = "r" if mmap else None
    return {split: np.load(_existing(directory / f"{split}.npy"), mmap_mode=mode) for split in SPLITS}


def read_ids(directory: Path) -> dict[str, np.ndarray]:
    return {split: np.load(_existing(directory / f"{split}_ids.npy")) for split in SPLITS}


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise UserError(f"{path} not found: run `dvc repro` (or `dvc pull`) to produce it")
    return path
