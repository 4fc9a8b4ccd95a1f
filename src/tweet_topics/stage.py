"""Run a stage's main: a UserError becomes one line and exit code 2; wall time and peak memory are recorded."""

import resource
import sys
import time
from collections.abc import Callable

import psutil

from tweet_topics.errors import UserError
from tweet_topics.io.atomic import write_json
from tweet_topics.paths import TIMINGS


def run_stage(name: str, main: Callable[[], None]) -> None:
    try:
        main()
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    write_json(TIMINGS / f"{name}.json", {
        # from process start, so the imports (seconds for torch and sklearn) count too
        "wall_seconds": round(time.time() - psutil.Process().create_time(), 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    })
