"""featurize: sentence-transformers embeddings of one text view, a float32 .npy per split plus its tweet ids, and
encoder.json: which model (name, weight fingerprint) made them."""

from pathlib import Path

import numpy as np

from tweet_topics.atomic import atomic_dir, write_json
from tweet_topics.datasets import read_frames
from tweet_topics.embed import describe_encoder, embed_to_npy, load_encoder
from tweet_topics.params import load_section
from tweet_topics.stage import run_stage

IN_DIR = Path("data/03_preprocessed")
OUT_DIR = Path("data/04_embeddings")
ENCODER_FILE = "encoder.json"


def main() -> None:
    params = load_section("featurize")
    frames = read_frames(IN_DIR)
    encoder = load_encoder(params["model"], params["device"])
    column = f"{params['text_view']}_text"
    with atomic_dir(OUT_DIR) as tmp:
        for split, frame in frames.items():
            embed_to_npy(encoder, frame[column].tolist(), tmp / f"{split}.npy", params["batch_size"])
            np.save(tmp / f"{split}_ids.npy", frame["tweet_id"].to_numpy())
        write_json(tmp / ENCODER_FILE, describe_encoder(params["model"], encoder))


if __name__ == "__main__":
    run_stage("featurize", main)
