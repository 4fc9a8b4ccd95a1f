"""The `tweet-topics` command (also `python -m tweet_topics`)."""

import argparse
import sys
from pathlib import Path

from tweet_topics import paths
from tweet_topics.errors import UserError
from tweet_topics.io.remote import path_or_url

INPUT_FORMATS = ("csv", "parquet", "jsonl", "lines")
OUTPUT_FORMATS = ("csv", "jsonl")


def device(value: str) -> str:
    if value in ("auto", "cpu", "cuda") or value.startswith("cuda:"):
        return value
    raise argparse.ArgumentTypeError(f"'{value}' is not auto, cpu, cuda or cuda:N")


def period(value: str) -> str:
    if value in ("D", "W", "M"):
        return value
    raise argparse.ArgumentTypeError(f"'{value}' is not D (days), W (weeks) or M (months)")


def predict_command(args: argparse.Namespace) -> None:
    from tweet_topics.serving.predict import predict_file

    if args.engine == "ray":
        return predict_on_ray_command(args)
    source = None if args.input in (None, Path("-")) else args.input
    summary = predict_file(args.models, source, args.output, text_column=args.text_column,
                           id_column=args.id_column, input_fmt=args.input_format, output_fmt=args.output_format,
                           device=args.device, model=args.model, progress=not args.quiet, over_time=args.over_time,
                           period=args.period)
    if not args.quiet:
        print(f"predict: {summary['n_messages']} messages -> {args.output or 'stdout'}", file=sys.stderr)
        for trend in summary.get("trending", []):
            print(f"  {trend['topic']}: {trend['share']:.1%} in the last period (from {trend['period']}), against"
                  f" {trend['share_before']:.1%} before", file=sys.stderr)


def predict_on_ray_command(args: argparse.Namespace) -> None:
    from tweet_topics.scale.ray_predict import RouteJob, predict_on_ray

    if args.input in (None, Path("-")) or args.output is None or args.over_time is not None:
        raise UserError("predict --engine ray reads a file or a folder of message files and writes a folder (-o);"
                        " stdin, stdout and --over-time are the local engine's")
    job = RouteJob(str(args.models.resolve()), text_column=args.text_column, id_column=args.id_column,
                   input_fmt=args.input_format, output_fmt=args.output_format or "csv", device=args.device,
                   model=args.model)
    summary = predict_on_ray(job, args.input, args.output)
    if not args.quiet:
        print(f"predict: {summary['n_messages']} messages from {len(summary['files'])} files -> {args.output}",
              file=sys.stderr)


def monitor_command(args: argparse.Namespace) -> None:
    from dataclasses import replace

    from tweet_topics.monitoring.batch_monitor import DEFAULT_PARAMS
    from tweet_topics.monitoring.monitor_file import monitor_file
    from tweet_topics.params import load_section

    params = load_section("monitor", args.params) if args.params.is_file() else DEFAULT_PARAMS
    params = replace(params, period=args.period or None)
    source = None if args.input in (None, Path("-")) else args.input
    result = monitor_file(args.models, source, args.output, params, text_column=args.text_column,
                          id_column=args.id_column, input_fmt=args.input_format, device=args.device,
                          model=args.model, progress=not args.quiet)
    if not args.quiet:
        for period in result["periods"]:
            summary = period["summary"]
            when = f"{period['period']}: " if period["period"] else ""
            if summary is None:
                print(f"monitor: {when}{period['n_messages']} messages, too few to compare", file=sys.stderr)
                continue
            issues = summary["emerging_issues"]
            named = "; ".join(f"{issue['label']} ({issue['messages']})" for issue in issues)
            shifted = [shift["topic_label"] for shift in summary["topic_shifts"] if shift["significant"]]
            print(f"monitor: {when}{summary['n_messages']} messages, {len(issues)} emerging"
                  f" issue{'s' * (len(issues) != 1)}{': ' if issues else ''}{named}, drift"
                  f" {summary['drift']['score']:.3f}, {len(shifted)} topic share{'s' * (len(shifted) != 1)} shifted",
                  file=sys.stderr)
        print(f"monitor: report in {args.output / 'monitor.md'}", file=sys.stderr)


