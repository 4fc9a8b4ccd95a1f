"""Intents, not brands (issue #19): how much the topics follow the brand a tweet addresses, with the brand handles
kept as words in the embedding view (`preprocess.handles: keep`, the old behaviour), with the handles a tweet opens
with dropped (`leading`, the default) and with every handle dropped (`all`).

For each mode: the discovery tweets of a pipeline run embedded in that view, reduced and clustered with the
pipeline's params (k = kmeans.n_clusters); NMI between topic and brand, the number of topics of which 90% or more
address one brand, and the number of topics that each of the sample's five largest brands holds at least a tenth
of (cross-brand topics). CLINC150's requests hold no handle, so their view, and the labelled scores, are the same
in every mode: the script counts the requests whose view differs.

    .venv/bin/python research/handles_study.py [--run .] [--out research/results/handles_study.json]
"""

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import normalized_mutual_info_score

from tweet_topics.chain.topic_chain import TopicChain
from tweet_topics.params import CHAIN_SECTIONS, ChainParams, load_sections
from tweet_topics.text.cleaner import HANDLE_MODES

REPO = Path(__file__).resolve().parents[1]
CLINC = REPO / "data" / "labelled" / "clinc150" / "test.csv.xz"


def brand_scores(brands: np.ndarray, topics: np.ndarray) -> dict:
    known = brands != ""
    table = pd.crosstab(topics[known], brands[known])
    one_brand = int((table.max(axis=1) / table.sum(axis=1) >= 0.9).sum())
    largest = brands[known].tolist()
    top_brands = pd.Series(largest).value_counts().index[:5]
    shares = table[top_brands] / table[top_brands].sum(axis=0)  # where each large brand's tweets go
    return {"nmi_topic_brand": round(float(normalized_mutual_info_score(brands[known], topics[known])), 6),
            "topics_90pct_one_brand": one_brand,
            "topics_held_by_all_5_largest_brands": int((shares >= 0.1).all(axis=1).sum())}


def table(results: dict) -> str:
    """The docs' table: how much the topics follow the addressed brand in each preprocess.handles mode."""
    lines = ["| preprocess.handles | NMI(topic, brand) | topics of one brand (90%) | shared by the 5 largest brands |",
             "|---|---|---|---|"]
    lines += [f"| {mode} | {results[mode]['nmi_topic_brand']:.3f} | {results[mode]['topics_90pct_one_brand']} | "
              f"{results[mode]['topics_held_by_all_5_largest_brands']} |" for mode in ("keep", "leading", "all")]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=REPO, help="a project whose data/ holds a pipeline run")
    parser.add_argument("--out", type=Path, default=REPO / "research" / "results" / "handles_study.json")
    args = parser.parse_args(argv)
    params = ChainParams.from_sections(load_sections(*CHAIN_SECTIONS, path=args.run / "params.yaml"))
    discovery = pd.read_parquet(args.run / "data" / "02_prepared" / "discovery.parquet", columns=["text", "brand"])
    clinc = pd.read_csv(CLINC)["text"].tolist()
    # the embedding view (whatever featurize.text_view says), on the CPU in float32
    featurize = replace(params.featurize, text_view="embedding", device="cpu", dtype="float32")
    results, clinc_views = {}, {}
    for mode in HANDLE_MODES:
        chain = TopicChain.from_params(replace(params, preprocess=replace(params.preprocess, handles=mode),
                                               featurize=featurize))
        embeddings = chain.embed(discovery["text"].tolist())  # prepared texts: the pipeline's sane text already
        topics = chain.topics(embeddings)
        results[mode] = brand_scores(discovery["brand"].to_numpy(), topics)
        cleaner = chain.embedding.text.cleaner
        clinc_views[mode] = [cleaner.embedding_view(text) for text in clinc]
        print(mode, results[mode], flush=True)
    results["clinc150_views_that_differ_between_modes"] = int(sum(
        len({clinc_views[mode][i] for mode in HANDLE_MODES}) > 1 for i in range(len(clinc))))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
