"""ONNX Runtime int8 backend for a sentence-transformers BERT folder (all-MiniLM-L6-v2).

Export: ``export_int8(model_dir, out_dir)`` turns the folder's transformer into an
ONNX graph (input_ids, attention_mask[, token_type_ids] -> last_hidden_state, dynamic
batch and sequence axes) with the TorchScript exporter, then applies ONNX Runtime
dynamic int8 quantisation (MatMul weights, per output channel, QInt8; activations
quantised per batch tensor at run time). ONNX Runtime fuses the graph itself when the
session loads (ORT_ENABLE_ALL); fusing it offline with onnxruntime.transformers was
measured and brought no speed.

Inference: ``OnnxEncoder(model_dir, onnx_path).encode(texts, batch_size)`` reproduces
the folder's sentence-transformers pipeline: tokenizer.json with truncation at
``max_seq_length`` (sentence_bert_config.json), mean pooling over the attention mask,
and L2 normalisation when modules.json lists a Normalize module. Inference needs only
numpy, tokenizers and onnxruntime (no torch, no transformers).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAME = "last_hidden_state"
FP32_NAME = "model.onnx"
INT8_NAME = "model_int8.onnx"


@dataclass(frozen=True)
class PipelineConfig:
    """What the sentence-transformers folder does after the transformer."""

    max_seq_length: int
    normalize: bool


def read_pipeline_config(model_dir: Path) -> PipelineConfig:
    """Read max_seq_length, check mean pooling, and find whether a Normalize module follows."""
    model_dir = Path(model_dir)
    modules = json.loads((model_dir / "modules.json").read_text())
    types = [m["type"].rsplit(".", 1)[-1] for m in modules]
    if types[:2] != ["Transformer", "Pooling"] or not set(types[2:]) <= {"Normalize"}:
        raise ValueError(f"unsupported module stack {types} in {model_dir}")
    pooling_dir = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
    pooling = json.loads((model_dir / pooling_dir / "config.json").read_text())
    if not pooling.get("pooling_mode_mean_tokens") or any(
        v for k, v in pooling.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens"
    ):
        raise ValueError(f"only mean pooling is supported, got {pooling}")
    st_config = json.loads((model_dir / "sentence_bert_config.json").read_text())
    if st_config.get("do_lower_case"):
        raise ValueError("do_lower_case=True in sentence_bert_config.json is not supported")
    return PipelineConfig(
        max_seq_length=int(st_config["max_seq_length"]),
        normalize="Normalize" in types,
    )


def export_onnx(
    model_dir: Path,
    out_path: Path,
    *,
    opset: int = 17,
    dynamo: bool = False,
    attn_implementation: str = "sdpa",
) -> Path:
    """Export the folder's transformer (fp32) to ONNX with dynamic batch and sequence axes.

    Uses local weights only. ``dynamo=False`` (default) is the TorchScript exporter, which
    needs nothing beyond torch and onnx; ``dynamo=True`` additionally needs onnxscript.
    Both "sdpa" and "eager" attention export exactly (max |diff| ~4e-6 to torch).
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import inspect

    import torch
    from transformers import AutoModel

    model_dir, out_path = Path(model_dir), Path(out_path)
    model = AutoModel.from_pretrained(model_dir, local_files_only=True, attn_implementation=attn_implementation).eval()
    accepted = inspect.signature(model.forward).parameters
    input_names = [n for n in INPUT_NAMES if n in accepted]
    if input_names[:2] != ["input_ids", "attention_mask"]:
        raise ValueError(f"model forward lacks input_ids/attention_mask: {list(accepted)}")

    class _LastHiddenState(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor | None = None,
        ) -> torch.Tensor:
            extra = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state

    # Dummy batch with padding in one row, so the mask path is traced as data-dependent.
    input_ids = torch.tensor([[101, 7592, 2088, 102, 0], [101, 2023, 2003, 1037, 102]])
    sample = {
        "input_ids": input_ids,
        "attention_mask": (input_ids != 0).long(),
        "token_type_ids": torch.zeros_like(input_ids),
    }
    args = tuple(sample[n] for n in input_names)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        if dynamo:
            batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence", max=512)
            torch.onnx.export(
                _LastHiddenState(model),
                args,
                str(out_path),
                dynamo=True,
                input_names=input_names,
                output_names=[OUTPUT_NAME],
                opset_version=opset,
                dynamic_shapes={n: {0: batch, 1: seq} for n in input_names},
                external_data=False,
            )
        else:
            torch.onnx.export(
                _LastHiddenState(model),
                args,
                str(out_path),
                dynamo=False,
                input_names=input_names,
                output_names=[OUTPUT_NAME],
                opset_version=opset,
                dynamic_axes={n: {0: "batch", 1: "sequence"} for n in [*input_names, OUTPUT_NAME]},
                do_constant_folding=True,
            )
    return out_path


