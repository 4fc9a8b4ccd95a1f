"""The encoder's own token ids for many texts at once, as flat arrays, without sentence-transformers' per-call cost.

`SentenceTransformer.preprocess` pads a batch and builds its tensors from Python lists: about 2,400 tweets/s on the
2-core machine, of which the Rust tokenizer's own work is a sixth (16,000/s on one thread, and it spreads over all
cores). On an H200's host, 12,300/s against 84,000/s, and the float16 forward there runs at over 50,000/s, so
preprocess alone would cap it (bench/bench_gpu.py). `Tokeniser` asks the
Rust tokenizer under the model's directly, but only after checking that it gives preprocess's inputs on probe texts
(an empty one, one past the model's length limit, accents and emoji); a model where it does not keeps preprocess.
"""

import itertools
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from tweet_topics.errors import UserError

PROBE_TEXTS = ["", "hello", "Hi @AskBank my card was charged TWICE!!! 😡😡 #fail https://t.co/x",
               "café naïve Ünïcödé — “quotes” 你好 ٣", "  spaced \t out \n text  ", "word " * 600]
RUST_INPUTS = {"input_ids", "attention_mask", "token_type_ids"}


class TokenisedTexts(NamedTuple):
    """Texts' model inputs end to end: text i's tokens are `columns[name][starts[i]:starts[i] + lengths[i]]`."""

    lengths: np.ndarray                # tokens per text, after truncation
    starts: np.ndarray                 # where each text's tokens begin in every column
    columns: dict[str, np.ndarray]     # each tensor input of the model (input_ids, attention_mask, ...), int64

    def rows(self, texts: np.ndarray, length: int) -> dict[str, np.ndarray]:
        """The inputs of `texts` (indices), all of `length` tokens, as (len(texts), length) arrays."""
        positions = self.starts[texts][:, None] + np.arange(length)
        return {name: values[positions] for name, values in self.columns.items()}


def concatenated(token_ids: list[list[int]], count: int) -> np.ndarray:
    return np.fromiter(itertools.chain.from_iterable(token_ids), dtype=np.int64, count=count)


def starts_of(lengths: np.ndarray) -> np.ndarray:
    return np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)


def rust_tokenised(rust, texts: Sequence[str], names: list[str]) -> TokenisedTexts:
    """`names` of texts' inputs from a Rust `tokenizers.Tokenizer` set to no padding."""
    encode = getattr(rust, "encode_batch_fast", rust.encode_batch)  # _fast skips character offsets
    encodings = encode(list(texts))
    ids = [encoding.ids for encoding in encodings]
    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    total = int(lengths.sum())
    columns = {}
    for name in names:
        if name == "input_ids":
            columns[name] = concatenated(ids, total)
        elif name == "token_type_ids":
            columns[name] = concatenated([encoding.type_ids for encoding in encodings], total)
        else:  # attention_mask: every token of an unpadded text is real
            columns[name] = np.ones(total, dtype=np.int64)
    return TokenisedTexts(lengths, starts_of(lengths), columns)


class Tokeniser:
    """Turns texts into `TokenisedTexts` with the encoder's tokenisation; `extras` are the non-tensor entries that
    preprocess adds (such as the modality) and the model's forward expects beside the tensors."""

    def __init__(self, encoder) -> None:
        self.encoder = encoder
        probe = encoder.preprocess(PROBE_TEXTS)
        self.names = [name for name, value in probe.items() if hasattr(value, "shape")]
        self.extras = {name: value for name, value in probe.items() if name not in self.names}
        self.rust = self._checked_rust_tokenizer(probe)

    def __call__(self, texts: Sequence[str]) -> TokenisedTexts:
        if not texts:
            return TokenisedTexts(np.zeros(0, np.int64), np.zeros(0, np.int64),
                                  {name: np.zeros(0, np.int64) for name in self.names})
        return rust_tokenised(self.rust, texts, self.names) if self.rust else self._preprocess(texts)

    def _preprocess(self, texts: Sequence[str]) -> TokenisedTexts:
        return self._from_features(self.encoder.preprocess(list(texts)))

    def _from_features(self, features: dict) -> TokenisedTexts:
        """preprocess's padded tensors as flat arrays, row by row, padding left out."""
        mask = features["attention_mask"].bool()
        columns = {}
        for name in self.names:
            if tuple(features[name].shape) != tuple(mask.shape):
                raise UserError(f"featurize.model gives the input '{name}' of shape {tuple(features[name].shape)},"
                                " not one value per token: featurize embeds text models only; choose a"
                                " sentence-transformers text model")
            columns[name] = features[name][mask].numpy().astype(np.int64)
        lengths = mask.sum(dim=1).numpy().astype(np.int64)
        return TokenisedTexts(lengths, starts_of(lengths), columns)

    def _checked_rust_tokenizer(self, probe: dict):
        """A private copy of the model's Rust tokenizer (no padding, truncated as preprocess does), or None where
        there is none or where it does not give preprocess's inputs on the probe texts."""
        backend = getattr(getattr(self.encoder, "tokenizer", None), "backend_tokenizer", None)
        if backend is None or set(self.names) - RUST_INPUTS or "attention_mask" not in self.names:
            return None
        from tokenizers import Tokenizer

        rust = Tokenizer.from_str(backend.to_str())
        rust.no_padding()
        rust.enable_truncation(max_length=int(self.encoder.max_seq_length),
                                    direction=getattr(self.encoder.tokenizer, "truncation_side", "right"))
        fast, reference = rust_tokenised(rust, PROBE_TEXTS, self.names), self._from_features(probe)
        same = np.array_equal(fast.lengths, reference.lengths) and all(
            np.array_equal(fast.columns[name], reference.columns[name]) for name in self.names)
        return rust if same else None
