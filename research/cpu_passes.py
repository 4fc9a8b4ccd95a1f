"""Study: CPU forward passes with torch's threads inside each pass (the way before) against passes side by side,
one torch thread each (embed.embed_texts now), on the same tweets in one run: speed, and whether the bits agree.

    .venv/bin/python research/cpu_passes.py [--texts 3000] [--repeats 2] [-o research/results/cpu_passes.json]

Both make the same fixed-shape passes (embed.fixed_shape_batches) of featurize's batch size. Where the two disagree
in bits, a vector depended on the thread count, which is what one thread per pass removes.
"""

import argparse
import json
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from tweet_topics.encoding.embed import cpu_pass_threads, fixed_shape_batches, forward, tokenised_chunks
from tweet_topics.encoding.sentence_encoder import SentenceEncoder
from tweet_topics.encoding.spec import EncoderSpec
from tweet_topics.params import load_section
from tweet_topics.paths import SAMPLE

REPO = Path(__file__).resolve().parents[1]


def inbound_texts(limit: int) -> list[str]:
    """The committed sample's first `limit` inbound tweets with distinct texts."""
    frame = pd.read_csv(REPO / SAMPLE, dtype=str, keep_default_na=False)
    return frame.loc[frame["inbound"] == "True", "text"].drop_duplicates().head(limit).tolist()


def threads_inside_passes(encoder: SentenceEncoder, texts: list[str], threads: int) -> np.ndarray:
    import torch

    from tweet_topics.encoding.embed import passes_for

    passes = passes_for(encoder.model, encoder.spec.batch_size)
    out = np.empty((len(texts), encoder.model.get_embedding_dimension()), dtype=np.float32)
    torch.set_num_threads(threads)
    try:
        for rows, inputs in fixed_shape_batches(tokenised_chunks(passes.tokeniser, texts), encoder.spec.batch_size,
                                                passes.short):
            out[rows] = forward(encoder.model, inputs, passes.tokeniser.extras)[:len(rows)].float().numpy()
    finally:
        torch.set_num_threads(1)
    return out


def table(results: dict) -> str:
    """The docs' table: both ways' rates in each repeat, their median ratio and whether the vectors agree."""
    rates = results["tweets_per_second"]
    lines = ["| CPU passes | tweets/s, each repeat |", "|---|---|",
             *(f"| {way.replace('_', ' ')} | {', '.join(f'{rate:.1f}' for rate in values)} |"
               for way, values in rates.items()),
             f"| side by side over inside, median | {results['median_ratio_side_by_side_over_inside']:.3f} |",
             f"| the same bits | {'yes' if results['same_bits'] else 'no'} |"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("-o", "--output", type=Path, default=REPO / "research" / "results" / "cpu_passes.json")
    args = parser.parse_args()
    texts = inbound_texts(args.texts)
    encoder = SentenceEncoder.load(EncoderSpec.from_params(replace(load_section("featurize"), device="cpu")))
    threads = cpu_pass_threads()
    rates: dict[str, list[float]] = {"threads_inside_passes": [], "passes_side_by_side": []}
    vectors = {}
    for _ in range(args.repeats):
        for way, embed in (("threads_inside_passes", lambda: threads_inside_passes(encoder, texts, threads)),
                           ("passes_side_by_side", lambda: encoder.embed(texts))):
            started = time.perf_counter()
            vectors[way] = embed()
            rates[way].append(round(len(texts) / (time.perf_counter() - started), 1))
    results = {"cpus": os.cpu_count(), "threads": threads, "texts": len(texts), "tweets_per_second": rates,
               "median_ratio_side_by_side_over_inside": round(float(np.median(rates["passes_side_by_side"])
                                                                    / np.median(rates["threads_inside_passes"])), 3),
               "same_bits": bool(np.array_equal(vectors["threads_inside_passes"], vectors["passes_side_by_side"])),
               "max_abs_difference": float(np.abs(vectors["threads_inside_passes"]
                                                  - vectors["passes_side_by_side"]).max())}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
