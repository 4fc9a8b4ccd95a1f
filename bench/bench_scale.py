"""The pipeline at scale: per-stage wall time, throughput and peak memory at 20k, 100k, ... inbound tweets.

Usage: python bench/bench_scale.py [--rows 20000 100000] [--reuse-texts] [--stages-only] [--workdir DIR]
                                   [--out results.json]

For each size, the sample's inbound tweets are replicated with fresh tweet ids into a twcs-format file, a copy of
this project (its git files, committed in a new repository) runs `dvc repro` on it, and the bench reads each
stage's `timings/<stage>.json` (wall seconds from process start, peak RSS). Then, in the same project:
- a no-op `dvc repro`;
- `dvc exp run -S kmeans.n_clusters=10` (cluster, train and evaluate only) against the full run;
- 10% more tweets appended to the raw file and `dvc repro` again: featurize embeds only the new texts (the
  embedding cache), its wall time against the full featurize;
- featurize's embedding against a bare `SentenceTransformer.encode` (batch 64) of the same 4,000 texts, timed in
  one process, as a ratio.
Copies get a marker appended (" #2", " #3", ...) so that every text is distinct and really embedded; with
--reuse-texts they repeat the sample's texts, and featurize embeds only the sample's distinct texts (use it to
time every other stage at sizes where embedding everything on a CPU takes hours).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO.parent / "shared" / "data" / "twcs_sample.csv"
STAGES = ("ingest", "prepare", "preprocess", "featurize", "reduce", "cluster", "train", "evaluate", "sweep")
ENCODE_TEXTS = 4000


def build_raw(sample: Path, rows: int, reuse_texts: bool, path: Path, first_id: int = 10**9) -> pd.DataFrame:
    """`rows` inbound tweets: the sample's, replicated with fresh ids (and, unless reused, distinct texts)."""
    raw = pd.read_csv(sample, dtype=str, keep_default_na=False)
    inbound = raw[raw["inbound"] == "True"].reset_index(drop=True)
    copies = -(-rows // len(inbound))
    frame = pd.concat([inbound] * copies, ignore_index=True).head(rows).copy()
    copy_number = np.arange(len(frame)) // len(inbound)
    frame["tweet_id"] = (first_id + np.arange(len(frame))).astype(str)
    frame["response_tweet_id"] = ""
    frame["in_response_to_tweet_id"] = ""
    if not reuse_texts:
        marker = np.where(copy_number > 0, " #" + (copy_number + 1).astype(str), "")
        frame["text"] = frame["text"] + marker
    frame.to_csv(path, index=False)
    return frame


def copy_project(root: Path) -> Path:
    """This project's git files (code, params, dvc.yaml), committed in a new repository at `root`."""
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if (REPO / name).is_file() and not name.startswith(("tests/", "bench/", "docs/")):
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, root / name)
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["ingest"]["max_inbound"] = 0
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "bench"]):
        subprocess.run(["git", *command], cwd=root, check=True, env=git_env())
    return root


def git_env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": str(REPO / "src"),  # this checkout's package, even beside another editable install
            "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "DVC_NO_ANALYTICS": "1",
            "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
            "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}


def dvc(root: Path, *args: str) -> float:
    """Wall seconds of a DVC command that must succeed."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=root, env=git_env(), capture_output=True,
                            text=True)
    if result.returncode != 0:
        sys.exit(f"dvc {' '.join(args)} failed in {root}:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return time.perf_counter() - start


def timings(root: Path) -> dict[str, dict]:
    folder = root / "timings"
    return {stage: json.loads((folder / f"{stage}.json").read_text()) for stage in STAGES
            if (folder / f"{stage}.json").is_file()}


def encode_ratio(root: Path) -> dict:
    """Featurize's embedding against a bare SentenceTransformer.encode of the same texts, in this process."""
    from tweet_topics.encoding.sentence_encoder import SentenceEncoder
    from tweet_topics.encoding.spec import EncoderSpec
    from tweet_topics.params import load_section

    featurize = load_section("featurize", root / "params.yaml")
    texts = pd.read_parquet(root / "data" / "03_preprocessed" / "discovery.parquet")["embedding_text"]
    texts = texts.head(ENCODE_TEXTS).tolist()
    encoder = SentenceEncoder.load(EncoderSpec.from_params(featurize))
    bare = getattr(encoder.model, "source", encoder.model)  # the torch model under an onnx-int8 encoder
    bare.encode(texts[:64], batch_size=64)  # warm-up
    rates = {"bare_encode": [], "featurize_embed": []}
    for _ in range(2):  # interleaved, so that machine noise hits both
        start = time.perf_counter()
        bare.encode(texts, batch_size=64, convert_to_numpy=True)
        rates["bare_encode"].append(len(texts) / (time.perf_counter() - start))
        start = time.perf_counter()
        encoder.embed(texts)
        rates["featurize_embed"].append(len(texts) / (time.perf_counter() - start))
    medians = {name: float(np.median(values)) for name, values in rates.items()}
    return {**medians, "ratio": medians["featurize_embed"] / medians["bare_encode"], "texts": len(texts)}


