"""Sentence-transformers embeddings in which a vector depends on its text alone, written through a memory map."""

import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache

import numpy as np

from tweet_topics.encoding.identity import describe_encoder, encoder_fingerprint
from tweet_topics.encoding.onnx_encoder import OnnxInt8Encoder
from tweet_topics.encoding.spec import EncoderSpec, device_kind
from tweet_topics.encoding.tokens import PROBE_TEXTS, TokenisedTexts, Tokeniser
from tweet_topics.encoding.weights import load_encoder

# predict's batch of messages
CHUNK_SIZE = 2048
# texts tokenised at a time, on a thread beside the model
TOKENISE_CHUNK = 8192
# forward passes queued on the device before their vectors are copied out (each copy waits for the device)
BATCHES_ON_DEVICE = 16
# CPU passes queued per pass thread: the next is ready when one ends, and tokenised batches never pile up
PASSES_PER_THREAD = 2
# a short pass holds at least this many tokens (rows x token count): on the 2-core CPU, passes of up to 11 (1 row of
# 11 tokens, 3 rows of 3) took other matrix kernels than a full pass and changed the vectors' last bits
MIN_PASS_TOKENS = 32
# the token counts and row counts (below batch_size) at which `short_passes_match` compares a short pass to a full one
PROBE_TOKEN_COUNTS = (2, 3, 5, 7, 11, 17, 34, 77)
PROBE_ROW_COUNTS = (1, 2, 3, 9, 15, 513, 1023)


def fixed_shape_batches(chunks: Iterable[TokenisedTexts], batch_size: int,
                        short_passes: bool = False) -> Iterator[tuple[np.ndarray, dict]]:
    """(text indices, model inputs) per forward pass: `batch_size` rows of one token count. Within a count, texts
    go in order, `batch_size` at a time, as their chunks arrive; the last short batch of each count is filled with
    copies of its last row, to `batch_size` rows or, with `short_passes`, to `short_pass_rows`. So which texts
    share a pass does not depend on how the texts were chunked."""
    waiting: dict[int, list[tuple[np.ndarray, dict]]] = {}
    offset = 0
    for chunk in chunks:
        order = np.argsort(chunk.lengths, kind="stable")
        for group in np.split(order, np.flatnonzero(np.diff(chunk.lengths[order])) + 1):
            if len(group) == 0:
                continue
            length = int(chunk.lengths[group[0]])
            waiting.setdefault(length, []).append((offset + group, chunk.rows(group, length)))
            rows, inputs = _joined(waiting[length])
            while len(rows) >= batch_size:
                yield rows[:batch_size], {name: values[:batch_size] for name, values in inputs.items()}
                rows, inputs = rows[batch_size:], {name: values[batch_size:] for name, values in inputs.items()}
            waiting[length] = [(rows, inputs)] if len(rows) else []
        offset += len(chunk.lengths)
    for length in sorted(waiting):
        if waiting[length]:
            rows, inputs = _joined(waiting[length])
            wanted = short_pass_rows(len(rows), length, batch_size) if short_passes else batch_size
            yield rows, filled(inputs, wanted)


