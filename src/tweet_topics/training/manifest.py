"""models/manifest.json: which artifacts, embedding model, params and training data make up one trained router, so
that `predict` refuses a mixed or mismatched set instead of routing with it."""

import hashlib
from pathlib import Path

import numpy as np

import tweet_topics
from tweet_topics.discovery.descriptions import topic_names
from tweet_topics.encoding.identity import model_identity
from tweet_topics.errors import UserError
from tweet_topics.io.artifacts import MISSING_HINT, file_sha256, read_json
from tweet_topics.params import REDUCE_SECTIONS, UNTRACKED_KEYS
from tweet_topics.paths import CLASSIFIER, HANDOFF, MANIFEST, REDUCER, TOPICS

ARTIFACTS = (REDUCER, CLASSIFIER, TOPICS, HANDOFF)
MANIFEST_FORMAT = 1
# the params.yaml sections the trained models depend on, recorded in the manifest (less the engines: the same models)
RECORDED_SECTIONS = ("preprocess", "featurize", *REDUCE_SECTIONS, "kmeans", "train", "handoff")


def training_fingerprint(tweet_ids: np.ndarray, labels: np.ndarray) -> str:
    """sha256 of the discovery tweets and the pseudo-labels the classifier learned."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(tweet_ids).astype("U").tobytes())
    digest.update(np.ascontiguousarray(labels, dtype=np.int64).tobytes())
    return digest.hexdigest()


def build_manifest(models_dir: Path, params: dict, encoder: dict, training_tweet_ids: np.ndarray,
                   labels: np.ndarray) -> dict:
    """The manifest of the artifacts in `models_dir`; `params` maps each of RECORDED_SECTIONS to its section;
    `encoder` is featurize's encoder.json: the weights, and the resolved settings they ran with (`encoded_with`),
    which predict reproduces."""
    topics = read_json(models_dir / TOPICS)
    return {
        "format": MANIFEST_FORMAT,
        "package_version": tweet_topics.__version__,
        "embedding_model": model_identity(encoder),
        **({"encoder": encoder["encoded_with"]} if "encoded_with" in encoder else {}),
        "params": {section: {key: value for key, value in params[section].as_dict().items()
                             if f"{section}.{key}" not in UNTRACKED_KEYS} for section in RECORDED_SECTIONS},
        "labels": topic_names(topics),
        "topic_ids": [int(topic["topic"]) for topic in topics["topics"]],
        "training_data": {"discovery_tweets": int(len(labels)),
                          "fingerprint": training_fingerprint(training_tweet_ids, labels)},
        "artifacts": {name: file_sha256(models_dir / name) for name in ARTIFACTS},
    }


def read_manifest(models_dir: Path) -> dict:
    """The manifest, after checking that every artifact beside it is the one it was written with."""
    manifest = read_json(models_dir / MANIFEST)
    if manifest.get("format") != MANIFEST_FORMAT:
        raise UserError(f"{models_dir / MANIFEST} has format {manifest.get('format')}, this version reads"
                        f" {MANIFEST_FORMAT}: {MISSING_HINT}")
    for name, expected in manifest["artifacts"].items():
        path = models_dir / name
        if not path.is_file():
            raise UserError(f"{path} not found: {MISSING_HINT}")
        if file_sha256(path) != expected:
            raise UserError(f"{path} is not the file {models_dir / MANIFEST} was trained with (another run's"
                            f" artifact): {MISSING_HINT}")
    return manifest
