"""Benchmark: the Ray engines against the local ones on this machine, in one run, with their results compared.

    .venv/bin/python bench/bench_ray.py [--texts 8000] [--placed 40000] [--messages 2000] [--batch 250]
        [--part-batches 2] [--workers 1 2] [--steps featurize reduce predict]
        [-o bench/results/ray.json]

For each worker count (a local cluster: a head with no CPUs and that many worker nodes of 1 CPU, 127.0.0.1 only):
- featurize: `--texts` distinct inbound tweets of the committed sample embedded into an empty cache, the encoder's
  load included (the stage pays it): the local engine (`Encoder.load` + `embed_new_texts`) against `embed_on_ray`;
  the vectors must be equal;
- reduce: `--placed` tweets placed into a smoothed-PCA reducer fitted on 50,000 (the pipeline's max_fit_tweets;
  perturbed copies of the sample's embeddings, as bench/reduce_scale.py makes them), the local engine
  (`place_on_all_cores`, and one batch at a time for reference) against `place_on_ray`; equal bytes required; the
  rate gives the time for the 1.45M tweets reduce places at 1.5M inbound tweets;
- predict: `--messages` tweets in one file, routed in batches of `--batch` messages (predict's are 2,048; smaller here
  so that a few thousand messages make several parts, of `--part-batches` batches, for the workers): the local loop
  (`predict_stream`) against `predict_on_ray`, each in a process of its own (bench/route_file.py), started cold as
  a predict command is (its imports, and the router's load in it or in each actor, included); the parts' rows
  must be the local rows.
  Until run 3 the local loop ran inside this process, after featurize had imported torch and sentence-transformers,
  so the local figure left out the imports that each Ray actor pays.
Ratios are Ray's wall time over the local engine's in the same run (> 1: Ray is slower). The cluster's start is
timed on its own. `--steps` runs some of the three only.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "stages"))

from ray_common import embed_locally, gathered, inbound, reducer_on_copies, timed  # noqa: E402
from reduce_scale import FULL_SCALE_TRANSFORMED, perturbed_copies  # noqa: E402

from tweet_topics.encoding.embedding_cache import text_keys  # noqa: E402
from tweet_topics.encoding.encoder import EncoderSpec  # noqa: E402
from tweet_topics.params import load_section  # noqa: E402
from tweet_topics.reduction.reduce import (  # noqa: E402
    place_on_all_cores,
    reduce_embeddings,
)
from tweet_topics.scale.ray_cluster import LocalCluster  # noqa: E402
from tweet_topics.scale.ray_embed import embed_on_ray  # noqa: E402
from tweet_topics.scale.ray_reduce import place_on_ray  # noqa: E402

STEPS = ("featurize", "reduce", "predict")


def route_in_a_process(engine: str, *arguments: object, address: str | None = None) -> None:
    """bench/route_file.py as a process of its own, started cold, on `engine` (ray: the cluster at `address`)."""
    env = {**os.environ, **({"RAY_ADDRESS": address} if address else {})}
    subprocess.run([sys.executable, str(REPO / "bench" / "route_file.py"), engine, *map(str, arguments)], check=True,
                   env=env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=8000)
    parser.add_argument("--placed", type=int, default=40000)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=250)
    parser.add_argument("--part-batches", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS))
    parser.add_argument("--models", type=Path, default=REPO / "models")
    parser.add_argument("-o", "--output", type=Path, default=REPO / "bench" / "results" / "ray.json")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    spec = EncoderSpec.from_params(load_section("featurize"))
    tweets = inbound(max(args.texts, args.messages))
    texts = tweets["text"].tolist()[:args.texts]
    local: dict = {}
    results = {
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine()},
        "command": " ".join(["python", "bench/bench_ray.py", *sys.argv[1:]]), "steps": args.steps,
        "texts": len(texts), "placed": args.placed, "messages": args.messages, "predict_batch": args.batch,
        "local": local, "ray": {},
    }
    if "featurize" in args.steps or "reduce" in args.steps:
        local_cache, local["featurize_seconds"] = timed(embed_locally, spec, texts, work / "cache-local")
        local_vectors = gathered(local_cache, texts)
    if "reduce" in args.steps:
        reducer, local["reduce_fit_seconds"] = reducer_on_copies(local_vectors)
        points = perturbed_copies(local_vectors, args.placed, seed=1)
        one_batch_at_a_time, local["reduce_place_one_batch_at_a_time_seconds"] = timed(reduce_embeddings, reducer,
                                                                                      points)
        local_placed, local["reduce_place_seconds"] = timed(place_on_all_cores, reducer, points)
        local["reduce_same_bytes_as_one_batch_at_a_time"] = bool(np.array_equal(local_placed, one_batch_at_a_time))
        local["minutes_for_1_45m_placed"] = round(
            FULL_SCALE_TRANSFORMED / (args.placed / local["reduce_place_seconds"]) / 60, 1)
    if "predict" in args.steps:
        tweets.head(args.messages).to_csv(work / "messages.csv", index=False)
        _, local["predict_seconds"] = timed(route_in_a_process, "local", args.models, work / "messages.csv",
                                            work / "local.csv", args.batch)
        local_rows = (work / "local.csv").read_text().splitlines()

    for workers in args.workers:
        started = time.perf_counter()
        with LocalCluster(workers=workers, cpus=1) as cluster:
            run = {"address": cluster.address, "cluster_start_seconds": round(time.perf_counter() - started, 2)}
            if "featurize" in args.steps:
                (ray_cache, _, _), run["featurize_seconds"] = timed(embed_on_ray, spec, work / f"cache-ray-{workers}",
                                                                    texts, text_keys(texts))
                run["featurize_ratio"] = round(run["featurize_seconds"] / local["featurize_seconds"], 3)
                run["featurize_same_vectors"] = bool(np.array_equal(gathered(ray_cache, texts), local_vectors))
            if "reduce" in args.steps:
                ray_placed, run["reduce_place_seconds"] = timed(place_on_ray, reducer, points)
                run["reduce_ratio"] = round(run["reduce_place_seconds"] / local["reduce_place_seconds"], 3)
                run["reduce_same_bytes"] = bool(np.array_equal(ray_placed, local_placed))
                run["minutes_for_1_45m_placed"] = round(
                    FULL_SCALE_TRANSFORMED / (args.placed / run["reduce_place_seconds"]) / 60, 1)
            if "predict" in args.steps:
                routed = work / f"routed-{workers}"
                _, run["predict_seconds"] = timed(route_in_a_process, "ray", args.models, work / "messages.csv",
                                                  routed, args.batch, args.part_batches, address=cluster.address)
                part_rows = []
                for index, part in enumerate(sorted(routed.glob("messages-*.csv"))):
                    lines = part.read_text().splitlines()
                    part_rows += lines if index == 0 else lines[1:]
                run["predict_ratio"] = round(run["predict_seconds"] / local["predict_seconds"], 3)
                run["predict_parts"] = len(list(routed.glob("messages-*.csv")))
                run["predict_same_rows"] = part_rows == local_rows
            results["ray"][f"{workers}_workers"] = run
        print(json.dumps(run), flush=True)
    shutil.rmtree(work, ignore_errors=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
