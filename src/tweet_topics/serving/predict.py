"""`predict`: read messages (CSV, JSONL or lines: messages.py), route them in batches with the trained router, write
each one's topic, its probability and the next alternatives (CSV or JSONL), streaming so that a file of any size
fits.

A message's brand and time travel with it when the input has them (a `brand` or `created_at` column or field; a
twcs file's brand is the one its text addresses, as in prepare), and a dated input can give the topics over time,
the evaluate stage's view of the same name, for new data."""

import csv
import json
import sys
from collections.abc import Callable, Iterable
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

from tweet_topics.discovery.breakdowns import period_counts, period_shares, trending
from tweet_topics.encoding.weights import no_loading_bars
from tweet_topics.errors import UserError
from tweet_topics.io.atomic import atomic_file
from tweet_topics.io.remote import check_bucket, is_url, output_file, source_path
from tweet_topics.serving.messages import CARRIED, Batch, first_messages, input_format, read_batches
from tweet_topics.serving.router import Router, Routing, TrainedTopics
from tweet_topics.tweets.prepare import TWCS_TIME_FORMAT

N_ALTERNATIVES = 3


def output_format(path: Path | str | None, requested: str | None) -> str:
    if requested:
        return requested
    return "jsonl" if path is not None and source_path(path).suffix.lower() in (".jsonl", ".ndjson") else "csv"


def prediction_records(ids: list[str], routing: Routing, topics: TrainedTopics,
                       carried: dict[str, list[str]] | None = None) -> list[dict]:
    """One record per message: its carried brand and time, its topic (stable id and name), the probability, the
    next N_ALTERNATIVES topics by probability, and (with a handoff) its out-of-topic score and needs_human flag."""
    labels, topic_ids = topics.labels, topics.topic_ids
    probabilities = routing.probabilities
    ranked = np.argsort(-probabilities, axis=1, kind="stable")[:, :1 + N_ALTERNATIVES]
    carried = carried or {}
    records = []
    for index, (identifier, order, row) in enumerate(zip(ids, ranked, probabilities, strict=True)):
        handoff = {} if routing.out_of_topic is None else {
            "out_of_topic_score": round(float(routing.out_of_topic[index]), 6),
            "needs_human": bool(routing.needs_human[index])}
        records.append({
            "id": identifier, **{column: values[index] for column, values in carried.items()},
            "topic_id": topic_ids[order[0]], "topic_label": labels[order[0]],
            "probability": round(float(row[order[0]]), 6), **handoff,
            "alternatives": [{"topic_id": topic_ids[t], "topic_label": labels[t],
                              "probability": round(float(row[t]), 6)} for t in order[1:]],
        })
    return records


def route_records(router: Router, ids: list[str], texts: list,
                  carried: dict[str, list[str]] | None = None) -> list[dict]:
    """`prediction_records` of raw messages routed by `router`: what predict writes and the service answers."""
    return prediction_records(ids, router.assess(texts), router.topics, carried)


class PredictionWriter:
    """Writes records as CSV (alternatives flattened to alt1_topic_id, ...) or JSONL."""

    def __init__(self, handle: TextIO, fmt: str, carried: Iterable[str] = (), handoff: bool = False) -> None:
        self.handle, self.fmt = handle, fmt
        self.carried = [column for column in CARRIED if column in set(carried)]  # the CSV's, from the first batch
        self.handoff = ["out_of_topic_score", "needs_human"] if handoff else []
        if fmt == "csv":
            header = ["id", *self.carried, "topic_id", "topic_label", "probability", *self.handoff]
            for rank in range(1, N_ALTERNATIVES + 1):
                header += [f"alt{rank}_topic_id", f"alt{rank}_topic_label", f"alt{rank}_probability"]
            self.csv = csv.writer(handle, lineterminator="\n")
            self.csv.writerow(header)

    def write(self, records: list[dict]) -> None:
        for record in records:
            if self.fmt == "jsonl":
                self.handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                continue
            row = [record["id"], *(record.get(column, "") for column in self.carried), record["topic_id"],
                   record["topic_label"], record["probability"], *(record[column] for column in self.handoff)]
            for rank in range(N_ALTERNATIVES):
                alternative = record["alternatives"][rank] if rank < len(record["alternatives"]) else {}
                row += [alternative.get("topic_id", ""), alternative.get("topic_label", ""),
                        alternative.get("probability", "")]
            self.csv.writerow(row)
        self.handle.flush()


def parse_times(values: list[str]) -> pd.Series:
    """UTC timestamps in twcs's format (prepare's) or ISO 8601; NaT where neither reads."""
    values = pd.Series(values, dtype=object)
    twcs = pd.to_datetime(values, format=TWCS_TIME_FORMAT, errors="coerce", utc=True)
    return twcs.fillna(pd.to_datetime(values, format="ISO8601", errors="coerce", utc=True))