def labelled_command(args: argparse.Namespace) -> None:
    from tweet_topics.chain.topic_chain import TopicChain
    from tweet_topics.evaluation.labelled import labelled_evaluation, read_labelled_csv
    from tweet_topics.io.atomic import write_json
    from tweet_topics.params import CHAIN_SECTIONS, ChainParams, load_sections
    from tweet_topics.serving.router import TrainedTopics

    chain = TopicChain.from_params(ChainParams.from_sections(load_sections(*CHAIN_SECTIONS, path=args.params)))
    if args.k is not None and args.k < 2:
        raise UserError(f"--k is {args.k}; it must be at least 2 (or leave it out: k = the number of labels)")
    trained = TrainedTopics.load(args.models) if (args.models / paths.MANIFEST).is_file() else None
    if args.seeds < 1:
        raise UserError(f"--seeds is {args.seeds}; it must be at least 1")
    result = labelled_evaluation(read_labelled_csv(args.csv), chain, args.k, trained, args.seeds)
    write_json(args.output, result)
    scores = ", ".join(f"{name} {result[name]:.3f}" for name in ("accuracy", "nmi", "ari", "homogeneity",
                                                                   "completeness"))
    print(f"{args.csv}: {result['n_texts']} texts, {result['n_labels']} labels, k={result['k']}: {scores}"
          f" -> {args.output}")


def topics_accept_command(args: argparse.Namespace) -> None:
    from tweet_topics.discovery.topic_model import accept

    reference = accept(args.models / paths.TOPICS, args.reference)
    print(f"accepted {len(reference['topics'])} topics into {args.reference}: commit it, and the next retrain keeps"
          " their ids and names")


def topics_changes_command(args: argparse.Namespace) -> None:
    from tweet_topics.discovery.topic_changes import changes_markdown
    from tweet_topics.io.artifacts import read_json

    print(changes_markdown(read_json(args.changes), read_json(args.models / paths.TOPICS)))


def port(value: str) -> int:
    if value.isdigit() and 0 < int(value) < 65536:
        return int(value)
    raise argparse.ArgumentTypeError(f"'{value}' is not a port number (1 to 65535)")


def window_size(value: str) -> int:
    if value.isdigit():
        return int(value)
    raise argparse.ArgumentTypeError(f"'{value}' is not a number of messages (0 or more)")


