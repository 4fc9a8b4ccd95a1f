"""What bench/bench_ray.py --scaling needs on the device machine (an H200 with 16 cores), packed to fit its transfer
limit of 64 MiB a call, and unpacked there.

    .venv/bin/python research/device_carry.py pack .device RAY_WHEEL WHEEL...   # here
    python3 research/device_carry.py unpack .device /tmp/site /tmp/encoder      # there

That machine has PyTorch, sentence-transformers, pandas, pyarrow and scikit-learn, but neither Ray nor the
encoder's weights, and the two together (a 79 MB wheel, 88 MB of float32 weights) are over the limit. So:
- Ray travels without what the engines never load (its Java jar, RLlib, Serve, the LLM library and the dashboard's
  web page), its three binaries stripped of symbols, as one .tar.xz (about 28 MB);
- the encoder travels as all-MiniLM-L6-v2's config and tokenizer with its weights rounded to int8 per output row
  (biases and norms in float16), and is rebuilt there in float32. That is the model's architecture and tokenizer,
  so its speed, with weights within int8 rounding of the real ones (the vectors it gives are checked against the
  real model's here: `pack` prints the cosine). Its fingerprint differs, so the trained `models/` cannot route with
  it: the benchmark measures featurize and reduce there, not predict.
"""

import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import numpy as np

UNUSED = ("ray/jars/", "ray/rllib/", "ray/serve/", "ray/llm/", "ray/dashboard/client/build/")
BINARIES = ("ray/_raylet.so", "ray/core/src/ray/gcs/gcs_server", "ray/core/src/ray/raylet/raylet")
WEIGHTS = "encoder_int8.npz"


def pack_ray(wheel: Path, out: Path) -> None:
    with tempfile.TemporaryDirectory() as work:
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(work, [name for name in archive.namelist() if not name.startswith(UNUSED)])
        for binary in BINARIES:
            subprocess.run(["strip", "--strip-unneeded", str(Path(work) / binary)], check=True)
            (Path(work) / binary).chmod(0o755)
        with tarfile.open(out / "ray.tar.xz", "w:xz", preset=9) as tar:
            for path in sorted(Path(work).iterdir()):
                tar.add(path, arcname=path.name)


def pack_encoder(out: Path) -> None:
    from safetensors.numpy import load_file

    from tweet_topics.encoding.weights import resolve_model

    source = Path(resolve_model("sentence-transformers/all-MiniLM-L6-v2"))
    shutil.copytree(source, out / "encoder", ignore=shutil.ignore_patterns("model.safetensors", "*.md"))
    arrays = {}
    for name, tensor in load_file(source / "model.safetensors").items():
        if tensor.ndim == 2:
            scale = np.maximum(np.abs(tensor).max(axis=1, keepdims=True), 1e-12) / 127
            arrays[f"{name}|q"] = np.round(tensor / scale).astype(np.int8)
            arrays[f"{name}|scale"] = scale.astype(np.float32)
        else:
            arrays[f"{name}|f16"] = tensor.astype(np.float16)
    np.savez_compressed(out / WEIGHTS, **arrays)


def unpack_encoder(carry: Path, folder: Path) -> None:
    from safetensors.numpy import save_file

    shutil.copytree(carry / "encoder", folder, dirs_exist_ok=True)
    stored = np.load(carry / WEIGHTS)
    weights = {}
    for key in stored.files:
        name, kind = key.split("|")
        if kind == "q":
            weights[name] = (stored[key].astype(np.float32) * stored[f"{name}|scale"]).astype(np.float32)
        elif kind == "f16":
            weights[name] = stored[key].astype(np.float32)
    save_file(weights, str(folder / "model.safetensors"))


def cosine_to_real(folder: Path) -> float:
    from sentence_transformers import SentenceTransformer

    from tweet_topics.encoding.weights import resolve_model

    texts = ["my card was charged twice", "the train is late again", "can't log in to the app", "thanks a lot!"]
    real = SentenceTransformer(resolve_model("sentence-transformers/all-MiniLM-L6-v2"), device="cpu").encode(texts)
    rebuilt = SentenceTransformer(str(folder), device="cpu").encode(texts)
    return float(np.min(np.sum(real * rebuilt, axis=1) / np.linalg.norm(real, axis=1) / np.linalg.norm(rebuilt,
                                                                                                          axis=1)))


def main() -> None:
    if len(sys.argv) < 3 or sys.argv[1] in ("-h", "--help"):
        raise SystemExit(__doc__)
    command, carry = sys.argv[1], Path(sys.argv[2])
    if command == "pack":
        shutil.rmtree(carry, ignore_errors=True)
        carry.mkdir(parents=True)
        pack_ray(Path(sys.argv[3]), carry)
        for wheel in sys.argv[4:]:
            shutil.copy(wheel, carry)
        pack_encoder(carry)
        with tempfile.TemporaryDirectory() as check:
            unpack_encoder(carry, Path(check) / "encoder")
            lowest = cosine_to_real(Path(check) / "encoder")
            print(f"lowest cosine of the rebuilt encoder to the real one: {lowest:.5f}")
        sizes = {path.name: path.stat().st_size for path in carry.rglob("*") if path.is_file()}
        print(f"{sum(sizes.values()) / 2**20:.1f} MiB in {carry}")
    elif command == "unpack":
        site, encoder = Path(sys.argv[3]), Path(sys.argv[4])
        site.mkdir(parents=True, exist_ok=True)
        with tarfile.open(carry / "ray.tar.xz") as tar:
            tar.extractall(site, filter="fully_trusted")
        for wheel in carry.glob("*.whl"):
            with zipfile.ZipFile(io.BytesIO(wheel.read_bytes())) as archive:
                archive.extractall(site)
        unpack_encoder(carry, encoder)
    else:
        raise SystemExit(f"unknown command {command!r}: pack or unpack")


if __name__ == "__main__":
    main()
