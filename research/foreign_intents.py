"""Study: which of the foreign messages (CLINC150's requests) does the handoff leave unflagged, and why?

    python research/foreign_intents.py

Run it after `dvc repro`. With the committed models (models/handoff.npz: its reference tweets, k and threshold) and
the foreign messages as the foreign stage embedded them, it writes research/results/foreign_intents.json:
- the share of each CLINC150 intent's requests flagged at the default threshold, lowest first;
- for the requests left unflagged, how close they are to the reference tweets, against the validation tweets: the
  share whose out-of-topic score is below the validation tweets' median (as typical of the tweets as a tweet is);
- for a fixed sample of unflagged requests, the nearest reference tweet, so that a reader can judge whether the
  request is another domain or the same request a customer tweets.
The reference tweets are the first `max_reference_tweets` of a fixed sample of discovery (handoff.reference_scorer);
with the committed sample every discovery tweet is one, so row r of the reference is discovery tweet r.
"""

import argparse
import json
import platform
from pathlib import Path

import numpy as np

from tweet_topics.io.csv_input import read_csv_rows
from tweet_topics.io.datasets import read_arrays, read_frames
from tweet_topics.params import load_sections
from tweet_topics.paths import EMBEDDINGS, FOREIGN_EMBEDDINGS, HANDOFF, MODELS, PREPARED
from tweet_topics.reduction.neighbours import nearest_neighbours, normalise_rows
from tweet_topics.training.handoff import load_out_of_topic

RESULT = Path(__file__).parent / "results" / "foreign_intents.json"
EXAMPLES = 25


def cpu_model() -> str:
    """The CPU: its embeddings differ from another CPU's in their last bits, and so may the threshold."""
    lines = Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").is_file() else []
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")),
                platform.processor() or platform.machine())


def table(results: dict) -> str:
    """The docs' table: how the handoff's detection of CLINC150 splits by intent."""
    rows = [("requests flagged", f"{results['flagged']:.4f}"), ("intents", results["intents"]),
            ("intents never flagged", results["intents_never_flagged"]),
            ("intents always flagged", results["intents_always_flagged"]),
            ("unflagged requests scoring below the median validation tweet",
             f"{results['unflagged_below_validation_median']:.4f}")]
    never = [label for label, share in results["per_intent_flagged"].items() if share == 0]
    lines = ["| CLINC150 against the handoff | |", "|---|---|", *(f"| {what} | {value} |" for what, value in rows),
             f"| never flagged, first of them | {', '.join(never[:8])} |"]
    return "\n".join(lines)


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    params = load_sections("foreign", "handoff")
    scorer = load_out_of_topic(MODELS / HANDOFF)
    discovery = read_arrays(EMBEDDINGS)["discovery"]
    if len(discovery) != len(scorer.reference):
        raise SystemExit("the reference is a sample of discovery here: this study needs every discovery tweet in it")
    frame = read_csv_rows(params["foreign"].path, "").frame
    frame = frame[frame["text"].str.strip() != ""].reset_index(drop=True)
    foreign = np.load(FOREIGN_EMBEDDINGS)
    scores = scorer.scores(foreign)
    frame["flagged"] = scores > scorer.threshold
    validation = scorer.scores(read_arrays(EMBEDDINGS)["validation"])

    per_intent = frame.groupby("label")["flagged"].mean().sort_values(kind="stable")
    unflagged = frame.index[~frame["flagged"]]
    nearest = nearest_neighbours(normalise_rows(foreign[unflagged]), scorer.reference, 1)
    tweets = read_frames(PREPARED, ["text"])["discovery"]["text"]
    sample = np.random.default_rng(0).choice(len(unflagged), size=min(EXAMPLES, len(unflagged)), replace=False)
    result = {
        "command": "python research/foreign_intents.py",
        "machine": cpu_model(),
        "threshold": scorer.threshold, "k": scorer.k,
        "foreign_messages": len(frame), "flagged": round(float(frame["flagged"].mean()), 4),
        "validation_median_score": round(float(np.median(validation)), 4),
        "unflagged_below_validation_median": round(float((scores[unflagged] < np.median(validation)).mean()), 4),
        "intents": len(per_intent),
        "intents_never_flagged": int((per_intent == 0).sum()),
        "intents_always_flagged": int((per_intent == 1).sum()),
        "per_intent_flagged": {label: round(float(share), 4) for label, share in per_intent.items()},
        "unflagged_examples": [
            {"request": frame.at[unflagged[i], "text"], "intent": frame.at[unflagged[i], "label"],
             "score": round(float(scores[unflagged[i]]), 4),
             "nearest_tweet": tweets.iat[int(nearest[0][i, 0])],
             "cosine_distance": round(float(nearest[1][i, 0]), 4)}
            for i in sorted(sample)],
    }
    RESULT.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps({key: value for key, value in result.items()
                      if key not in ("per_intent_flagged", "unflagged_examples")}, indent=1))


if __name__ == "__main__":
    main()
