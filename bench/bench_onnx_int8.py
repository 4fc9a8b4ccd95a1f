"""featurize.backend: onnx-int8 against torch: cosine of the vectors, embedding speed, and the labelled evaluation.

Usage: python bench/bench_onnx_int8.py [--tweets 2000] [--reps 3] [--sample ../shared/data/twcs_sample.csv]
       [--out results.json]

- Cosine: every one of the sample's first --tweets inbound tweets (embedding view), int8 against torch.
- Speed: `embed_texts` of the same tweets, each backend in its own fresh process (so neither shares threads or
  caches with the other), interleaved --reps times; medians. The encoder's load (and int8's export) is not timed.
- Labelled: `labelled_evaluation` of the human-labelled set (labelled.path in params.yaml), params as committed,
  with featurize.backend torch and then onnx-int8: agreement with the human labels.

What the study before it found (2,000 tweets, batch 64, 2 loaded cores): int8 at mean cosine 0.9906 (min 0.9708);
the feed-forward output MatMuls kept in fp32: 0.9949 (0.9844), 6% slower; the fp32 ONNX graph: cosine 1.0 and
1.36x torch. Batched int8 moved a tweet's vector with its batch (min cosine 0.964 between batch 1 and 64), hence
one text per run and one single-threaded session per core.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO.parent / "shared" / "data" / "twcs_sample.csv"
MODEL = "sentence-transformers/all-MiniLM-L6-v2"
BACKENDS = ("torch", "onnx-int8")


def tweet_views(sample: Path, count: int) -> list[str]:
    import pandas as pd

    from tweet_topics.text.cleaner import TweetCleaner

    raw = pd.read_csv(sample, dtype=str, keep_default_na=False)
    cleaner = TweetCleaner(keywords=False)
    return [cleaner.embedding_view(text) for text in raw.loc[raw["inbound"] == "True", "text"].head(count)]


def embed_rate(backend: str, sample: Path, count: int) -> float:
    """Texts per second of embed_texts with `backend`, in this process (the --rate mode)."""
    from dataclasses import replace

    from tweet_topics.encoding.embed import embed_texts
    from tweet_topics.encoding.spec import EncoderSpec
    from tweet_topics.encoding.weights import load_encoder
    from tweet_topics.params import load_section

    texts = tweet_views(sample, count)
    encoder = load_encoder(MODEL, "cpu", backend)
    # featurize's batch size on the CPU (`auto` resolved as the torch encoder resolves it), the same for both
    featurize = load_section("featurize", REPO / "params.yaml")
    batch_size = EncoderSpec.from_params(replace(featurize, device="cpu", backend="torch")).resolved().batch_size
    embed_texts(encoder, texts[:64], batch_size)  # warm-up
    start = time.perf_counter()
    embed_texts(encoder, texts, batch_size)
    return len(texts) / (time.perf_counter() - start)


def speed(sample: Path, count: int, reps: int) -> dict:
    rates: dict[str, list[float]] = {backend: [] for backend in BACKENDS}
    for _ in range(reps):
        for backend in BACKENDS:
            result = subprocess.run([sys.executable, __file__, "--rate", backend, "--tweets", str(count),
                                     "--sample", str(sample)], capture_output=True, text=True, check=True)
            rates[backend].append(float(result.stdout.strip().splitlines()[-1]))
            print(f"  {backend}: {rates[backend][-1]:.1f} tweets/s", file=sys.stderr, flush=True)
    medians = {backend: statistics.median(values) for backend, values in rates.items()}
    return {"tweets_per_s": rates, "median": medians, "ratio": medians["onnx-int8"] / medians["torch"]}


def cosine(sample: Path, count: int) -> dict:
    import numpy as np

    from tweet_topics.encoding.embed import embed_texts
    from tweet_topics.encoding.weights import load_encoder

    texts = tweet_views(sample, count)
    vectors = {backend: embed_texts(load_encoder(MODEL, "cpu", backend), texts, 16) for backend in BACKENDS}
    values = (vectors["torch"] * vectors["onnx-int8"]).sum(axis=1)
    return {"tweets": len(texts), "mean": float(values.mean()), "min": float(values.min()),
            "p01": float(np.quantile(values, 0.01))}


def labelled() -> dict:
    from dataclasses import replace

    from tweet_topics.chain.topic_chain import TopicChain
    from tweet_topics.evaluation.labelled import labelled_evaluation, read_labelled_csv
    from tweet_topics.params import CHAIN_SECTIONS, ChainParams, load_section, load_sections

    params = ChainParams.from_sections(load_sections(*CHAIN_SECTIONS, path=REPO / "params.yaml"))
    frame = read_labelled_csv(REPO / load_section("labelled", REPO / "params.yaml").path)
    scores = {}
    for backend in BACKENDS:
        chain = TopicChain.from_params(replace(params, featurize=replace(params.featurize, backend=backend)))
        result = labelled_evaluation(frame, chain)
        scores[backend] = {key: result[key] for key in ("accuracy", "nmi", "ari")}
    scores["accuracy_points"] = round(100 * (scores["onnx-int8"]["accuracy"] - scores["torch"]["accuracy"]), 2)
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tweets", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--rate", choices=BACKENDS, help=argparse.SUPPRESS)  # one timed run, in a child process
    args = parser.parse_args()
    if args.rate:
        print(embed_rate(args.rate, args.sample, args.tweets))
        return
    results = {"cosine": cosine(args.sample, args.tweets), "speed": speed(args.sample, args.tweets, args.reps),
               "labelled": labelled()}
    print(json.dumps(results, indent=2))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
