"""featurize.backend: onnx-int8. The sentence-transformers model exported to ONNX from its loaded weights, its
matrix multiplications quantised to int8, and run by ONNX Runtime on the CPU, one text per run.

One text per run, because dynamic quantisation takes each activation's int8 scale from the whole input tensor: in
a batch, a tweet's vector moved with its neighbours (min cosine 0.964 between batch 1 and 64), which would break
"a vector depends on its text alone" (embed.embed_texts), and with it the embedding cache and predict's equality
with evaluate. Alone, a text has no padding either, and the CPU's cores are used by one session per core instead.
Measured on the 2-core machine (bench/bench_onnx_int8.py): mean cosine 0.991 to the torch vectors, about 2x torch.

The export and quantisation take tens of seconds, so the int8 model is kept on disk (`cached_int8_model`) and a
later start loads it.
"""

import hashlib
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from tweet_topics.errors import UserError
from tweet_topics.io.atomic import atomic_file

TEXTS_PER_STEP = 2048  # tokenised at a time, then shared out among the sessions
OPSET = 17
CACHE_ENV = "TWEET_TOPICS_ONNX_CACHE"  # where the int8 models are kept; else $XDG_CACHE_HOME/tweet-topics/onnx-int8


class OnnxInt8Encoder:
    """Wraps a loaded SentenceTransformer (Transformer, mean Pooling, optional Normalize); the fingerprint, the
    dimension and the tokeniser stay the torch model's, so the weights and the token ids are the same as torch's."""

    def __init__(self, source, sessions: int | None = None) -> None:
        self.source = source
        self.normalize = _check_module_stack(source)
        model, self.model_path = cached_int8_model(source)
        self.sessions = [_session(model) for _ in range(sessions or len(os.sched_getaffinity(0)))]
        self.input_names = [item.name for item in self.sessions[0].get_inputs()]

    @property
    def backend(self) -> str:
        import onnxruntime
        import torch

        return f"onnxruntime {onnxruntime.__version__} int8, one text per run, exported by torch {torch.__version__}"

    @property
    def device(self):
        import torch

        return torch.device("cpu")

    @property
    def max_seq_length(self) -> int:
        return self.source.max_seq_length

    def get_embedding_dimension(self) -> int:
        return self.source.get_embedding_dimension()

    def state_dict(self) -> dict:
        return self.source.state_dict()

    def preprocess(self, texts: list[str]) -> dict:
        return self.source.preprocess(texts)

    def embed(self, texts: Sequence[str], out: np.ndarray, progress: Callable[[int], object] | None = None) -> None:
        """Each text's vector into its row of `out`."""
        with ThreadPoolExecutor(len(self.sessions)) as pool:
            for start in range(0, len(texts), TEXTS_PER_STEP):
                features = self.preprocess(list(texts[start:start + TEXTS_PER_STEP]))
                lengths = features["attention_mask"].sum(dim=1).numpy()
                inputs = {name: features[name].numpy() for name in self.input_names}
                rows = np.arange(len(lengths))
                shares = [rows[worker::len(self.sessions)] for worker in range(len(self.sessions))]
                vectors = pool.map(self._run, self.sessions, shares, [inputs] * len(shares), [lengths] * len(shares))
                for share, share_vectors in zip(shares, vectors, strict=True):
                    out[start + share] = share_vectors
                if progress:
                    progress(len(rows))

    def _run(self, session, rows: np.ndarray, inputs: dict, lengths: np.ndarray) -> np.ndarray:
        vectors = np.empty((len(rows), self.get_embedding_dimension()), dtype=np.float32)
        for index, row in enumerate(rows):
            feed = {name: values[row:row + 1, :lengths[row]] for name, values in inputs.items()}
            hidden = session.run(None, feed)[0][0]
            vectors[index] = hidden.mean(axis=0)  # mean pooling: every token is real, there is no padding
        if self.normalize:
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors


def _check_module_stack(source) -> bool:
    """Whether a Normalize module ends the stack; any other stack than Transformer, mean Pooling is a UserError."""
    kinds = [type(module).__name__ for module in source]
    pooling = source[1].get_config_dict().get("pooling_mode") if len(kinds) > 1 else None
    if kinds[:2] != ["Transformer", "Pooling"] or pooling != "mean" or set(kinds[2:]) - {"Normalize"}:
        raise UserError(f"featurize.backend onnx-int8 runs Transformer + mean Pooling (+ Normalize) models, and this"
                        f" one is {' + '.join(kinds)} (pooling {pooling}): use featurize.backend: torch")
    return "Normalize" in kinds


def cache_folder() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tweet-topics" / "onnx-int8"


def export_key(source) -> str:
    """sha256 of everything the int8 graph is made from: the weights (their fingerprint), the transformer's
    configuration, and the exporter's, quantiser's and runtime's versions."""
    import onnx
    import onnxruntime
    import torch

    from tweet_topics.encoding.identity import encoder_fingerprint

    config = {key: value for key, value in source[0].auto_model.config.to_dict().items() if key != "_name_or_path"}
    made_from = {"fingerprint": encoder_fingerprint(source), "config": config,
                 "torch": torch.__version__, "onnxruntime": onnxruntime.__version__, "onnx": onnx.__version__,
                 "opset": OPSET, "quantisation": "dynamic MatMul per-channel QInt8"}
    return hashlib.sha256(json.dumps(made_from, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def cached_int8_model(source) -> tuple[bytes, Path | None]:
    """The int8 model and its file in the cache folder, exported now if it is not there (written atomically, so a
    start killed half-way leaves no half model for the next one); None for the file where the folder is not
    writable, so the next start exports again."""
    path = cache_folder() / f"{export_key(source)}.onnx"
    if path.is_file():
        return path.read_bytes(), path
    model = _int8_model(source)
    try:
        with atomic_file(path) as tmp:
            tmp.write_bytes(model)
    except OSError as error:
        logging.getLogger(__name__).warning("the int8 model could not be kept in %s (%s): it is exported at every"
                                            " start; set %s to a writable folder", path.parent, error, CACHE_ENV)
        return model, None
    return model, path


def _int8_model(source) -> bytes:
    """The source's transformer as an ONNX graph with int8 MatMul weights (per output channel), as bytes."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    transformer = source[0].auto_model.eval()
    example = source.preprocess(["export example", "a longer export example text"])
    names = [name for name in ("input_ids", "attention_mask", "token_type_ids") if name in example]

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.transformer(**dict(zip(names, inputs, strict=True))).last_hidden_state

    # the tracer warns about Python branches on shapes and the quantiser advises a pre-processing step; neither
    # changes the graph for this use (a vector matched torch's to cosine 0.99), and a stage's output stays clean
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings(), _quiet_root_logger():
        warnings.simplefilter("ignore")
        fp32, int8 = Path(folder) / "model.onnx", Path(folder) / "model_int8.onnx"
        with torch.no_grad():
            # the TorchScript exporter: it needs only torch and onnx (dynamo needs onnxscript, and was 10x slower)
            torch.onnx.export(LastHiddenState(), tuple(example[name] for name in names), str(fp32), dynamo=False,
                              input_names=names, output_names=["last_hidden_state"], opset_version=OPSET,
                              dynamic_axes={name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]})
        quantize_dynamic(str(fp32), str(int8), op_types_to_quantize=["MatMul"], per_channel=True,
                         weight_type=QuantType.QInt8)
        return int8.read_bytes()


@contextmanager
def _quiet_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _session(model: bytes):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1  # one session per core: a text alone is too small to share out
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
