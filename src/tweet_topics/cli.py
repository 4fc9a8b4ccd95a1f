"""The `tweet-topics` command (also `python -m tweet_topics`)."""

import argparse
import sys
from pathlib import Path

from tweet_topics.errors import UserError


def labelled_command(args: argparse.Namespace) -> None:
    import joblib

    from tweet_topics.atomic import write_json
    from tweet_topics.labelled_eval import PIPELINE_SECTIONS, labelled_evaluation, read_labelled_csv
    from tweet_topics.params import load_section

    params = {section: load_section(section, args.params) for section in PIPELINE_SECTIONS}
    if args.k is not None and args.k < 2:
        raise UserError(f"--k is {args.k}; it must be at least 2 (or leave it out: k = the number of labels)")
    trained = None
    models = [args.models / "reducer.joblib", args.models / "classifier.joblib"]
    if all(path.is_file() for path in models):
        trained = tuple(joblib.load(path) for path in models)
    result = labelled_evaluation(read_labelled_csv(args.csv), params, args.k, trained)
    write_json(args.output, result)
    scores = ", ".join(f"{name} {result[name]:.3f}" for name in ("accuracy", "nmi", "ari", "homogeneity",
                                                                   "completeness"))
    print(f"{args.csv}: {result['n_texts']} texts, {result['n_labels']} labels, k={result['k']}: {scores}"
          f" -> {args.output}")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="tweet-topics", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    labelled = commands.add_parser(
        "labelled", help="cluster a labelled CSV (text,label) the pipeline's way and score it against the labels")
    labelled.add_argument("csv", type=Path, help="CSV with the columns text,label")
    labelled.add_argument("--k", type=int, default=None, help="number of clusters (default: number of labels)")
    labelled.add_argument("-o", "--output", type=Path, default=Path("metrics/labelled.json"))
    labelled.add_argument("--params", type=Path, default=Path("params.yaml"))
    labelled.add_argument("--models", type=Path, default=Path("models"),
                          help="trained reducer and classifier to score against the labels, if present")
    labelled.set_defaults(run=labelled_command)
    return top


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
