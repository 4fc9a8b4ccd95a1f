"""Benchmark: `tweet-topics serve` under real HTTP load, on 127.0.0.1 only.

    python bench/bench_service.py [path/to/twcs_sample.csv] [--models models] [--single 200] [--clients 50]
        [--seconds 60] [--batch-size 256] [--batches 4] [-o bench/results/service.json]

Run it after `dvc repro` (or `dvc pull`), from the repository root, on a machine otherwise idle. It starts the
server as a subprocess on a free port of 127.0.0.1, waits for GET /ready, and measures with real inbound tweets:
- (a) one message at a time, one client: latency p50/p99 over `--single` different tweets;
- (b) `--clients` concurrent clients (asyncio + httpx), each posting one message after another for `--seconds`
  (every request bounded by a timeout): requests/s, failed requests, latency p50/p99;
- (c) batches of `--batch-size` different tweets: messages/s, next to featurize's embedding (Encoder.embed, what the
  featurize stage runs) and a bare SentenceTransformer.encode of the same texts, measured in the same run after the
  server has stopped.
The figures go to a JSON file with the machine, the command and the load average before and after.
"""

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SAMPLE = REPO.parent / "shared" / "data" / "twcs_sample.csv"
REQUEST_TIMEOUT_S = 600  # a request waits its turn behind every other client's: bounded, but not short


def percentiles(seconds: list[float]) -> dict:
    if not seconds:
        return {"p50_ms": None, "p99_ms": None, "mean_ms": None}
    p50, p99 = np.percentile(np.array(seconds) * 1000, [50, 99])
    return {"p50_ms": round(float(p50), 1), "p99_ms": round(float(p99), 1),
            "mean_ms": round(float(np.mean(seconds)) * 1000, 1)}


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(), "system": platform.system()}


def start_server(models: Path, log: Path) -> tuple[subprocess.Popen, str, float]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "tweet_topics", "serve", "--models", str(models), "--host",
                                "127.0.0.1", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=log.open("w"))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/ready", timeout=5).status_code == 200:
                return process, url, time.perf_counter() - start
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the server did not get ready; its log: {log}")


def sequential(url: str, texts: list[str]) -> dict:
    latencies, failed = [], 0
    with httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT_S) as client:
        for text in texts:
            start = time.perf_counter()
            try:
                ok = client.post("/predict", json={"text": text}).status_code == 200
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - start)
            failed += not ok
    return {"requests": len(texts), "failed": failed, **percentiles(latencies)}


def server_side_latencies(log: Path, first: int, requests: int) -> dict:
    """p50/p99 of POST /predict number `first` to `first + requests` as the server logged them (`latency_ms`,
    receiving the request to sending the answer: what the client adds on top is its own HTTP stack, its scheduling
    and the loopback), and how many requests shared an encoder run, on average per request."""
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    logged = [line for line in lines if line.get("path") == "/predict"][first:first + requests]
    shared = [line["run_requests"] for line in logged if "run_requests" in line]
    return {**percentiles([line["latency_ms"] / 1000 for line in logged]),
            "mean_run_requests": round(float(np.mean(shared)), 1) if shared else None}


async def concurrent(url: str, texts: list[str], clients: int, seconds: float) -> dict:
    latencies, failures = [], {}
    deadline = time.monotonic() + seconds

    async def client_loop(number: int, client: httpx.AsyncClient) -> None:
        index = number
        while time.monotonic() < deadline:  # starts no request after the deadline; each is bounded by its timeout
            start = time.perf_counter()
            try:
                answer = await client.post("/predict", json={"text": texts[index % len(texts)]})
                why = None if answer.status_code == 200 else f"HTTP {answer.status_code}"
            except httpx.HTTPError as error:
                why = type(error).__name__
            latencies.append(time.perf_counter() - start)
            if why:
                failures[why] = failures.get(why, 0) + 1
            index += clients

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    start = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S, limits=limits) as client:
        await asyncio.gather(*(client_loop(number, client) for number in range(clients)))
    elapsed = time.perf_counter() - start
    return {"clients": clients, "seconds": seconds, "elapsed_s": round(elapsed, 1), "requests": len(latencies),
            "failed": sum(failures.values()), "failures": failures,
            "requests_per_s": round(len(latencies) / elapsed, 2), **percentiles(latencies)}