def serve_command(args: argparse.Namespace) -> None:
    from functools import partial

    from tweet_topics.monitoring.window import routed_window
    from tweet_topics.serving.serve import serve

    window_factory = partial(routed_window, args.models, args.monitor_window) if args.monitor_window else None
    serve(args.models, args.host, args.port, args.device, args.model, window_factory=window_factory)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="tweet-topics", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    predict = commands.add_parser(
        "predict", help="route new messages to the trained topics",
        description="Route messages to the trained topics with exactly the pipeline's steps (models/ from"
                    " `dvc repro` or `dvc pull`). A CSV with an 'inbound' column (twcs) keeps the inbound rows.")
    predict.add_argument("input", type=path_or_url, nargs="?", default=None,
                         help="CSV, Parquet, JSONL, or text with one message per line, as a path or a URL"
                              " (s3://bucket/key); with --engine ray also a folder; '-' or nothing reads lines"
                              " from stdin")
    predict.add_argument("-o", "--output", type=path_or_url, default=None,
                         help="CSV or JSONL (by extension) to write, as a path or a URL (s3://bucket/key); stdout"
                              " (CSV) by default")
    predict.add_argument("--text-column", default="text", help="the text column or JSON field (default: text)")
    predict.add_argument("--id-column", default=None,
                         help="the id column or field (default: tweet_id or id if present, else the row number)")
    predict.add_argument("--input-format", choices=INPUT_FORMATS, default=None, help="default: from the extension")
    predict.add_argument("--output-format", choices=OUTPUT_FORMATS, default=None, help="default: from the extension")
    predict.add_argument("--models", type=Path, default=paths.MODELS, help="the trained models (default: models)")
    predict.add_argument("--device", type=device, default=None,
                         help="auto, cpu, cuda or cuda:N (default: the device the models' embeddings were made on)")
    predict.add_argument("--model", default=None,
                         help="a local folder with the embedding model's weights, if the recorded name does not"
                              " resolve here; its weights must be the trained ones")
    predict.add_argument("--over-time", type=Path, default=None, metavar="CSV",
                         help="also write the topic shares per period of the dated messages (created_at) to CSV")
    predict.add_argument("--period", type=period, default="W",
                         help="the period of --over-time: D, W (default) or M")
    predict.add_argument("--engine", choices=("local", "ray"), default="local",
                         help="ray: route a file or a folder of message files on a Ray cluster (params.yaml's"
                              " ray.address, else RAY_ADDRESS, else this machine) into parts in the folder -o, each"
                              " file's parts in order the rows predict writes for it (default: local)")
    predict.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary on stderr")
    predict.set_defaults(run=predict_command)
    monitor = commands.add_parser(
        "monitor", help="find what customers have started asking that no topic covers, and how topic shares moved",
        description="Compare a batch of new messages (or each period of a dated one) with the tweets the models were"
                    " trained on: emerging-issue candidates (groups of new messages far more frequent here than near"
                    " them in training), each topic's share against its training share, the needs_human rate, and a"
                    " drift score. Writes monitor.json, monitor.md and figures into the folder -o.")
    monitor.add_argument("input", type=path_or_url, nargs="?", default=None,
                         help="what predict reads: CSV, Parquet, JSONL or lines, a path or a URL; '-' or nothing"
                              " reads lines from stdin")
    monitor.add_argument("-o", "--output", type=Path, default=Path("monitor"),
                         help="the folder to write the report into (default: monitor)")
    monitor.add_argument("--period", type=period, default=None,
                         help="D, W or M: compare each period of the dated messages (created_at) on its own")
    monitor.add_argument("--models", type=Path, default=paths.MODELS, help="the trained models (default: models)")
    monitor.add_argument("--params", type=Path, default=paths.PARAMS,
                         help=f"the params file whose monitor section sets the test (default: {paths.PARAMS}; the"
                              " committed defaults if there is none)")
    monitor.add_argument("--text-column", default="text", help="the text column or JSON field (default: text)")
    monitor.add_argument("--id-column", default=None,
                         help="the id column or field (default: tweet_id or id if present, else the row number)")
    monitor.add_argument("--input-format", choices=INPUT_FORMATS, default=None, help="default: from the extension")
    monitor.add_argument("--device", type=device, default=None,
                         help="auto, cpu, cuda or cuda:N (default: the device the models' embeddings were made on)")
    monitor.add_argument("--model", default=None,
                         help="a local folder with the embedding model's weights, if the recorded name does not"
                              " resolve here")
    monitor.add_argument("-q", "--quiet", action="store_true", help="no progress or summary on stderr")
    monitor.set_defaults(run=monitor_command)
    labelled = commands.add_parser(
        "labelled", help="cluster a labelled CSV (text,label) the pipeline's way and score it against the labels")
    labelled.add_argument("csv", type=Path, help="CSV with the columns text,label")
    labelled.add_argument("--k", type=int, default=None, help="number of clusters (default: number of labels)")
    labelled.add_argument("--seeds", type=int, default=1,
                          help="runs with shifted seeds; the scores are their mean (default: 1)")
    labelled.add_argument("-o", "--output", type=Path, default=paths.LABELLED_SCORES)
    labelled.add_argument("--params", type=Path, default=paths.PARAMS)
    labelled.add_argument("--models", type=Path, default=paths.MODELS,
                          help="trained models to score against the labels, if present")
    labelled.set_defaults(run=labelled_command)
    topics = commands.add_parser("topics", help="accept the trained topics, or list what changed against them")
    actions = topics.add_subparsers(dest="action", required=True)
    accept = actions.add_parser(
        "accept", help="make the trained topics the accepted ones (topics/reference.json)",
        description="Write the trained topics' ids, names and mean embeddings to topics/reference.json. The next"
                    " retrain matches its topics to these, so a topic keeps its id and name. Commit the file.")
    changes = actions.add_parser("changes", help="what the last run changed against the accepted topics (markdown)")
    for action in (accept, changes):
        action.add_argument("--models", type=Path, default=paths.MODELS, help="the trained models (default: models)")
    accept.add_argument("--reference", type=Path, default=paths.ACCEPTED_TOPICS)
    accept.set_defaults(run=topics_accept_command)
    changes.add_argument("--changes", type=Path, default=paths.TOPIC_CHANGES)
    changes.set_defaults(run=topics_changes_command)
    serve = commands.add_parser(
        "serve", help="route messages over HTTP (POST /predict, GET /topics, /monitor, /health, /ready)",
        description="An HTTP service that loads the trained models once, warms up, and routes messages with"
                    " predict's steps: POST /predict with {\"text\": ...} or"
                    " {\"messages\": [{\"id\": ..., \"text\": ...}, ...]}. Stop it with SIGTERM or Ctrl-C.")
    serve.add_argument("--models", type=Path, default=paths.MODELS, help="the trained models (default: models)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="the address to listen on (default: 127.0.0.1; 0.0.0.0 in a container)")
    serve.add_argument("--port", type=port, default=8000, help="the port to listen on (default: 8000)")
    serve.add_argument("--device", type=device, default=None,
                       help="auto, cpu, cuda or cuda:N (default: the device the models' embeddings were made on)")
    serve.add_argument("--model", default=None,
                       help="a local folder with the embedding model's weights, if the recorded name does not"
                            " resolve here; its weights must be the trained ones")
    serve.add_argument("--monitor-window", type=window_size, default=10_000, metavar="N",
                       help="GET /monitor compares the last N messages routed with the training tweets: emerging"
                            " issues, topic shifts, drift (default: 10000; 0 turns the monitor off)")
    serve.set_defaults(run=serve_command)
    return top


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
