"""Run a stage's main: a UserError becomes one line and exit code 2; wall time and peak memory are recorded."""

import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from tweet_topics.atomic import write_json
from tweet_topics.errors import UserError

# git-ignored and not a DVC output: they differ on every run, and a fresh `dvc repro` of the committed run must leave
# dvc.lock and metrics/ as they are (bench/repro_cost.py keeps a run's timings as a committed result)
TIMINGS_DIR = Path("timings")


def run_stage(name: str, main: Callable[[], None]) -> None:
    try:
        main()
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    write_json(TIMINGS_DIR / f"{name}.json", {
        # from process start, so the imports (seconds for torch and sklearn) count too
        "wall_seconds": round(time.time() - psutil.Process().create_time(), 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    })
