"""Embedding throughput on one GPU: featurize's own `embed_texts` (fp16 and fp32) against
`SentenceTransformer.encode` and the bare model forward, on real tweets. One short run for the device tool (about
3 minutes); it prints one JSON object, and writes it to --out.

Usage:
  here:   python bench/bench_gpu.py --export DIR   # the sample's tweet views, and the model in fp16 (44 MB, under
                                                   # the device tool's 64 MiB): the GPU machine has neither emoji,
                                                   # NLTK nor the packaged model
  there:  python bench/bench_gpu.py --inputs DIR [--tweets 200000] [--reps 3] [--budget-s 300] [--out FILE]
          [--shard-texts 131072]                   # only featurize's calls: one per cache shard

The tweet views are repeated to --tweets texts. Each rate is a warm-up and the median of --reps timed passes over
all of them; measurements stop once --budget-s is spent. Also measured: tokenisation alone (the Rust tokenizer that
embed_texts overlaps with the GPU, and sentence-transformers' preprocess), fp16's cosine to fp32 on the distinct
tweets, and whether a vector is the same bits alone, reversed and beside other texts in fp16 on the GPU.
The exported model's weights are float16, so on the GPU "fp32" computes in float32 from float16-rounded weights;
what that rounding does to a vector is measured on the CPU by --export (its cosine to the true float32 weights).
"""

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO.parent / "shared" / "data" / "twcs_sample.csv"
MODEL = "sentence-transformers/all-MiniLM-L6-v2"
TEXTS_FILE, MODEL_FOLDER = "tweet_views.json", "model_fp16"


def tweet_views(sample: Path) -> list[str]:
    """The encoder's view of every inbound tweet of a twcs-format CSV."""
    import pandas as pd

    from tweet_topics.text.cleaner import TweetCleaner

    raw = pd.read_csv(sample, dtype=str, keep_default_na=False)
    cleaner = TweetCleaner(keywords=False)
    return [cleaner.embedding_view(text) for text in raw.loc[raw["inbound"] == "True", "text"]]


def export(folder: Path, sample: Path) -> dict:
    """The sample's inbound tweet views and the model with float16 weights, into `folder`."""
    import numpy as np
    import torch
    from safetensors.torch import load_file, save_file

    from tweet_topics.encoding.embed import embed_texts
    from tweet_topics.encoding.weights import load_encoder, resolve_model

    folder.mkdir(parents=True, exist_ok=True)
    texts = tweet_views(sample)
    (folder / TEXTS_FILE).write_text(json.dumps(texts), encoding="utf-8")
    source, target = Path(resolve_model(MODEL)), folder / MODEL_FOLDER
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("model.safetensors", "README.md"))
    weights = {name: (tensor.half() if tensor.is_floating_point() else tensor)
               for name, tensor in load_file(source / "model.safetensors").items()}
    save_file(weights, target / "model.safetensors", metadata={"format": "pt"})
    distinct = sorted(set(texts))[:2000]
    true, rounded = (embed_texts(load_encoder(str(model), "cpu"), distinct, 16) for model in (source, target))
    cosine = (true * rounded).sum(axis=1)
    with torch.no_grad():
        half_cpu = embed_texts(load_encoder(str(source), "cpu", dtype="float16"), distinct[:500], 16)
    half_cosine = (true[:500] * half_cpu).sum(axis=1) / np.linalg.norm(half_cpu, axis=1)
    return {"texts": len(texts), "distinct": len(set(texts)),
            "fp16_rounded_weights_cosine_to_fp32_cpu": {"mean": float(cosine.mean()), "min": float(cosine.min())},
            "fp16_compute_cpu_cosine_to_fp32_cpu_500": {"mean": float(half_cosine.mean()),
                                                        "min": float(half_cosine.min())}}


