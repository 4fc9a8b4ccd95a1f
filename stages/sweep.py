"""sweep: cluster quality, inertia and end-to-end stability for each k in sweep.k_values, to choose
kmeans.n_clusters (off the main path)."""

import numpy as np

from tweet_topics.chain.topics import TopicSteps
from tweet_topics.errors import UserError
from tweet_topics.evaluation.quality import k_sweep
from tweet_topics.evaluation.stability import refit_spaces, stability_sample
from tweet_topics.io.atomic import atomic_file
from tweet_topics.io.datasets import read_arrays
from tweet_topics.params import REDUCE_SECTIONS, ReductionParams, load_section, load_sections
from tweet_topics.paths import EMBEDDINGS, K_SWEEP, REDUCED
from tweet_topics.reduction.sampling import fit_rows
from tweet_topics.stage import run_stage

UNREAD_PARAMS = ("kmeans.n_clusters",)  # the sweep sets k itself: a new kmeans.n_clusters must not rerun it


def main() -> None:
    params = load_sections(*REDUCE_SECTIONS, "kmeans", "stability")
    # embeddings -> topics: the chain's reduction and KMeans (each k of the sweep replaces kmeans.n_clusters)
    steps = TopicSteps(ReductionParams.from_sections(params), params["kmeans"])
    stability = params["stability"]
    sweep = load_section("sweep")
    features = read_arrays(REDUCED, lazy=True)["discovery"]
    # a fixed sample: the sweep compares k, it need not see every tweet
    features = np.asarray(features[fit_rows(len(features), sweep.max_tweets, sweep.seed)])
    too_large = [k for k in sweep.k_values if k > len(features)]
    if too_large:
        raise UserError(f"sweep.k_values holds k={too_large[0]} but only {len(features)} discovery tweets are"
                        " swept: lower the k values or raise ingest.max_inbound")
    embeddings = read_arrays(EMBEDDINGS, lazy=True)["discovery"]
    sample = stability_sample(embeddings, stability, steps.kmeans.seed)
    table = k_sweep(features, refit_spaces(sample, steps, stability), list(sweep.k_values), steps)
    with atomic_file(K_SWEEP) as tmp:
        table.to_csv(tmp, index=False)


if __name__ == "__main__":
    run_stage("sweep", main)