def batches(url: str, texts: list[str], batch_size: int, count: int) -> dict:
    routed, seconds = 0, 0.0
    with httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT_S) as client:
        for number in range(count):
            batch = texts[number * batch_size:(number + 1) * batch_size]
            start = time.perf_counter()
            answer = client.post("/predict", json={"messages": [{"text": text} for text in batch]})
            seconds += time.perf_counter() - start
            assert answer.status_code == 200, answer.text
            routed += len(answer.json()["predictions"])
    return {"batch_size": batch_size, "batches": count, "messages": routed, "seconds": round(seconds, 2),
            "messages_per_s": round(routed / seconds, 1)}


def embedding_rates(models: Path, texts: list[str]) -> dict:
    """featurize's embedding (Encoder.embed) and a bare SentenceTransformer.encode of the same texts, per second."""
    from tweet_topics.serving.router import Router

    router = Router.load(models)
    views = router.messages.encoder_texts(texts)
    encoder = router.messages.encoder
    encoder.embed(views[:64])  # warm-up
    start = time.perf_counter()
    encoder.embed(views)
    featurize = len(views) / (time.perf_counter() - start)
    bare = None
    if hasattr(encoder.model, "encode"):  # a SentenceTransformer; the int8 ONNX encoder has no bare encode
        start = time.perf_counter()
        encoder.model.encode(views, batch_size=encoder.spec.batch_size, convert_to_numpy=True,
                             show_progress_bar=False)
        bare = round(len(views) / (time.perf_counter() - start), 1)
    return {"featurize_embed_per_s": round(featurize, 1), "bare_encode_per_s": bare,
            "device": encoder.spec.device, "encoder_batch_size": encoder.spec.batch_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sample", type=Path, nargs="?", default=DEFAULT_SAMPLE)
    parser.add_argument("--models", type=Path, default=Path("models"))
    parser.add_argument("--single", type=int, default=200, help="messages sent one at a time, one client")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("-o", "--output", type=Path, default=REPO / "bench" / "results" / "service.json")
    parser.add_argument("--keep-log", action="store_true", help="keep the server's log beside the output (.log)")
    args = parser.parse_args()

    raw = pd.read_csv(args.sample, dtype=str, keep_default_na=False)
    texts = list(dict.fromkeys(raw.loc[raw["inbound"].str.lower().isin(["true", "1"]), "text"]))
    load_before = os.getloadavg()
    log = args.output.with_suffix(".log")
    process, url, ready_s = start_server(args.models, log)
    try:
        print(f"ready after {ready_s:.1f} s; (a) {args.single} messages one at a time", file=sys.stderr)
        single = sequential(url, texts[:args.single])
        single["server_side"] = server_side_latencies(log, 0, args.single)
        print(f"(a) {single}; (b) {args.clients} clients for {args.seconds:.0f} s", file=sys.stderr)
        load = asyncio.run(concurrent(url, texts[args.single:], args.clients, args.seconds))
        load["server_side"] = server_side_latencies(log, args.single, load["requests"])
        print(f"(b) {load}; (c) {args.batches} batches of {args.batch_size}", file=sys.stderr)
        batch_texts = texts[-args.batch_size * args.batches:]
        batch = batches(url, batch_texts, args.batch_size, args.batches)
    finally:
        process.send_signal(signal.SIGTERM)
        exit_code = process.wait(300)
    batch.update(embedding_rates(args.models, batch_texts))
    batch["ratio_to_featurize"] = round(batch["messages_per_s"] / batch["featurize_embed_per_s"], 3)
    manifest = json.loads((args.models / "manifest.json").read_text())
    result = {
        "command": "python bench/bench_service.py " + " ".join(sys.argv[1:]), "machine": machine(),
        "models": {"reduction": manifest["params"]["reduce"]["method"], "topics": len(manifest["labels"]),
                   "encoder_backend": manifest.get("encoder", {}).get("backend", "torch")},
        "load_average_1min": {"before": round(load_before[0], 2), "after": round(os.getloadavg()[0], 2)},
        "startup_to_ready_s": round(ready_s, 1), "single": single, "concurrent": load, "batch": batch,
        "server_exit_code": exit_code}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    if not args.keep_log:
        log.unlink(missing_ok=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