def bench(inputs: Path, count: int, budget_s: float, device: str = "cuda", distinct_count: int | None = None,
          batch_sizes: tuple[int, ...] = (1024, 256, 4096), reps: int = 1, shard_texts: int | None = None) -> dict:
    import numpy as np
    import torch

    from tweet_topics.encoding.embed import embed_texts
    from tweet_topics.encoding.tokens import Tokeniser
    from tweet_topics.encoding.weights import load_encoder

    started = time.perf_counter()
    views = json.loads((inputs / TEXTS_FILE).read_text(encoding="utf-8"))
    texts = (views * (count // len(views) + 1))[:count]
    distinct = sorted(set(views))[:distinct_count]
    encoder = load_encoder(str(inputs / MODEL_FOLDER), device, dtype="float32")
    cuda = device.startswith("cuda")
    synchronize = torch.cuda.synchronize if cuda else (lambda: None)
    result = {"device": torch.cuda.get_device_name() if cuda else device, "torch": torch.__version__,
              "tweets": len(texts),
              "distinct_tweets": len(distinct), "tweets_per_s": {}, "runs": {}}
    rates = result["tweets_per_s"]

    def measure(name, function, timed_texts=texts):
        if time.perf_counter() - started > budget_s:
            rates[name] = None  # out of budget
            return
        function(timed_texts[:4096])  # warm-up: kernels, allocator, tokenizer threads
        runs = []
        for _ in range(reps):
            synchronize()
            start = time.perf_counter()
            function(timed_texts)
            synchronize()
            runs.append(round(len(timed_texts) / (time.perf_counter() - start)))
        rates[name] = statistics.median(runs)
        result["runs"][name] = runs
        print(f"{name}: {runs}/s", file=sys.stderr, flush=True)

    if shard_texts:  # only featurize's way: one embed_texts call per cache shard, each padding its own short batches
        encoder.half()
        for size in batch_sizes:
            measure(f"embed_texts fp16 batch {size}, {shard_texts:,} texts a call", lambda t, b=size: [
                embed_texts(encoder, t[i:i + shard_texts], b) for i in range(0, len(t), shard_texts)])
        result["seconds"] = round(time.perf_counter() - started, 1)
        return result

    tokeniser = Tokeniser(encoder)
    result["rust_tokenizer_used"] = tokeniser.rust is not None
    measure("tokenise: Rust tokenizer (Tokeniser)", tokeniser)
    measure("tokenise: sentence-transformers preprocess, 2048 a call",
            lambda t: [encoder.preprocess(t[i:i + 2048]) for i in range(0, len(t), 2048)], texts[:40960])
    batch = batch_sizes[0]
    measure(f"embed_texts fp32 batch {batch}", lambda t: embed_texts(encoder, t, batch))
    measure(f"encode fp32 batch {batch}", lambda t: encoder.encode(t, batch_size=batch))
    reference = embed_texts(encoder, distinct, batch)

    encoder.half()
    for size in batch_sizes:
        measure(f"embed_texts fp16 batch {size}", lambda t, b=size: embed_texts(encoder, t, b))
    out = np.empty((len(texts), encoder.get_embedding_dimension()), dtype=np.float32)
    measure(f"embed_texts fp16 batch {batch}, into one preallocated array",
            lambda t: embed_texts(encoder, t, batch, out[:len(t)]))
    measure(f"encode fp16 batch {batch}", lambda t: encoder.encode(t, batch_size=batch))
    half = embed_texts(encoder, distinct, batch)
    cosine = (reference * half).sum(axis=1) / np.linalg.norm(half, axis=1) / np.linalg.norm(reference, axis=1)
    result["fp16_cosine_to_fp32_gpu"] = {"mean": float(cosine.mean()), "min": float(cosine.min()),
                                         "p001": float(np.quantile(cosine, 0.001))}
    subset = distinct[:3000]
    together, kept = embed_texts(encoder, subset, batch), len(subset) // 4
    result["fp16_same_bits"] = {
        "reversed": bool(np.array_equal(embed_texts(encoder, subset[::-1], batch)[::-1], together)),
        "beside_newcomers": bool(np.array_equal(embed_texts(encoder, subset[:kept] + views[-50:], batch)[:kept],
                                                together[:kept])),
        "alone": bool(np.array_equal(np.stack([embed_texts(encoder, [text], batch)[0] for text in subset[:20]]),
                                     together[:20])),
        "in_the_distinct_run": bool(np.array_equal(half[:50], embed_texts(encoder, distinct[:50], batch)))}

    features = encoder.preprocess(texts[:batch])
    result["bare_forward_padded_length"] = int(features["input_ids"].shape[1])
    features = {key: value.to(encoder.device) if hasattr(value, "to") else value for key, value in features.items()}
    with torch.inference_mode():
        encoder(features)
        synchronize()
        start, passes = time.perf_counter(), 20
        for _ in range(passes):
            encoder(features)
        synchronize()
        rates[f"bare forward fp16 batch {batch} (padded, pre-tokenised)"] = round(
            passes * batch / (time.perf_counter() - start))
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--export", type=Path, help="write the inputs for the GPU machine into this folder")
    parser.add_argument("--inputs", type=Path, help="a folder written by --export")
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    parser.add_argument("--tweets", type=int, default=200_000)
    parser.add_argument("--budget-s", type=float, default=300)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--device", default="cuda", help="cpu: a dry run of the script, with a few --tweets")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1024, 256, 4096],
                        help="fp16 runs each; the first is also fp32's, encode's and the checks'")
    parser.add_argument("--reps", type=int, default=1, help="timed passes per rate (the median is reported)")
    parser.add_argument("--shard-texts", type=int,
                        help="measure only fp16 embed_texts called on this many texts at a time (featurize: 131072)")
    parser.add_argument("--distinct", type=int, help="at most this many distinct tweets for the fp16 checks")
    args = parser.parse_args()
    if bool(args.export) == bool(args.inputs):
        parser.error("give one of --export DIR (here) or --inputs DIR (on the GPU machine)")
    result = (export(args.export, args.sample) if args.export
              else bench(args.inputs, args.tweets, args.budget_s, args.device, args.distinct,
                         tuple(args.batch_sizes), args.reps, args.shard_texts))
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
