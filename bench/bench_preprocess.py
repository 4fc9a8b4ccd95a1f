"""Benchmark: both text views of the real inbound sample tweets, on one core, against a plain NLTK cleaner.

    python bench/bench_preprocess.py [path/to/twcs_sample.csv] [--repeats 5] [--baseline-repeats 3]

Each repeat builds a fresh TweetCleaner, so nothing memoised in one repeat helps the next (the memos inside one
``views`` call, for repeated texts and chunks, are part of what is measured). Building a cleaner is timed apart:
the first one in a process loads WordNet (seconds), later ones reuse NLTK's loaded corpus. The baseline is what a
plain row-by-row NLTK cleaner costs here: TweetTokenizer, stopwords and the WordNet lemmatizer, one row at a time,
no memo. Target (issue #3): at least 10,000 tweets per second for both views together.
"""

import os

for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_variable] = "1"  # before numpy loads; the cleaner is pure Python anyway

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from tweet_topics.text.cleaner import TweetCleaner  # noqa: E402

TARGET_TWEETS_PER_SECOND = 10_000
DEFAULT_SAMPLE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "twcs_sample.csv"


class PlainNltkCleaner:
    """The baseline: what one would write first, row by row with NLTK (word_tokenize-free)."""

    def __init__(self) -> None:
        from nltk.corpus import stopwords
        from nltk.stem import WordNetLemmatizer
        from nltk.tokenize import TweetTokenizer

        self.tokenizer = TweetTokenizer(preserve_case=False, strip_handles=True, reduce_len=True)
        self.stopwords = set(stopwords.words("english"))
        self.lemmatizer = WordNetLemmatizer()

    def clean(self, text: str) -> str:
        tokens = self.tokenizer.tokenize(text)
        return " ".join(self.lemmatizer.lemmatize(token) for token in tokens
                        if token.isalpha() and token not in self.stopwords)


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to CPU {core}"
    return "not pinned (no sched_setaffinity here)"


def read_inbound_texts(path: Path) -> list[str]:
    if not path.is_file():
        sys.exit(f"error: {path} not found; pass the path to twcs_sample.csv")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return frame.loc[frame["inbound"] == "True", "text"].tolist()


def timed(function, *args) -> tuple[float, float]:
    """Wall seconds and CPU seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    function(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sample", nargs="?", type=Path, default=DEFAULT_SAMPLE, help="twcs_sample.csv")
    parser.add_argument("--repeats", type=int, default=5, help="fresh-cleaner runs of both views (median)")
    parser.add_argument("--baseline-repeats", type=int, default=3, help="runs of the plain NLTK cleaner (median)")
    parser.add_argument("--language", default="english")
    args = parser.parse_args()

    pinned = pin_to_one_core()
    texts = read_inbound_texts(args.sample)
    print(f"{len(texts):,} inbound tweets from {args.sample}; {pinned}; load average {os.getloadavg()[0]:.2f}")

    started = time.perf_counter()
    TweetCleaner(args.language)
    print(f"first TweetCleaner: {time.perf_counter() - started:.2f} s (loads the lexicons, stopwords and WordNet)")

    walls, cpus, builds = [], [], []
    for _ in range(args.repeats):
        started = time.perf_counter()
        cleaner = TweetCleaner(args.language)  # fresh: no memo carried over from the previous repeat
        builds.append(time.perf_counter() - started)
        wall, cpu = timed(cleaner.views, texts)
        walls.append(wall)
        cpus.append(cpu)
    rates = sorted(len(texts) / wall for wall in walls)
    median = statistics.median(rates)
    cpu_median = len(texts) / statistics.median(cpus)

    baseline = PlainNltkCleaner()
    baseline_walls = [timed(lambda: [baseline.clean(text) for text in texts])[0] for _ in range(args.baseline_repeats)]
    baseline_median = len(texts) / statistics.median(baseline_walls)

    print(f"TweetCleaner().views, both views: median {median:,.0f} tweets/s over {args.repeats} runs "
          f"(min {rates[0]:,.0f}, max {rates[-1]:,.0f}; {cpu_median:,.0f} tweets per CPU second; "
          f"a fresh cleaner takes {statistics.median(builds) * 1000:.0f} ms to build)")
    print(f"plain row-by-row NLTK cleaner (TweetTokenizer + stopwords + WordNet, one view): median "
          f"{baseline_median:,.0f} tweets/s over {args.baseline_repeats} runs")
    print(f"ratio: {median / baseline_median:.1f}x the baseline")
    verdict = "met" if median >= TARGET_TWEETS_PER_SECOND else "NOT met"
    print(f"target {TARGET_TWEETS_PER_SECOND:,} tweets/s: {verdict}")


if __name__ == "__main__":
    main()