def predict_file(models_dir: Path, source: Path | str | None, output: Path | str | None, *, text_column: str = "text",
                 id_column: str | None = None, input_fmt: str | None = None, output_fmt: str | None = None,
                 device: str | None = None, model: str | None = None, progress: bool = True,
                 over_time: Path | None = None, period: str = "W") -> dict:
    """Route the messages of `source` (stdin if None) with the models in `models_dir` to `output` (stdout if None);
    returns a summary. With `over_time`, also the topic shares per `period` of the dated messages, as the evaluate
    stage writes them. `device` None is the one the models' embeddings were made on (the CPU if this machine lacks
    it)."""
    import itertools

    topics = TrainedTopics.load(models_dir)  # checks the models before the input is read
    batches = read_batches(source, input_format(source, input_fmt), text_column, id_column)
    # reads and checks the input before the encoder takes seconds to load; an input with no message stops here
    first = first_messages(batches, str(source or "<stdin>"))
    if over_time is not None and "created_at" not in first.carried:
        raise UserError(f"{source or '<stdin>'}: no created_at column or field, so no topics over time; give a dated"
                        " file or leave out --over-time")
    if is_url(output):
        check_bucket(output)  # before the encoder takes seconds to load, too
    with nullcontext() if progress else no_loading_bars():
        router = Router.load(models_dir, device, model, topics)
    if router.note and progress:
        print(f"predict: {router.note}", file=sys.stderr)
    return predict_stream(topics, router.assess, itertools.chain([first], batches), output,
                          output_format(output, output_fmt), progress, over_time, period)


@dataclass
class RoutingTally:
    """What predict's summary is made of, batch by batch: how many messages each topic got, how many were flagged,
    each message's top probability. The tallies of a file's parts, merged in order, are the whole file's."""

    counts: np.ndarray
    flagged: int = 0
    confidence: list[np.ndarray] = field(default_factory=list)

    @classmethod
    def empty(cls, topics: TrainedTopics) -> "RoutingTally":
        return cls(np.zeros(len(topics.labels), dtype=np.int64))

    def add(self, routing: Routing) -> np.ndarray:
        """Counts a batch's routing in; its messages' top topics."""
        top_topic = routing.probabilities.argmax(axis=1)
        self.counts += np.bincount(top_topic, minlength=len(self.counts))
        self.flagged += 0 if routing.needs_human is None else int(routing.needs_human.sum())
        self.confidence.append(routing.probabilities.max(axis=1))
        return top_topic

    def merge(self, other: "RoutingTally") -> None:
        self.counts += other.counts
        self.flagged += other.flagged
        self.confidence += other.confidence

    def summary(self, topics: TrainedTopics) -> dict:
        top = np.concatenate(self.confidence) if self.confidence else np.empty(0)
        total = max(int(self.counts.sum()), 1)
        return {"n_messages": int(self.counts.sum()),
                "topic_share": {label: round(int(n) / total, 6)
                                for label, n in zip(topics.labels, self.counts, strict=True)},
                "mean_probability": round(float(top.mean()), 6) if len(top) else None,
                # routing signals to watch (docs): a falling mean or a rising share of unsure messages means drift
                "share_below_0.5": round(float((top < 0.5).mean()), 6) if len(top) else None,
                **({"share_needs_human": round(self.flagged / total, 6)} if topics.handoff is not None else {})}


def predict_stream(topics: TrainedTopics, assess: Callable[[list], Routing] | None, batches: Iterable[Batch],
                   output: Path | str | None, fmt: str, progress: bool = True, over_time: Path | None = None,
                   period: str = "W", tally: RoutingTally | None = None) -> dict:
    """Route every batch with `assess` (a Router's; None when there are no batches) to the `topics`, and write the
    predictions to `output` (a path or a URL, atomically) or stdout, and the topics over time to `over_time` when
    given; returns a summary, counted into `tally` when given."""
    from tqdm import tqdm

    tally = tally if tally is not None else RoutingTally.empty(topics)
    per_period = period_counts(pd.Series([], dtype=object), np.array([]), period)
    with ExitStack() as stack:
        if output is None:
            handle = sys.stdout
        else:
            tmp = stack.enter_context(output_file(output))
            handle = stack.enter_context(open(tmp, "w", encoding="utf-8", newline=""))
        writer = None
        bar = stack.enter_context(tqdm(unit="msg", desc="predict", disable=not progress, file=sys.stderr))
        for batch in batches:
            if not batch.ids:
                continue
            writer = writer or PredictionWriter(handle, fmt, batch.carried, topics.handoff is not None)
            routing = assess(batch.texts)
            writer.write(prediction_records(batch.ids, routing, topics, batch.carried))
            top_topic = tally.add(routing)
            if over_time is not None and "created_at" in batch.carried:
                per_period = per_period.add(period_counts(parse_times(batch.carried["created_at"]),
                                                          np.asarray(topics.labels)[top_topic], period),
                                            fill_value=0)
            bar.update(len(batch.ids))
        writer = writer or PredictionWriter(handle, fmt, handoff=topics.handoff is not None)  # the header alone
        handle.flush()
        if output is not None:
            handle.close()
    summary = tally.summary(topics)
    if over_time is not None:
        table = period_shares(per_period)
        with atomic_file(over_time) as tmp:
            table.to_csv(tmp, index=False)
        summary = {"n_messages": summary["n_messages"], "trending": trending(table), **summary}
    return summary
