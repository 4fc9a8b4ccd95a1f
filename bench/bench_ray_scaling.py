"""Benchmark: the Ray engines from 1 to N workers on a machine with more cores and a GPU, and reduce's placement of
the 1.45M tweets a full run places, in one run; results compared with the local engine's.

    python bench/bench_ray_scaling.py --model ENCODER_FOLDER [--workers 1 2 4 8 16] [--placed 80000]
        [--cpu-texts 4000] [--gpu-texts 20000] [--full-scale] [-o bench/results/ray_scaling.json]

bench/bench_ray.py is the same comparison on the 2-core machine (all three engines, the trained router included);
this one is for the device machine (16 cores, one H200: bench/device_carry.py says what travels there and why the
encoder is rebuilt from int8 weights, so predict is not measured here). Steps, each timed on its own:
- embeddings: `--gpu-texts` distinct inbound tweets of the committed sample, embedded by the local engine (on the
  GPU when there is one, the encoder's load included); they seed the reduce steps;
- featurize on the GPU: the same texts by `embed_on_ray` on a cluster with one GPU worker, vectors compared;
- local CPU: `--cpu-texts` texts embedded on every core; a smoothed-PCA reducer fitted on 50,000 tweets (perturbed
  copies of the embeddings, as bench/reduce_scale.py makes them), and `--placed` tweets placed on every core;
- for each worker count, in the order given: a local cluster (a head with no CPUs, one worker node of that many
  CPUs, 127.0.0.1 only); the `--cpu-texts` texts embedded by that many encoder actors; and `--batches-per-worker`
  reduce batches per worker placed by `place_on_ray` and by `place_on_all_cores` (the same work per worker at every
  count, so that each worker has some); equal vectors and bytes are checked, not assumed;
- with `--full-scale` (before the worker counts): 1,450,000 tweets placed by the local engine on every core, the
  time reduce takes to place the tweets of a 1.5M run that it did not fit on; each worker count's rate gives Ray's.
The JSON is rewritten after every step, so a run cut short keeps what it measured.
"""

import argparse
import json
import os
import platform
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
from tweet_topics.reduction.reduce import REDUCE_BATCH, place_on_all_cores  # noqa: E402
from tweet_topics.scale.ray_cluster import LocalCluster  # noqa: E402
from tweet_topics.scale.ray_embed import embed_on_ray  # noqa: E402
from tweet_topics.scale.ray_reduce import place_on_ray  # noqa: E402


def machine() -> dict:
    described = {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine()}
    try:
        import torch

        if torch.cuda.is_available():
            described["gpu"] = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return described


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="the encoder's folder (featurize.model)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    parser.add_argument("--placed", type=int, default=80_000)
    parser.add_argument("--batches-per-worker", type=int, default=2,
                        help="reduce batches (8,192 tweets) placed per worker at each worker count")
    parser.add_argument("--embed-device", default="auto", help="where the first texts are embedded")
    parser.add_argument("--cpu-texts", type=int, default=4_000)
    parser.add_argument("--gpu-texts", type=int, default=20_000)
    parser.add_argument("--full-scale", action="store_true")
    parser.add_argument("-o", "--output", type=Path, default=REPO / "bench" / "results" / "ray_scaling.json")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-ray-scaling-"))
    results: dict = {"machine": machine(), "placed": args.placed, "cpu_texts": args.cpu_texts,
                     "gpu_texts": args.gpu_texts, "steps": {}}

    def record(step: str, figures: dict) -> None:
        results["steps"][step] = figures
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(results, indent=1) + "\n")
        print(step, json.dumps(figures), flush=True)

    spec = EncoderSpec.from_params({**load_section("featurize"), "model": args.model, "device": args.embed_device})
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

    cpu_spec = EncoderSpec.from_params({**load_section("featurize"), "model": args.model, "device": "cpu"})
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
        full = perturbed_copies(vectors, FULL_SCALE_TRANSFORMED, seed=2)
        _, full_seconds = timed(place_on_all_cores, reducer, full)
        record("full_scale_local", {"placed": FULL_SCALE_TRANSFORMED, "minutes": round(full_seconds / 60, 2),
                                    "placed_per_second": round(FULL_SCALE_TRANSFORMED / full_seconds, 1)})
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
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
