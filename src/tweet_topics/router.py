"""The trained router: text -> embedding view -> embedding -> reduction -> topic probabilities, by the pipeline's
own steps (the same topics; probabilities equal up to float32 rounding), from the artifacts in models/ that the
manifest ties together."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from tweet_topics.classify import LinearClassifier, load_classifier
from tweet_topics.errors import UserError
from tweet_topics.manifest import CLASSIFIER, REDUCER, read_manifest
from tweet_topics.reduce import Reducer, load_reducer


@dataclass
class Router:
    manifest: dict
    reducer: Reducer
    classifier: LinearClassifier
    labels: list[str]  # "id: name" of each topic, in the classifier's order
    topic_ids: list[int]  # each topic's stable id (topic_identity.py), in the same order
    cleaner: object = None  # TweetCleaner, set by `with_encoder`
    encoder: object = None

    @classmethod
    def load(cls, models_dir: Path) -> "Router":
        manifest = read_manifest(models_dir)
        reducer, _ = load_reducer(models_dir / REDUCER)
        # models trained before topics had stable ids numbered them by the classifier's order
        topic_ids = manifest.get("topic_ids", list(range(len(manifest["labels"]))))
        return cls(manifest, reducer, load_classifier(models_dir / CLASSIFIER), manifest["labels"], topic_ids)

    def with_encoder(self, device: str = "auto", model: str | None = None) -> "Router":
        """Load the cleaner and the encoder the models were trained with (or `model`, if its weights are the same)."""
        from tweet_topics.embed import encoder_fingerprint, load_encoder
        from tweet_topics.text.cleaner import TweetCleaner

        recorded, params = self.manifest["embedding_model"], self.manifest["params"]
        # models trained before featurize.backend and featurize.dtype existed were embedded by torch in float32
        featurize = params["featurize"]
        encoder = load_encoder(model or recorded["name"], device, featurize.get("backend", "torch"),
                               featurize.get("dtype", "float32"))
        fingerprint = encoder_fingerprint(encoder)
        if fingerprint != recorded["fingerprint"]:
            raise UserError(
                f"embedding model '{model or recorded['name']}' (weights {fingerprint[:12]}) is not the one the"
                f" models were trained with ('{recorded['name']}', weights {recorded['fingerprint'][:12]}): pass"
                " that model's folder with --model, or retrain with `dvc repro`")
        keywords = params["featurize"]["text_view"] == "keyword"  # WordNet only when the keyword view is embedded
        # models trained before preprocess.handles existed kept every handle as words
        self.cleaner = TweetCleaner(params["preprocess"]["language"], keywords=keywords,
                                    handles=params["preprocess"].get("handles", "keep"))
        self.encoder = encoder
        return self

    def classify(self, reduced: np.ndarray) -> np.ndarray:
        """Topic probabilities (n, k) of reduced embeddings: what evaluate scores and predict returns."""
        return self.classifier.probabilities(reduced)

    def route(self, texts: list) -> np.ndarray:
        """Topic probabilities of raw texts, through the pipeline's own steps (call `with_encoder` first)."""
        import pandas as pd

        from tweet_topics.embed import embed_texts
        from tweet_topics.prepare import sane_text

        featurize = self.manifest["params"]["featurize"]
        texts = sane_text(pd.Series([text if isinstance(text, str) else "" for text in texts], dtype=object)).tolist()
        if featurize["text_view"] == "keyword":
            views = self.cleaner.views(texts)[1]
        else:
            views = [self.cleaner.embedding_view(text) for text in texts]
        embeddings = embed_texts(self.encoder, views, featurize["batch_size"])
        # One BLAS thread for the reduction: its idle threads keep spinning after the product and take the cores
        # the encoder needs next (one message on 2 cores: 118 ms with them, 33 ms without).
        with threadpool_limits(1, user_api="blas"):
            return self.classify(self.reducer.transform(embeddings))