def quantize_int8(
    fp32_path: Path,
    out_path: Path,
    *,
    op_types: tuple[str, ...] = ("MatMul",),
    per_channel: bool = True,
    nodes_to_exclude: tuple[str, ...] = (),
) -> Path:
    """Dynamic int8 quantisation of the weights of ``op_types`` (activations quantised at run time)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        model_input=str(fp32_path),
        model_output=str(out_path),
        op_types_to_quantize=list(op_types),
        per_channel=per_channel,
        weight_type=QuantType.QInt8,
        nodes_to_exclude=list(nodes_to_exclude),
        # Lets the quantiser type outputs that ONNX shape inference cannot (e.g. com.microsoft
        # fused ops); every float tensor in this graph is fp32.
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    return Path(out_path)


def ffn_output_matmuls(onnx_path: Path) -> tuple[str, ...]:
    """Names of the feed-forward output projections (intermediate -> hidden), one per layer.

    Their input is the GELU output, whose wide range suffers most from per-tensor uint8
    activation quantisation; leaving them in fp32 buys most of the lost accuracy back.
    """
    import onnx

    graph = onnx.load(str(onnx_path), load_external_data=False).graph
    return tuple(
        n.name
        for n in graph.node
        if n.op_type == "MatMul" and "/output/dense/" in n.name and "/attention/" not in n.name
    )


def export_int8(model_dir: Path, out_dir: Path, *, exclude_ffn_output: bool = False) -> Path:
    """Export ``model_dir``'s transformer to ONNX and quantise it; return the int8 model's path.

    Writes model.onnx (fp32, usable as is) and model_int8.onnx into ``out_dir``.
    ``exclude_ffn_output`` keeps the FFN output MatMuls in fp32: better cosine to torch,
    a larger file and slightly more CPU time.
    """
    model_dir, out_dir = Path(model_dir), Path(out_dir)
    fp32 = export_onnx(model_dir, out_dir / FP32_NAME)
    exclude: tuple[str, ...] = ()
    if exclude_ffn_output:
        layers = json.loads((model_dir / "config.json").read_text())["num_hidden_layers"]
        exclude = ffn_output_matmuls(fp32)
        if len(exclude) != layers:
            raise RuntimeError(f"expected one FFN output MatMul per layer ({layers}), found {exclude}")
    return quantize_int8(fp32, out_dir / INT8_NAME, nodes_to_exclude=exclude)


class OnnxEncoder:
    """Sentence embeddings from an exported ONNX transformer, matching the folder's pipeline."""

    def __init__(
        self,
        model_dir: Path,
        onnx_path: Path,
        *,
        num_threads: int | None = None,
        allow_spinning: bool = False,
    ) -> None:
        """``allow_spinning=False`` stops idle ORT worker threads from busy-waiting, which is
        faster on a small machine shared with other processes (measured on 2 shared cores)."""
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        self.config = read_pipeline_config(model_dir)

        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # tokenizer.json carries its own truncation/padding (128, fixed); replace them with
        # what sentence-transformers does: truncate at max_seq_length. Padding is done here,
        # per length-sorted batch, to the longest sequence of the batch.
        self.tokenizer.enable_truncation(max_length=self.config.max_seq_length)
        self.tokenizer.no_padding()
        self.pad_id = self.tokenizer.token_to_id(self._pad_token(model_dir))

        options = ort.SessionOptions()
        options.intra_op_num_threads = num_threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if allow_spinning else "0")
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self.session.get_inputs()]

    @staticmethod
    def _pad_token(model_dir: Path) -> str:
        for name in ("tokenizer_config.json", "special_tokens_map.json"):
            path = model_dir / name
            if path.exists():
                token = json.loads(path.read_text()).get("pad_token")
                if isinstance(token, dict):
                    token = token.get("content")
                if token:
                    return token
        return "[PAD]"

    def _run_batch(self, encodings: list) -> np.ndarray:
        length = max(len(e.ids) for e in encodings)
        shape = (len(encodings), length)
        feeds = {
            "input_ids": np.full(shape, self.pad_id, dtype=np.int64),
            "attention_mask": np.zeros(shape, dtype=np.int64),
            "token_type_ids": np.zeros(shape, dtype=np.int64),
        }
        for row, e in enumerate(encodings):
            n = len(e.ids)
            feeds["input_ids"][row, :n] = e.ids
            feeds["attention_mask"][row, :n] = e.attention_mask
            feeds["token_type_ids"][row, :n] = e.type_ids
        hidden = self.session.run([OUTPUT_NAME], {n: feeds[n] for n in self.input_names})[0]
        mask = feeds["attention_mask"][:, :, None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        if self.config.normalize:
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return pooled.astype(np.float32, copy=False)

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Embed ``texts``; returns float32 (len(texts), dim) in input order."""
        dim = self.session.get_outputs()[0].shape[-1]
        if not texts:
            return np.zeros((0, dim), dtype=np.float32)
        encodings = self.tokenizer.encode_batch([str(t) for t in texts])
        # Batch by token length (longest first) to minimise padding; restore order after.
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        result = np.empty((len(texts), dim), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            result[idx] = self._run_batch([encodings[i] for i in idx])
        return result