def bench_size(rows: int, sample: Path, workdir: Path, reuse_texts: bool, stages_only: bool) -> dict:
    root = workdir / f"rows_{rows}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    project = copy_project(root / "project")
    raw = project / "data" / "00_raw" / "twcs.csv"  # the default raw path: DVC tracks its content
    frame = build_raw(sample, rows, reuse_texts, raw)
    result = {"rows": rows, "distinct_texts": int(frame["text"].nunique()), "full_repro_s": dvc(project, "repro")}
    result["stages"] = timings(project)
    result["noop_repro_s"] = dvc(project, "repro")
    if stages_only:
        return result
    subprocess.run(["git", "add", "-A"], cwd=project, check=True, env=git_env())
    subprocess.run(["git", "commit", "-qm", "full run"], cwd=project, check=True, env=git_env())
    result["exp_run_k10_s"] = dvc(project, "exp", "run", "-S", "kmeans.n_clusters=10")
    subprocess.run(["git", "checkout", "-q", "--", "."], cwd=project, check=True, env=git_env())  # back to k = 8
    dvc(project, "checkout", "--force")

    extra = build_raw(sample, rows // 10, reuse_texts, root / "extra.csv", first_id=2 * 10**9)
    if not reuse_texts:  # texts the first file does not hold
        extra["text"] = extra["text"] + " (appended)"
    extra.to_csv(raw, mode="a", header=False, index=False)  # appended as rows, the file's own bytes untouched
    result["appended_rows"] = len(extra)
    result["append_repro_s"] = dvc(project, "repro")
    result["append_stages"] = timings(project)
    result["encode"] = encode_ratio(project)
    return result


def report(results: list[dict]) -> str:
    lines = ["| rows | stage | wall s | tweets/s | peak RSS MB |", "|---:|---|---:|---:|---:|"]
    for result in results:
        for stage, timing in result["stages"].items():
            rate = result["rows"] / timing["wall_seconds"]
            lines.append(f"| {result['rows']:,} | {stage} | {timing['wall_seconds']:.1f} | {rate:,.0f} | "
                         f"{timing['peak_rss_mb']:,.0f} |")
    lines += ["", "| rows | full `dvc repro` s | no-op repro s | `exp run -S kmeans.n_clusters=10` s | "
              "+10% rows: featurize s (full featurize s) | featurize embed / bare encode |",
              "|---:|---:|---:|---:|---:|---:|"]
    for result in (result for result in results if "append_stages" in result):
        full, appended = result["stages"]["featurize"]["wall_seconds"], result["append_stages"]["featurize"]
        encode = result["encode"]
        lines.append(f"| {result['rows']:,} | {result['full_repro_s']:.0f} | {result['noop_repro_s']:.1f} | "
                     f"{result['exp_run_k10_s']:.0f} ({result['exp_run_k10_s'] / result['full_repro_s']:.0%}) | "
                     f"{appended['wall_seconds']:.0f} ({full:.0f}; {appended['wall_seconds'] / full:.0%}) | "
                     f"{encode['featurize_embed']:.0f}/s / {encode['bare_encode']:.0f}/s = {encode['ratio']:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[20000, 100000])
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/tweet_topics_bench_scale"))
    parser.add_argument("--reuse-texts", action="store_true")
    parser.add_argument("--stages-only", action="store_true",
                        help="only the full and the no-op `dvc repro`: no exp run, append or encode ratio")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if not args.sample.is_file():
        sys.exit(f"bench_scale: {args.sample} not found: pass --sample with a twcs-format CSV")
    results = []
    for rows in args.rows:
        print(f"bench_scale: {rows:,} rows ...", file=sys.stderr, flush=True)
        results.append(bench_size(rows, args.sample, args.workdir, args.reuse_texts, args.stages_only))
        if args.out:
            args.out.write_text(json.dumps(results, indent=2))
    print(report(results))


if __name__ == "__main__":
    main()