def short_pass_rows(count: int, length: int, batch_size: int) -> int:
    """The rows of a short pass of `count` texts of `length` tokens: enough for MIN_PASS_TOKENS tokens."""
    return min(batch_size, max(count, -(-MIN_PASS_TOKENS // length)))


def filled(inputs: dict[str, np.ndarray], rows: int) -> dict[str, np.ndarray]:
    """Inputs of at most `rows` rows, filled to `rows` with copies of their last row."""
    return {name: np.concatenate([values, np.repeat(values[-1:], rows - len(values), axis=0)])
            if len(values) < rows else values for name, values in inputs.items()}


def _joined(pieces: list[tuple[np.ndarray, dict]]) -> tuple[np.ndarray, dict]:
    if len(pieces) == 1:
        return pieces[0]
    return (np.concatenate([rows for rows, _ in pieces]),
            {name: np.concatenate([inputs[name] for _, inputs in pieces]) for name in pieces[0][1]})


def tokenised_chunks(tokeniser: Tokeniser, texts: Sequence[str]) -> Iterator[TokenisedTexts]:
    """`texts` tokenised TOKENISE_CHUNK at a time, in order; the next chunk is tokenised on another thread (the
    Rust tokenizer lets go of the GIL) while the caller runs the model on this one."""
    if len(texts) <= TOKENISE_CHUNK:  # one chunk: no thread to start
        yield tokeniser(texts)
        return
    starts = range(0, len(texts), TOKENISE_CHUNK)
    with ThreadPoolExecutor(1) as pool:
        ahead = pool.submit(tokeniser, texts[:TOKENISE_CHUNK])
        for start in starts:
            chunk = ahead.result()
            following = start + TOKENISE_CHUNK
            if following < len(texts):
                ahead = pool.submit(tokeniser, texts[following:following + TOKENISE_CHUNK])
            yield chunk


def forward(encoder, inputs: dict[str, np.ndarray], extras: dict):
    """Sentence embeddings of one batch, left on the encoder's device (copied out later, so a GPU does not wait)."""
    import torch

    features = {name: torch.from_numpy(values).to(encoder.device) for name, values in inputs.items()}
    with torch.inference_mode():
        return encoder({**features, **extras})["sentence_embedding"]


@cache
def cpu_pass_threads() -> int:
    """How many CPU forward passes run at once, each on one torch thread: torch's thread count when first asked
    (its default is the machine's cores; Ray sets a worker's to its CPUs), then torch is set to one thread.

    One thread per pass, because a pass's bits depended on torch's thread count on the 16-core device machine
    (bench/results/ray_scaling_run1.json); passes side by side are also faster than threads inside a pass, with the
    same bits (research/cpu_passes.py)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    return threads


@dataclass(frozen=True)
class Passes:
    """How an encoder's forward passes are made: its tokeniser, and whether the last short batch of each token count
    may run short (`short_pass_rows`), because its vectors get the bits they get in a pass of batch_size rows."""

    tokeniser: Tokeniser
    short: bool


_PASSES: "weakref.WeakKeyDictionary[object, dict]" = weakref.WeakKeyDictionary()
# short_passes_match by (weights' fingerprint, batch size, device, dtype): the same weights loaded again, no probe
_SHORT_PASSES: dict[tuple[str, int, str, str], bool] = {}


def passes_for(encoder, batch_size: int) -> Passes:
    """The encoder's `Passes` at this batch size; the check of short passes runs once per process per weights."""
    if encoder.device.type == "cpu":
        cpu_pass_threads()  # torch on one thread before any pass, the probes below included
    dtype = next(encoder.parameters()).dtype
    known = _PASSES.setdefault(encoder, {})
    key = (batch_size, str(encoder.device), str(dtype))
    if key not in known:
        encoder.eval()
        tokeniser = Tokeniser(encoder)
        weights = (encoder_fingerprint(encoder), *key)
        if weights not in _SHORT_PASSES:
            _SHORT_PASSES[weights] = short_passes_match(encoder, tokeniser, batch_size)
        known[key] = Passes(tokeniser, _SHORT_PASSES[weights])
    return known[key]


def short_passes_match(encoder, tokeniser: Tokeniser, batch_size: int) -> bool:
    """Whether a short pass (`short_pass_rows`) gives its rows the bits they get in a full pass of batch_size
    rows, at PROBE_TOKEN_COUNTS x PROBE_ROW_COUNTS. So it was on the 2-core CPU (torch 2.13, float32), where a
    message's pass of 1 row instead of 16 costs 24 ms instead of 115 ms (34 tokens); a device whose kernels depend
    on the row count keeps filling to batch_size. One full pass per token count serves every row count: its rows
    differ, so a full pass whose rows depended on their neighbours would fail the check too."""
    probe = tokeniser([" ".join(PROBE_TEXTS[1:5]) * 20])
    available = int(probe.lengths[0])
    for length in sorted({min(length, available) for length in PROBE_TOKEN_COUNTS}):
        counts = [count for count in PROBE_ROW_COUNTS
                  if count < batch_size and short_pass_rows(count, length, batch_size) < batch_size]
        if not counts:
            continue
        # row r is the probe's tokens from r on (wrapping round): rows alike in kind, neighbours never equal
        positions = (np.arange(batch_size)[:, None] + np.arange(length)) % available
        rows = {name: values[positions] for name, values in probe.columns.items()}
        full = forward(encoder, rows, tokeniser.extras).float().cpu().numpy()
        for count in counts:
            short = filled({name: values[:count] for name, values in rows.items()},
                           short_pass_rows(count, length, batch_size))
            alone = forward(encoder, short, tokeniser.extras)[:count].float().cpu().numpy()
            if not np.array_equal(alone, full[:count]):
                return False
    return True


def embedding_recipe(description: dict, encoder, batch_size: int, device: str | None = None) -> dict:
    """Everything a vector's bits depend on: the weights (`describe_encoder`), the code that runs them, the device
    (the encoder's, or the kind of `device` it will run on), the precision and the batch shape."""
    import torch

    if isinstance(encoder, OnnxInt8Encoder):
        batch_size, backend = 1, encoder.backend
    else:
        backend = f"torch {torch.__version__}"
    dtype = next(str(tensor.dtype) for tensor in encoder.state_dict().values() if tensor.is_floating_point())
    kind = encoder.device.type if device is None else device_kind(device)
    return {**description, "batch_size": batch_size, "device": kind, "dtype": dtype.removeprefix("torch."),
            "max_seq_length": int(encoder.max_seq_length), "backend": backend}


def encoding_on(spec: EncoderSpec) -> tuple[EncoderSpec, dict, dict]:
    """`SentenceEncoder.load(spec)`'s spec, `recipe()` and `description()` on spec's device, worked out on this
    machine's CPU from the same weights in the same dtype, with no forward pass: for a GPU only Ray's workers have."""
    resolved = spec.resolved()
    model = load_encoder(resolved.model, "cpu", resolved.backend, resolved.dtype)
    description = describe_encoder(resolved.model, model)
    return (resolved, embedding_recipe(description, model, resolved.batch_size, resolved.device),
            {**description, "encoded_with": resolved.record()})


def embed_texts(encoder, texts: Sequence[str], batch_size: int, out: np.ndarray | None = None,
                progress: Callable[[int], object] | None = None) -> np.ndarray:
    """float32 embeddings of `texts`, into `out` when given (a memory map: one batch in memory at a time).

    A text's vector depends on that text alone: every forward pass holds texts of one token count and gives them
    the bits of a pass of batch_size rows (the last short pass of a count is filled to batch_size rows, unless
    `short_passes_match` found that a short pass gives the same bits, as on the CPU). With sentence-transformers'
    own batching, which pads a batch to its longest text, a vector changed in its last bits (up to 1.7e-7) with the
    texts batched around it, so a cached or appended text could never match a from-scratch run exactly, nor a
    message routed alone its vector inside a file. That holds in float16 on a GPU too (bench/bench_gpu.py on an
    H200, with filled passes: the same bits alone, reversed and beside other texts).

    The texts are tokenised once (`tokens.Tokeniser`), a chunk ahead on another thread; on a GPU the vectors are
    copied out BATCHES_ON_DEVICE passes at a time, so the device is not kept waiting."""
    if out is None:
        out = np.empty((len(texts), encoder.get_embedding_dimension()), dtype=np.float32)
    if len(texts) == 0:
        return out
    if isinstance(encoder, OnnxInt8Encoder):  # one text per run: batch_size does not apply
        encoder.embed(texts, out, progress)
        return out
    encoder.eval()
    passes = passes_for(encoder, batch_size)
    on_device: list[tuple[np.ndarray, object]] = []

    def copy_out() -> None:
        for rows, vectors in on_device:
            out[rows] = vectors[:len(rows)].float().cpu().numpy()
            if progress:
                progress(len(rows))
        on_device.clear()

    batches = fixed_shape_batches(tokenised_chunks(passes.tokeniser, texts), batch_size, passes.short)
    if encoder.device.type == "cpu":
        return _embed_on_cpu_threads(encoder, passes, batches, out, progress)
    for rows, inputs in batches:
        on_device.append((rows, forward(encoder, inputs, passes.tokeniser.extras)))
        if len(on_device) == BATCHES_ON_DEVICE:
            copy_out()
    copy_out()
    return out


def _embed_on_cpu_threads(encoder, passes: Passes, batches: Iterator[tuple[np.ndarray, dict]], out: np.ndarray,
                          progress: Callable[[int], object] | None) -> np.ndarray:
    """The passes `cpu_pass_threads()` at a time, each on one torch thread (torch's ops let go of the GIL)."""
    threads = cpu_pass_threads()

    def run(rows: np.ndarray, inputs: dict) -> int:
        out[rows] = forward(encoder, inputs, passes.tokeniser.extras)[:len(rows)].float().numpy()
        return len(rows)

    def finish_one() -> None:
        done = queued.popleft().result()
        if progress:
            progress(done)

    if threads == 1:
        for rows, inputs in batches:
            done = run(rows, inputs)
            if progress:
                progress(done)
        return out
    queued: deque = deque()
    with ThreadPoolExecutor(threads) as pool:
        for rows, inputs in batches:
            if len(queued) >= PASSES_PER_THREAD * threads:
                finish_one()
            queued.append(pool.submit(run, rows, inputs))
        while queued:
            finish_one()
    return out
