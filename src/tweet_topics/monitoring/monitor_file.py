"""`tweet-topics monitor` and the monitor stage: read a batch of new messages (anything predict reads), compare it, or
each period of it, with the training tweets (batch_monitor.py), and write the JSON, the markdown report and its
figures. Everything is computed before the first file is written, and each file is written whole, so an error leaves
nothing half-written."""

import itertools
import json
from contextlib import nullcontext
from pathlib import Path

import numpy as np

from tweet_topics.encoding.weights import no_loading_bars
from tweet_topics.errors import UserError
from tweet_topics.io.atomic import atomic_file
from tweet_topics.monitoring.batch_monitor import Monitor
from tweet_topics.monitoring.report import map_points, markdown_report, plot_map, plot_shares, shares_table
from tweet_topics.params import MonitorParams
from tweet_topics.serving.messages import first_messages, input_format, read_batches
from tweet_topics.serving.predict import parse_times
from tweet_topics.serving.router import TrainedTopics

JSON_FILE, REPORT_FILE, SHARES_FILE = "monitor.json", "monitor.md", "shares.png"
PERIOD_NAMES = {"D": "days", "W": "weeks", "M": "months"}


def read_messages(source: Path | str | None, fmt: str | None, text_column: str, id_column: str | None,
                  dated: bool) -> tuple[list[str], list[str], list[str] | None]:
    """Every message's id and text, and its created_at when `dated`; an input with no message, or without dates
    when `dated`, is a UserError."""
    name = str(source or "<stdin>")
    batches = read_batches(source, input_format(source, fmt), text_column, id_column)
    first = first_messages(batches, name)
    if dated and "created_at" not in first.carried:
        raise UserError(f"{name}: no created_at column or field, so no periods; give a dated file or leave out"
                        " --period (monitor.period)")
    ids, texts, times = [], [], []
    for batch in itertools.chain([first], batches):
        ids += batch.ids
        texts += batch.texts
        times += batch.carried.get("created_at", [""] * len(batch.ids))
    return ids, texts, times if dated else None


def period_rows(times: list[str], period: str, name: str) -> dict[str, np.ndarray]:
    """The rows of each period (its first day, ISO), in time order; an undated row is a UserError."""
    parsed = parse_times(times)
    if parsed.isna().any():
        row = int(np.flatnonzero(parsed.isna().to_numpy())[0])
        raise UserError(f"{name}: message {row + 1} has no readable created_at ({times[row]!r}); each message needs"
                        " one with --period")
    starts = parsed.dt.tz_localize(None).dt.to_period(period).dt.start_time.dt.strftime("%Y-%m-%d").to_numpy()
    return {start: np.flatnonzero(starts == start) for start in sorted(set(starts))}


def monitor_file(models_dir: Path, source: Path | str | None, out_dir: Path, params: MonitorParams, *,
                 text_column: str = "text", id_column: str | None = None, input_fmt: str | None = None,
                 device: str | None = None, model: str | None = None, progress: bool = True) -> dict:
    """Compare the messages of `source` (stdin if None), or each params.period of them, with the training tweets
    of the models in `models_dir`; write monitor.json, monitor.md and the figures into `out_dir`; return the result.
    """
    name = str(source or "<stdin>")
    TrainedTopics.load(models_dir)  # checks the models before the input is read
    ids, texts, times = read_messages(source, input_fmt, text_column, id_column, params.period is not None)
    if len(texts) < params.min_size:
        raise UserError(f"{name}: {len(texts)} message{'s' * (len(texts) != 1)}; the monitor compares a batch of at"
                        f" least {params.min_size} (monitor.min_size, the smallest emerging issue); nothing was"
                        " written")
    groups = {None: np.arange(len(texts))} if times is None else period_rows(times, params.period, name)
    with nullcontext() if progress else no_loading_bars():
        monitor = Monitor.load(models_dir, params, device, model)
    embeddings = monitor.router.messages.embed(texts)
    placed = monitor.space.place(embeddings)
    periods, figures = [], {}
    for start, rows in groups.items():
        if len(rows) < params.min_size:
            periods.append({"period": start, "n_messages": len(rows), "summary": None})
            continue
        chosen = [ids[row] for row in rows]
        summary = monitor.compare_embedded(chosen, [texts[row] for row in rows], embeddings[rows],
                                           placed=placed[rows])
        periods.append({"period": start, "n_messages": len(rows), "summary": summary})
        if summary["emerging_issues"] or times is None:
            figures[f"map_{start}.png" if start else "map.png"] = (str(start), map_points(
                monitor.space.reference, placed[rows], summary["emerging_issues"], chosen, params.seed))
    result = {"source": name, "trained_models": str(models_dir), "period": params.period,
              "params": params.as_dict(), "periods": periods}
    shares = shares_table([p for p in periods if p["summary"]]) if times is not None else None
    write_outputs(out_dir, result, figures, shares)
    return result


def write_outputs(out_dir: Path, result: dict, figures: dict, shares) -> None:
    for file, (_, points) in figures.items():
        with atomic_file(out_dir / file) as tmp:
            plot_map(points, tmp, "The batch among the training tweets")
    shares_file = None
    if shares is not None and len(shares.columns) > 2:
        shares_file = SHARES_FILE
        with atomic_file(out_dir / SHARES_FILE) as tmp:
            plot_shares(shares, tmp)
    report = markdown_report(result, {period: file for file, (period, _) in figures.items()}, shares_file)
    with atomic_file(out_dir / REPORT_FILE) as tmp:
        tmp.write_text(report, encoding="utf-8")
    with atomic_file(out_dir / JSON_FILE) as tmp:
        tmp.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def summary_metrics(result: dict) -> dict:
    """The numbers `dvc metrics diff` compares between batches: the whole batch's, or its last period's."""
    last = next((period for period in reversed(result["periods"]) if period["summary"]), None)
    if last is None:
        return {"n_messages": sum(period["n_messages"] for period in result["periods"]), "emerging_issues": 0}
    summary = last["summary"]
    return {"n_messages": summary["n_messages"], "emerging_issues": len(summary["emerging_issues"]),
            "largest_issue_share": max((issue["share"] for issue in summary["emerging_issues"]), default=0.0),
            "drift_score": summary["drift"]["score"], "needs_human_rate": summary["needs_human"]["rate"],
            "topics_shifted": sum(shift["significant"] for shift in summary["topic_shifts"]),
            **({"period": last["period"]} if last["period"] else {})}
