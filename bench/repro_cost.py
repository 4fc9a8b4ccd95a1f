"""What a full `dvc repro` costs: every stage forced, from an empty embedding cache, in a given project folder (this
repository or a git worktree of another commit), with the wall time of the whole command and each stage's own
timings file. Run the projects one after the other on a quiet machine and compare them in one results file.

    .venv/bin/python bench/repro_cost.py --label after .
    .venv/bin/python bench/repro_cost.py --label before ../baseline   # a worktree of the earlier commit
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "repro_cost.json"
STAGES = ["ingest", "prepare", "preprocess", "featurize", "reduce", "cluster", "sweep", "train", "evaluate"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path, help="the project folder to reproduce")
    parser.add_argument("--label", required=True, help="the name of this run in the results file")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    project = args.project.resolve()
    shutil.rmtree(project / "data" / "embedding_cache", ignore_errors=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=project, capture_output=True, text=True,
                            check=True).stdout.strip()
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "HF_HUB_OFFLINE": "1", "DVC_NO_ANALYTICS": "1"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dvc", "repro", "-f", "dvc.yaml"], cwd=project, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    total = time.perf_counter() - started
    folder = project / "timings"
    if not folder.is_dir():
        folder = project / "metrics" / "timings"  # where commits before the timings moved wrote them
    stages = {path.stem: json.loads(path.read_text())
              for path in sorted(folder.glob("*.json")) if path.stem not in ("labelled", "score")}
    results = json.loads(args.out.read_text()) if args.out.is_file() else {}
    results[args.label] = {"commit": commit, "total_seconds": round(total, 1), "stages": stages}
    if {"before", "after"} <= set(results):
        results["after_over_before"] = round(results["after"]["total_seconds"] / results["before"]["total_seconds"],
                                             3)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"{args.label} ({commit}): dvc repro -f in {total:.0f} s", file=sys.stderr)


def table(results: dict) -> str:
    """Each stage's wall seconds (from process start) and peak memory, before and after, and the whole command."""
    before, after = results["before"], results["after"]
    lines = [f"| stage | before ({before['commit']}) s | after s | after peak RSS MB |", "|---|---|---|---|"]
    for stage in sorted(after["stages"], key=lambda name: STAGES.index(name) if name in STAGES else len(STAGES)):
        timing = after["stages"][stage]
        old = before["stages"].get(stage, {}).get("wall_seconds")
        lines.append(f"| {stage} | {'' if old is None else f'{old:.1f}'} | {timing['wall_seconds']:.1f} | "
                     f"{timing['peak_rss_mb']:.0f} |")
    lines.append(f"| `dvc repro -f`, whole | {before['total_seconds']:.1f} | {after['total_seconds']:.1f} | |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
