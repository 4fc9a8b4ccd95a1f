"""Benchmark: the Ray engines against the local ones, in one run, with their results compared.

    .venv/bin/python bench/bench_ray.py [--texts 8000] [--placed 40000] [--messages 2000] [--batch 250]
        [--part-batches 2] [--workers 1 2] [--steps featurize reduce predict] [-o bench/results/ray.json]
    python bench/bench_ray.py --scaling --model ENCODER_FOLDER [--workers 1 2 4 8 16] [--placed 80000]
        [--cpu-texts 4000] [--gpu-texts 20000] [--full-scale] [-o bench/results/ray_scaling.json]

On a small machine (the default): for each worker count, a local cluster (a head with no CPUs and that many worker
nodes of 1 CPU, 127.0.0.1 only):
- featurize: `--texts` distinct inbound tweets of the committed sample embedded into an empty cache, the encoder's
  load included (the stage pays it): the local engine (`Encoder.load` + `embedding_cache.embed_into`) against
  `embed_on_ray`; the vectors must be equal;
- reduce: `--placed` tweets placed into a smoothed-PCA reducer fitted on smoothing.max_fit_tweets (50,000) stand-in
  tweets (`reduction.stand_in`: perturbed copies of the sample's embeddings), the local engine (`place_on_all_cores`,
  and one batch at a time for reference) against `place_on_ray`; equal bytes required; the rate gives the time for
  the 1.45M tweets reduce places at 1.5M inbound tweets;
- predict: `--messages` tweets in one file, routed in batches of `--batch` messages (predict's are 2,048; smaller here
  so that a few thousand messages make several parts, of `--part-batches` batches, for the workers): the local loop
  (`predict_stream`) against `predict_on_ray`, each in a process of its own (this script with `--route`), started
  cold as a predict command is (its imports, and the router's load in it or in each actor, included); the parts'
  rows must be the local rows.
  Until run 3 the local loop ran inside this process, after featurize had imported torch and sentence-transformers,
  so the local figure left out the imports that each Ray actor pays.
Ratios are Ray's wall time over the local engine's in the same run (> 1: Ray is slower). The cluster's start is
timed on its own. `--steps` runs some of the three only.

With `--scaling`, from 1 to N workers on a machine with more cores and a GPU (the device machine: 16 cores, one H200;
research/device_carry.py says what travels there and why the encoder is rebuilt from int8 weights, so predict is not
measured there). Steps, each timed on its own:
- embeddings: `--gpu-texts` distinct inbound tweets embedded by the local engine (on the GPU when there is one, the
  encoder's load included); they seed the reduce steps;
- featurize on the GPU: the same texts by `embed_on_ray` on a cluster with one GPU worker, vectors compared;
- local CPU: `--cpu-texts` texts embedded on every core; the smoothed-PCA reducer fitted on stand-in tweets as above,
  and `--placed` tweets placed on every core;
- with `--full-scale` (before the worker counts): 1,450,000 tweets placed by the local engine on every core, the
  time reduce takes to place the tweets of a 1.5M run that it did not fit on; each worker count's rate gives Ray's;
- for each worker count, in the order given: a local cluster (a head with no CPUs, one worker node of that many
  CPUs, 127.0.0.1 only); the `--cpu-texts` texts embedded by that many encoder actors; and `--batches-per-worker`
  reduce batches per worker placed by `place_on_ray` and by `place_on_all_cores` (the same work per worker at every
  count, so that each worker has some); equal vectors and bytes are checked, not assumed.
The scaling JSON is rewritten after every step, so a run cut short keeps what it measured.

The module imports only the standard library at the top: `--route` (the cold predict process) imports what a
predict command imports, and nothing more.
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

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
STEPS = ("featurize", "reduce", "predict")


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, round(time.perf_counter() - start, 2)


def inbound(limit: int):
    """The committed sample's first `limit` inbound tweets with distinct texts (tweet_id, text)."""
    import pandas as pd

    from tweet_topics.paths import SAMPLE

    frame = pd.read_csv(REPO / SAMPLE, dtype=str, keep_default_na=False)
    return frame[frame["inbound"] == "True"].drop_duplicates("text").head(limit)[["tweet_id", "text"]]


