"""Embedding throughput on one GPU: featurize's own `embed_texts` against `SentenceTransformer.encode` and the bare
model forward, in fp32 and fp16, at several batch sizes. One short run (about 3 minutes on an H100) for the device
tool; it prints one JSON object.

Usage: python bench/bench_gpu.py [--tweets 200000] [--device cuda] [--sample ../shared/data/twcs_sample.csv]
       [--budget-s 240]

The sample's inbound tweets (embedding view) are repeated to --tweets texts. Each measurement is a warm-up and one
timed pass; measurements stop when --budget-s is spent, so the run fits the device tool's limit. Also measured:
tokenisation alone (the CPU work a GPU run must overlap), and the cosine of fp16 to fp32 vectors.
"""

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
SAMPLE = REPO.parent / "shared" / "data" / "twcs_sample.csv"
MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def repeated_tweet_views(sample: Path, count: int) -> list[str]:
    from bench_onnx_int8 import tweet_views  # this folder is on sys.path when a script runs from it

    views = tweet_views(sample, count)
    return (views * (count // len(views) + 1))[:count]


def timed(function, synchronize) -> float:
    start = time.perf_counter()
    function()
    synchronize()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tweets", type=int, default=200_000)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    parser.add_argument("--budget-s", type=float, default=240)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[256, 1024, 4096],
                        help="fp16 uses all of them, fp32 the first two")
    args = parser.parse_args()
    import numpy as np
    import torch

    from tweet_topics.embed import embed_texts, load_encoder, token_lengths

    started = time.perf_counter()
    texts = repeated_tweet_views(args.sample, args.tweets)
    encoder = load_encoder(MODEL, args.device)
    synchronize = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    result = {"device": torch.cuda.get_device_name() if args.device.startswith("cuda") else "cpu",
              "torch": torch.__version__, "tweets": len(texts), "tweets_per_s": {}}
    rates = result["tweets_per_s"]
    result["tokenise_tweets_per_s"] = len(texts) / timed(lambda: token_lengths(encoder, texts), lambda: None)

    def measure(name, function):
        if time.perf_counter() - started > args.budget_s:
            rates[name] = None  # out of budget
            return
        function(texts[:2048])  # warm-up: kernels, allocator
        rates[name] = len(texts) / timed(lambda: function(texts), synchronize)
        print(f"{name}: {rates[name]:,.0f}/s", file=sys.stderr, flush=True)

    for batch in args.batch_sizes[:2]:
        measure(f"embed_texts fp32 batch {batch}", lambda t, b=batch: embed_texts(encoder, t, b))
        measure(f"encode fp32 batch {batch}", lambda t, b=batch: encoder.encode(t, batch_size=b))
    reference = embed_texts(encoder, texts[:2000], args.batch_sizes[0])
    encoder.half()
    for batch in args.batch_sizes:
        measure(f"embed_texts fp16 batch {batch}", lambda t, b=batch: embed_texts(encoder, t, b))
    measure(f"encode fp16 batch {args.batch_sizes[1]}", lambda t: encoder.encode(t, batch_size=args.batch_sizes[1]))
    half = embed_texts(encoder, texts[:2000], args.batch_sizes[0])
    cosine = (reference * half).sum(axis=1) / np.linalg.norm(half, axis=1)
    result["fp16_cosine_to_fp32"] = {"mean": float(cosine.mean()), "min": float(cosine.min())}

    batch = args.batch_sizes[1]
    features = encoder.preprocess(texts[:batch])
    features = {key: value.to(encoder.device) for key, value in features.items() if hasattr(value, "to")}
    with torch.inference_mode():
        encoder(features)
        passes = 20
        rates[f"bare forward fp16 batch {batch} (padded, pre-tokenised)"] = passes * batch / timed(
            lambda: [encoder(features) for _ in range(passes)], synchronize)
    result["seconds"] = time.perf_counter() - started
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
