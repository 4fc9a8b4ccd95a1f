"""Benchmark: `tweet-topics predict` start-up, single-message latency step by step, and batch throughput, with the
trained models.

    python bench/bench_predict.py [path/to/twcs_sample.csv] [--models models] [--startup-runs 3] [--messages 200]
        [--batch-messages 3000] [--json bench/results/bench_predict.json]

Run it after `dvc repro` (or `dvc pull`), from the repository root. It measures, on this machine:
- start-up: the wall time of `python -m tweet_topics predict` on one message, process start to exit (median);
- latency: one message at a time through the loaded router, after a warm-up, over `--messages` different inbound
  tweets: `Router.assess` end to end, each of its steps on its own (text view, embedding, reduction, classifier,
  handoff: two neighbour searches), and the three after the embedding as `TrainedTopics.assess` runs them (one
  search when the handoff's reference is the smoothing's), p50 and p99;
- throughput: `predict`'s streaming loop (read, route, write; the router already loaded) on the first
  `--batch-messages` inbound tweets of the sample (twcs CSV in, CSV out), messages per second, next to featurize's
  bare embedding of the same texts (`Encoder.embed`, what featurize runs) and `SentenceTransformer.encode`, in the
  same run, as ratios.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tweet_topics.reduction.reduce import reduce_embeddings
from tweet_topics.serving.messages import read_batches
from tweet_topics.serving.predict import predict_stream
from tweet_topics.serving.router import Router

DEFAULT_SAMPLE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "twcs_sample.csv"


def startup_seconds(models: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tweet_topics", "predict", "--models", str(models), "-q"],
                       input="my card was declined twice today\n", text=True, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def percentiles(seconds: list[float]) -> dict[str, float]:
    p50, p99 = np.percentile(np.array(seconds) * 1000, [50, 99])
    return {"p50_ms": round(float(p50), 2), "p99_ms": round(float(p99), 2)}


def step_latencies(router: Router, texts: list[str]) -> dict[str, dict[str, float]]:
    """Each message through route's steps, timed one by one; checks that the steps give route's probabilities."""
    steps = {"view": [], "embed": [], "reduce": [], "classify": [], "handoff": [], "total": [],
             "assess_after_embed": []}
    for text in texts:
        times = [time.perf_counter()]
        views = router.messages.encoder_texts([text])
        times.append(time.perf_counter())
        embeddings = router.messages.encoder.embed(views)
        times.append(time.perf_counter())
        reduced = reduce_embeddings(router.topics.reducer, embeddings)
        times.append(time.perf_counter())
        probabilities = router.topics.classifier.probabilities(reduced)
        times.append(time.perf_counter())
        router.topics.handoff.scores(embeddings)
        times.append(time.perf_counter())
        for name, start, end in zip(steps, times, times[1:], strict=False):
            steps[name].append(end - start)
        steps["total"].append(times[-1] - times[0])
        start = time.perf_counter()
        router.topics.assess(embeddings)  # reduce, classify and handoff as route runs them: one search when shared
        steps["assess_after_embed"].append(time.perf_counter() - start)
        assert np.array_equal(probabilities, router.assess([text]).probabilities)
    return {name: percentiles(seconds) for name, seconds in steps.items()}


def route_latencies(router: Router, texts: list[str]) -> list[float]:
    latencies = []
    for text in texts:
        start = time.perf_counter()
        router.assess([text])  # what predict and the service run: topics and the handoff
        latencies.append(time.perf_counter() - start)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sample", type=Path, nargs="?", default=DEFAULT_SAMPLE)
    parser.add_argument("--models", type=Path, default=Path("models"))
    parser.add_argument("--startup-runs", type=int, default=3)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--batch-messages", type=int, default=3000)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    raw = pd.read_csv(args.sample, dtype=str, keep_default_na=False)
    inbound = raw[raw["inbound"].str.lower().isin(["true", "1"])]
    texts = inbound["text"].tolist()

    startup = startup_seconds(args.models, args.startup_runs)

    start = time.perf_counter()
    router = Router.load(args.models, "cpu")
    load_seconds = time.perf_counter() - start
    for text in texts[:20]:
        router.route([text])  # warm-up: first calls compile and allocate
    measured = texts[20:20 + args.messages]
    route = percentiles(route_latencies(router, measured))
    steps = step_latencies(router, measured)

    with tempfile.TemporaryDirectory() as tmp:
        batch_file = Path(tmp) / "batch.csv"
        inbound.head(args.batch_messages).to_csv(batch_file, index=False)
        start = time.perf_counter()
        summary = predict_stream(router.topics, router.assess, read_batches(batch_file, "csv", "text", None),
                                 Path(tmp) / "out.csv", "csv", progress=False)
        batch_seconds = time.perf_counter() - start
    views = router.messages.encoder_texts(inbound.head(args.batch_messages)["text"].tolist())
    start = time.perf_counter()
    router.messages.encoder.embed(views)
    embed_seconds = time.perf_counter() - start
    start = time.perf_counter()
    router.messages.encoder.model.encode(views, batch_size=router.messages.encoder.spec.batch_size,
                                         convert_to_numpy=True, show_progress_bar=False)
    encode_seconds = time.perf_counter() - start

    figures = {
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores, {platform.platform()}",
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "models": {"reduction": router.topics.manifest["params"]["reduce"]["method"],
                   "topics": len(router.topics.labels), "search_shared": router.topics.search_shared},
        "sample": {"path": str(args.sample), "inbound": len(texts)},
        "startup_s": {"median": round(statistics.median(startup), 2), "runs": [round(t, 2) for t in startup]},
        "router_load_s": round(load_seconds, 2),
        "single_message": {"messages": len(measured), "route": route, "steps": steps},
        "batch": {"messages": summary["n_messages"], "predict_per_s": round(summary["n_messages"] / batch_seconds, 1),
                  "featurize_embed_per_s": round(len(views) / embed_seconds, 1),
                  "sentence_transformers_encode_per_s": round(len(views) / encode_seconds, 1),
                  "predict_to_featurize_embed": round(embed_seconds / batch_seconds, 3)},
    }
    print(f"models: {figures['models']}; sample: {args.sample} ({len(texts)} inbound tweets)")
    print(f"start-up (one message, process start to exit): median {figures['startup_s']['median']:.2f} s"
          f" over {len(startup)} runs {figures['startup_s']['runs']}; Router.load {load_seconds:.2f} s")
    print(f"single message after warm-up ({len(measured)} messages): route p50 {route['p50_ms']} ms,"
          f" p99 {route['p99_ms']} ms")
    for name, step in steps.items():
        print(f"  {name:8s} p50 {step['p50_ms']:7.2f} ms  p99 {step['p99_ms']:7.2f} ms")
    batch = figures["batch"]
    print(f"batch: {batch['messages']} messages, predict {batch['predict_per_s']}/s; featurize's embedding"
          f" {batch['featurize_embed_per_s']}/s; SentenceTransformer.encode"
          f" {batch['sentence_transformers_encode_per_s']}/s;"
          f" predict / featurize {batch['predict_to_featurize_embed']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
