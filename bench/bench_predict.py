"""Benchmark: `tweet-topics predict` start-up, single-message latency and batch throughput, with the trained models.

    python bench/bench_predict.py [path/to/twcs_sample.csv] [--models models] [--startup-runs 3] [--messages 200]

Run it after `dvc repro` (or `dvc pull`), from the repository root. It measures, on this machine:
- start-up: the wall time of `python -m tweet_topics predict` on one message, process start to exit (median);
- latency: one message at a time through the loaded router (cleaning, embedding, reduction, classifier), after a
  warm-up, over `--messages` different inbound tweets: p50 and p95;
- throughput: `predict` on every inbound tweet of the sample file (twcs CSV in, CSV out), messages per second,
  next to a bare `SentenceTransformer.encode` of the same texts in the same run (the floor for any router that
  embeds), as a ratio.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tweet_topics.routing.predict import predict_file
from tweet_topics.routing.router import Router

DEFAULT_SAMPLE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "twcs_sample.csv"


def startup_seconds(models: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tweet_topics", "predict", "--models", str(models), "-q"],
                       input="my card was declined twice today\n", text=True, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sample", type=Path, nargs="?", default=DEFAULT_SAMPLE)
    parser.add_argument("--models", type=Path, default=Path("models"))
    parser.add_argument("--startup-runs", type=int, default=3)
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()

    raw = pd.read_csv(args.sample, dtype=str, keep_default_na=False)
    inbound = raw[raw["inbound"].str.lower().isin(["true", "1"])]
    texts = inbound["text"].tolist()

    startup = startup_seconds(args.models, args.startup_runs)

    router = Router.load(args.models, "cpu")
    for text in texts[:20]:
        router.route([text])  # warm-up: first calls compile and allocate
    latencies = []
    for text in texts[20:20 + args.messages]:
        start = time.perf_counter()
        router.route([text])
        latencies.append(time.perf_counter() - start)

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        summary = predict_file(args.models, args.sample, Path(tmp) / "out.csv", device="cpu", progress=False)
        batch_seconds = time.perf_counter() - start
    batch_size = router.messages.encoder.spec.batch_size
    views = router.messages.encoder_view(texts)
    start = time.perf_counter()
    router.messages.encoder.model.encode(views, batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False)
    encode_seconds = time.perf_counter() - start

    p50, p95 = np.percentile(np.array(latencies) * 1000, [50, 95])
    print(f"models: {router.topics.manifest['params']['reduce']['method']} reduction,"
          f" {len(router.topics.labels)} topics; sample: {args.sample} ({len(texts)} inbound tweets)")
    print(f"start-up (one message, process start to exit): median {statistics.median(startup):.2f} s"
          f" over {len(startup)} runs {[round(t, 2) for t in startup]}")
    print(f"single-message latency after warm-up ({len(latencies)} messages): p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    print(f"batch: {summary['n_messages']} messages in {batch_seconds:.1f} s ="
          f" {summary['n_messages'] / batch_seconds:.0f} messages/s; bare encode of the same texts"
          f" {len(views) / encode_seconds:.0f}/s; ratio {encode_seconds / batch_seconds:.2f}")


if __name__ == "__main__":
    main()