def embed_locally(spec, texts: list[str], root: Path):
    """featurize's local engine: the encoder loaded, then every text embedded into an empty cache at `root`."""
    from tweet_topics.encoding.backends import load_text_encoder
    from tweet_topics.encoding.embedding_cache import EmbeddingCache, embed_into, text_keys

    encoder = load_text_encoder(spec)
    cache = EmbeddingCache.open(root, encoder.recipe())
    keys = text_keys(texts)
    embed_into(cache, encoder, texts, keys, cache.missing(keys))
    return cache


def gathered(cache, texts: list[str]):
    import numpy as np

    from tweet_topics.encoding.embedding_cache import text_keys

    return np.vstack(list(cache.blocks(text_keys(texts))))


def reducer_on_copies(vectors):
    """A smoothed-PCA reducer (params.yaml's settings) fitted on smoothing.max_fit_tweets stand-in tweets made from
    `vectors`, and the seconds the fit took."""
    from dataclasses import replace

    from tweet_topics.params import REDUCE_SECTIONS, ReductionParams, load_sections
    from tweet_topics.reduction.reduce import fit_reducer
    from tweet_topics.reduction.stand_in import perturbed_copies

    reduction = ReductionParams.from_sections(load_sections(*REDUCE_SECTIONS))
    reference = perturbed_copies(vectors, reduction.smoothing.max_fit_tweets, seed=0)
    smoothed = replace(reduction, reduce=replace(reduction.reduce, method="smoothed-pca"))
    (reducer, _), seconds = timed(fit_reducer, reference, smoothed)
    return reducer, seconds


def route_file(engine: str, models: str, source: str, output: str, batch: str, part_batches: str = "0") -> None:
    """One message file routed by predict's local engine, or on Ray (the cluster at RAY_ADDRESS) into parts in the
    folder `output`, in batches of `batch` messages: the `--route` process."""
    if engine == "ray":
        from tweet_topics.scale.ray_predict import RouteJob, predict_on_ray

        job = RouteJob(str(Path(models).resolve()))
        predict_on_ray(job, Path(source), Path(output), int(batch), int(part_batches))
        return
    from tweet_topics.serving.messages import read_batches
    from tweet_topics.serving.predict import predict_stream
    from tweet_topics.serving.router import Router, TrainedTopics

    topics = TrainedTopics.load(Path(models))
    router = Router.load(Path(models), None, None, topics)
    predict_stream(topics, router.assess, read_batches(Path(source), "csv", "text", None, int(batch)), Path(output),
                   "csv", progress=False)


def route_in_a_process(engine: str, *arguments: object, address: str | None = None) -> None:
    """This script's `--route` as a process of its own, started cold, on `engine` (ray: the cluster at `address`)."""
    env = {**os.environ, **({"RAY_ADDRESS": address} if address else {})}
    subprocess.run([sys.executable, __file__, "--route", engine, *map(str, arguments)], check=True, env=env)


def compare(args: argparse.Namespace) -> None:
    """The default run: each engine against the local one on this machine."""

    import numpy as np

    from tweet_topics.encoding.embedding_cache import text_keys
    from tweet_topics.encoding.spec import EncoderSpec
    from tweet_topics.params import load_section
    from tweet_topics.reduction.reduce import place_on_all_cores, reduce_embeddings
    from tweet_topics.reduction.stand_in import FULL_SCALE_PLACED, perturbed_copies
    from tweet_topics.scale.ray_cluster import LocalCluster
    from tweet_topics.scale.ray_embed import embed_on_ray
    from tweet_topics.scale.ray_reduce import place_on_ray

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
            FULL_SCALE_PLACED / (args.placed / local["reduce_place_seconds"]) / 60, 1)
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
                    FULL_SCALE_PLACED / (args.placed / run["reduce_place_seconds"]) / 60, 1)
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


