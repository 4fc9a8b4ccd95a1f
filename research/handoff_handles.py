"""Why the handoff flags about 45% of CLINC150 and not the 92% issue #20 quotes: the same plain score (mean cosine
distance to the 10 nearest discovery tweets), with the tweets' handles kept as words (as before issue #19) and with
the leading handle dropped (preprocess.handles: leading, the default).

    python research/handoff_handles.py [--reference 6000] [--validation 2000] [--foreign 1500]
        [-o research/results/handoff_handles.json]

Run it after `dvc repro` (it reads data/02_prepared and foreign.path). A fixed sample of discovery tweets is the
reference, the threshold is the score that `rate` of a fixed sample of validation tweets exceed, and CLINC150's
requests (which carry no handle) are scored against it. The torch encoder, as featurize runs it.
"""

import argparse
import json
import platform
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from tweet_topics.chain.embedding import EmbeddingSteps
from tweet_topics.encoding.spec import EncoderSpec
from tweet_topics.params import load_section
from tweet_topics.reduction.neighbours import nearest_neighbours, normalise_rows
from tweet_topics.reduction.sampling import fit_rows

REPO = Path(__file__).resolve().parents[1]

K = 10  # the "10 nearest training tweets"
RATES = (0.04, 0.05)


def table(results: dict) -> str:
    """The docs' table: CLINC150's share flagged at each validation flag rate, handles kept as words or not."""
    modes = {"keep": "every handle kept as words (before issue #19)", "leading": "leading handles dropped (default)"}
    lines = ["| tweets' handles | flagged at 4% of validation | at 5% |", "|---|---|---|"]
    lines += [f"| {modes[mode]} | {row['foreign_flagged_at_4pct']:.3f} | {row['foreign_flagged_at_5pct']:.3f} |"
              for mode, row in results["handles"].items()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=int, default=6000)
    parser.add_argument("--validation", type=int, default=2000)
    parser.add_argument("--foreign", type=int, default=1500)
    parser.add_argument("-o", "--output", type=Path, default=REPO / "research" / "results" / "handoff_handles.json")
    args = parser.parse_args()
    prepared = REPO / "data" / "02_prepared"
    discovery = pd.read_parquet(prepared / "discovery.parquet")["text"].to_numpy()
    validation = pd.read_parquet(prepared / "validation.parquet")["text"].to_numpy()
    foreign = pd.read_csv(REPO / load_section("foreign").path)["text"]
    texts = {"reference": discovery[fit_rows(len(discovery), args.reference, 0)].tolist(),
             "validation": validation[fit_rows(len(validation), args.validation, 0)].tolist(),
             "foreign": foreign.sample(min(args.foreign, len(foreign)), random_state=0).tolist()}
    spec = EncoderSpec(load_section("featurize").model, "cpu")
    preprocess = load_section("preprocess")
    results = {}
    for handles in ("keep", "leading"):
        # the embedding view, whatever featurize.text_view says
        steps = EmbeddingSteps(replace(preprocess, handles=handles), "embedding", spec)
        vectors = {name: steps.embed(values) for name, values in texts.items()}
        reference = normalise_rows(vectors["reference"])
        scores = {name: nearest_neighbours(vectors[name], reference, K)[1].astype(np.float64).mean(axis=1)
                  for name in ("validation", "foreign")}
        results[handles] = {
            f"foreign_flagged_at_{round(rate * 100)}pct": round(float(np.mean(
                scores["foreign"] > np.quantile(scores["validation"], 1 - rate))), 3) for rate in RATES}
        print(handles, results[handles], file=sys.stderr, flush=True)
    output = {"command": "python research/handoff_handles.py " + " ".join(sys.argv[1:]),
              "machine": f"{platform.machine()}, {platform.system()}", "k": K,
              "sizes": {name: len(values) for name, values in texts.items()}, "handles": results}
    args.output.write_text(json.dumps(output, indent=2) + "\n")
    print(json.dumps(output, indent=2))


if __name__ == "__main__":
    main()
