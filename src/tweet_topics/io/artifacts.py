"""Fitted models as plain data: named arrays plus JSON metadata in one .npz, loaded without pickle.

A pickle (joblib) runs code when it is loaded, so a model file pulled from a shared remote could run anything;
`np.load(..., allow_pickle=False)` reads numbers and strings only.
"""

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np

from tweet_topics.errors import UserError
from tweet_topics.io.atomic import atomic_file

META_KEY = "__meta__"
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold
MISSING_HINT = "run `dvc repro` to train the pipeline, or `dvc pull` to fetch the trained models"


def save_arrays(path: Path, arrays: dict[str, np.ndarray], meta: dict) -> None:
    """Write `arrays` and the JSON-serialisable `meta` to `path` (.npz), atomically and byte-identically for the
    same content (np.savez stamps each member with the current time, so two identical runs would differ)."""
    members = {**arrays, META_KEY: np.array(json.dumps(meta, sort_keys=True))}
    with atomic_file(path) as tmp, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in members.items():
            with archive.open(zipfile.ZipInfo(f"{name}.npy", date_time=FIXED_ZIP_TIME), "w",
                              force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def load_arrays(path: Path, kind: str) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays and metadata saved by `save_arrays`; `kind` (e.g. "reducer") must match what was saved."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path} not found: {MISSING_HINT}")
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files if name != META_KEY}
            meta = json.loads(str(stored[META_KEY]))
    except (OSError, ValueError, KeyError) as error:
        raise UserError(f"{path} is not a model file this version can read ({error}): {MISSING_HINT}") from None
    if meta.get("kind") != kind:
        raise UserError(f"{path} holds a '{meta.get('kind')}', not a '{kind}': {MISSING_HINT}")
    return arrays, meta


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_json(path: Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path} not found: {MISSING_HINT}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserError(f"{path} is not valid JSON ({error}): {MISSING_HINT}") from None