def machine() -> dict:
    described = {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine()}
    try:
        import torch

        if torch.cuda.is_available():
            described["gpu"] = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return described


def scaling(args: argparse.Namespace) -> None:
    """`--scaling`: from 1 to N workers, and the full scale's placement, on the machine with more cores."""
    from dataclasses import replace

    import numpy as np

    from tweet_topics.encoding.embedding_cache import text_keys
    from tweet_topics.encoding.spec import EncoderSpec
    from tweet_topics.params import load_section
    from tweet_topics.reduction.reduce import REDUCE_BATCH, place_on_all_cores
    from tweet_topics.reduction.stand_in import FULL_SCALE_PLACED, perturbed_copies
    from tweet_topics.scale.ray_cluster import LocalCluster
    from tweet_topics.scale.ray_embed import embed_on_ray
    from tweet_topics.scale.ray_reduce import place_on_ray

    work = Path(tempfile.mkdtemp(prefix="bench-ray-scaling-"))
    results: dict = {"machine": machine(), "placed": args.placed, "cpu_texts": args.cpu_texts,
                     "gpu_texts": args.gpu_texts, "steps": {}}

    def record(step: str, figures: dict) -> None:
        results["steps"][step] = figures
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(results, indent=1) + "\n")
        print(step, json.dumps(figures), flush=True)

    spec = EncoderSpec.from_params(replace(load_section("featurize"), model=args.model, device=args.embed_device))
    texts = inbound(args.gpu_texts)["text"].tolist()
    cache, seconds = timed(embed_locally, spec, texts, work / "cache-local")
    vectors = gathered(cache, texts)
    record("featurize_local", {"device": spec.resolved().device, "texts": len(texts), "seconds": seconds,
                               "texts_per_second": round(len(texts) / seconds, 1)})

    if "gpu" in results["machine"] and args.embed_device != "cpu":
        try:
            with LocalCluster(workers=1, cpus=2, gpus=1):
                (ray_cache, _, _), ray_seconds = timed(embed_on_ray, spec, work / "cache-ray-gpu", texts,
                                                       text_keys(texts))
                same = bool(np.array_equal(gathered(ray_cache, texts), vectors))
            record("featurize_ray_gpu", {"seconds": ray_seconds, "ratio_to_local": round(ray_seconds / seconds, 3),
                                         "same_vectors": same})
        except Exception as error:  # noqa: BLE001 - recorded, and the CPU steps still run
            record("featurize_ray_gpu", {"error": f"{type(error).__name__}: {str(error)[-1500:]}"})

    cpu_spec = EncoderSpec.from_params(replace(load_section("featurize"), model=args.model, device="cpu"))
    cpu_texts = texts[:args.cpu_texts]
    if cpu_texts:
        cpu_cache, cpu_seconds = timed(embed_locally, cpu_spec, cpu_texts, work / "cache-cpu-local")
        cpu_vectors = gathered(cpu_cache, cpu_texts)
    reducer, fit_seconds = reducer_on_copies(vectors)
    points = perturbed_copies(vectors, args.placed, seed=1)
    local_placed, place_seconds = timed(place_on_all_cores, reducer, points)
    record("local_cpu", {"featurize_seconds": cpu_seconds if cpu_texts else None, "reduce_fit_seconds": fit_seconds,
                         "reduce_place_seconds": place_seconds,
                         "placed_per_second": round(args.placed / place_seconds, 1)})

    if args.full_scale:
        full = perturbed_copies(vectors, FULL_SCALE_PLACED, seed=2)
        _, full_seconds = timed(place_on_all_cores, reducer, full)
        record("full_scale_local", {"placed": FULL_SCALE_PLACED, "minutes": round(full_seconds / 60, 2),
                                    "placed_per_second": round(FULL_SCALE_PLACED / full_seconds, 1)})
        del full

    many = perturbed_copies(vectors, args.batches_per_worker * REDUCE_BATCH * max(args.workers), seed=3)
    for workers in args.workers:
        rows = many[:args.batches_per_worker * REDUCE_BATCH * workers]  # the same work per worker at each count
        local_rows, local_seconds = timed(place_on_all_cores, reducer, rows)
        figures = {"placed": len(rows), "local_place_seconds": local_seconds}
        started = time.perf_counter()
        with LocalCluster(workers=1, cpus=workers):
            figures["cluster_start_seconds"] = round(time.perf_counter() - started, 2)
            if cpu_texts:
                (ray_cache, _, _), embed_seconds = timed(embed_on_ray, cpu_spec, work / f"cache-ray-{workers}",
                                                         cpu_texts, text_keys(cpu_texts))
                figures.update(featurize_seconds=embed_seconds,
                               featurize_ratio_to_local=round(embed_seconds / cpu_seconds, 3),
                               featurize_same_vectors=bool(np.array_equal(gathered(ray_cache, cpu_texts),
                                                                          cpu_vectors)))
            ray_rows, ray_seconds = timed(place_on_ray, reducer, rows)
        figures.update(reduce_place_seconds=ray_seconds, placed_per_second=round(len(rows) / ray_seconds, 1),
                       reduce_ratio_to_local=round(ray_seconds / local_seconds, 3),
                       reduce_same_bytes=bool(np.array_equal(ray_rows, local_rows)))
        record(f"ray_{workers}_workers", figures)
    one = results["steps"].get("ray_1_workers")
    if one:
        record("reduce_speedup_over_1_worker", {
            f"{workers}_workers": round(results["steps"][f"ray_{workers}_workers"]["placed_per_second"]
                                        / one["placed_per_second"], 2) for workers in args.workers})
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scaling", action="store_true", help="1 to N workers on a machine with more cores")
    parser.add_argument("--workers", type=int, nargs="+", help="default: 1 2 (--scaling: 1 2 4 8 16)")
    parser.add_argument("--placed", type=int, help="tweets placed (default: 40000; --scaling: 80000)")
    parser.add_argument("-o", "--output", type=Path,
                        help="default: bench/results/ray.json (--scaling: bench/results/ray_scaling.json)")
    compared = parser.add_argument_group("the default run")
    compared.add_argument("--texts", type=int, default=8000)
    compared.add_argument("--messages", type=int, default=2000)
    compared.add_argument("--batch", type=int, default=250)
    compared.add_argument("--part-batches", type=int, default=2)
    compared.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS))
    compared.add_argument("--models", type=Path, default=REPO / "models")
    scaled = parser.add_argument_group("--scaling")
    scaled.add_argument("--model", help="the encoder's folder (featurize.model); required with --scaling")
    scaled.add_argument("--batches-per-worker", type=int, default=2,
                        help="reduce batches (8,192 tweets) placed per worker at each worker count")
    scaled.add_argument("--embed-device", default="auto", help="where the first texts are embedded")
    scaled.add_argument("--cpu-texts", type=int, default=4_000)
    scaled.add_argument("--gpu-texts", type=int, default=20_000)
    scaled.add_argument("--full-scale", action="store_true")
    parser.add_argument("--route", nargs="+", help=argparse.SUPPRESS)  # ENGINE MODELS SOURCE OUTPUT BATCH [PARTS]
    args = parser.parse_args()
    if args.route:
        route_file(*args.route)
        return
    if args.scaling and not args.model:
        parser.error("--scaling needs --model ENCODER_FOLDER")
    args.workers = args.workers or ([1, 2, 4, 8, 16] if args.scaling else [1, 2])
    args.placed = args.placed or (80_000 if args.scaling else 40_000)
    args.output = args.output or RESULTS / ("ray_scaling.json" if args.scaling else "ray.json")
    (scaling if args.scaling else compare)(args)


if __name__ == "__main__":
    main()
