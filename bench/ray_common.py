"""What bench_ray.py and bench_ray_scaling.py share: timing, the sample's tweets, the local engine's embedding. Apart
from bench_ray.py, whose predict steps import the text libraries (emoji, NLTK) that the device machine lacks."""

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "stages"))
sys.path.insert(0, str(REPO / "bench"))

from featurize import embed_new_texts  # noqa: E402
from reduce_scale import REFERENCE_SIZE, perturbed_copies  # noqa: E402

from tweet_topics.encoding.embed import Encoder  # noqa: E402
from tweet_topics.encoding.embedding_cache import EmbeddingCache, text_keys  # noqa: E402
from tweet_topics.encoding.encoder import EncoderSpec  # noqa: E402
from tweet_topics.params import load_sections  # noqa: E402
from tweet_topics.reduction.reduce import REDUCE_SECTIONS, Reducer, fit_reducer  # noqa: E402

SAMPLE = REPO / "data" / "sample" / "twcs_sample.csv.xz"


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, round(time.perf_counter() - start, 2)


def inbound(limit: int) -> pd.DataFrame:
    frame = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    return frame[frame["inbound"] == "True"].drop_duplicates("text").head(limit)[["tweet_id", "text"]]


def embed_locally(spec: EncoderSpec, texts: list[str], root: Path) -> EmbeddingCache:
    encoder = Encoder.load(spec)
    cache = EmbeddingCache.open(root, encoder.recipe())
    embed_new_texts(encoder, cache, texts, text_keys(texts))
    return cache


def gathered(cache: EmbeddingCache, texts: list[str]) -> np.ndarray:
    return np.vstack(list(cache.blocks(text_keys(texts))))


def reducer_on_copies(vectors: np.ndarray) -> tuple[Reducer, float]:
    """A smoothed-PCA reducer (params.yaml's settings) fitted on the pipeline's 50,000 fitted tweets, made as
    perturbed copies of `vectors` (bench/reduce_scale.py), and the seconds the fit took."""
    params = load_sections(*REDUCE_SECTIONS)
    reference = perturbed_copies(vectors, REFERENCE_SIZE, seed=0)
    (reducer, _), seconds = timed(fit_reducer, reference, {**params, "reduce": {"method": "smoothed-pca"}})
    return reducer, seconds
