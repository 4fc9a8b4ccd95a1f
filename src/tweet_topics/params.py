"""Read one section of params.yaml and check every key against what the stage expects."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tweet_topics.errors import UserError
from tweet_topics.paths import PARAMS as PARAMS_FILE

# section -> key -> (accepted types, check on the value or None, what the check wants)
Check = tuple[tuple[type, ...], Callable[[Any], bool] | None, str]

_positive_int: Check = ((int,), lambda v: v > 0, "a positive integer")
_non_negative_int: Check = ((int,), lambda v: v >= 0, "an integer >= 0")
_positive_number: Check = ((int, float), lambda v: v > 0, "a positive number")
_text: Check = ((str,), lambda v: v.strip() != "", "a non-empty string")
_engine: Check = ((str,), lambda v: v in ("local", "ray"), "'local' or 'ray'")
_fraction_map: Check = (
    (dict,),
    lambda v: set(v) == {"discovery", "validation", "evaluation"}
    and all(isinstance(f, int | float) and 0 < f < 1 for f in v.values())
    and abs(sum(v.values()) - 1.0) < 1e-9,
    "discovery, validation and evaluation fractions, each in (0, 1), summing to 1",
)

# where a stage runs, not what it writes (the engines give the same bytes): DVC does not rerun a stage for them
UNTRACKED_KEYS = ("featurize.engine", "reduce.engine", "score.engine")

SCHEMA: dict[str, dict[str, Check]] = {
    "ingest": {
        "source": ((str,), lambda v: v in ("sample", "file", "kaggle"), "'sample', 'file' or 'kaggle'"),
        "raw_path": _text,
        "kaggle_handle": _text,
        "kaggle_file": _text,
        "max_inbound": _non_negative_int,
        "split_fractions": _fraction_map,
    },
    "preprocess": {
        "language": _text,
        "handles": ((str,), lambda v: v in ("leading", "all", "keep"), "'leading', 'all' or 'keep'"),
    },
    "featurize": {
        "model": _text,
        "text_view": ((str,), lambda v: v in ("embedding", "keyword"), "'embedding' or 'keyword'"),
        "batch_size": ((int, str), lambda v: v == "auto" if isinstance(v, str) else v > 0,
                       "'auto' or a positive integer"),
        "device": ((str,), lambda v: v in ("auto", "cpu", "cuda") or v.startswith("cuda:"),
                   "'auto', 'cpu', 'cuda' or 'cuda:N'"),
        "backend": ((str,), lambda v: v in ("torch", "onnx-int8"), "'torch' or 'onnx-int8'"),
        "dtype": ((str,), lambda v: v in ("auto", "float32", "float16"), "'auto', 'float32' or 'float16'"),
        "engine": _engine,
    },
    "reduce": {
        "method": ((str,), lambda v: v in ("smoothed-pca", "pca", "umap"), "'smoothed-pca', 'pca' or 'umap'"),
        "engine": _engine,
    },
    "ray": {
        "address": ((str,), None, "a Ray cluster's host:port, or '' (RAY_ADDRESS, else a Ray on this machine)"),
        "cpus_per_worker": _positive_int,
    },
    "smoothing": {
        "n_neighbors": ((int,), lambda v: v >= 1, "an integer >= 1"),
        "steps": _positive_int,
        "seed": _non_negative_int,
        "max_fit_tweets": _positive_int,
    },
    "pca": {
        "n_components": _positive_int,
        "whiten": ((bool,), None, "true or false"),
        "seed": _non_negative_int,
        "max_fit_tweets": _positive_int,
    },
    "umap": {
        "n_components": _positive_int,
        "n_neighbors": ((int,), lambda v: v >= 2, "an integer >= 2"),
        "min_dist": ((int, float), lambda v: 0 <= v <= 1, "a number in [0, 1]"),
        "seed": _non_negative_int,
        "max_fit_tweets": _positive_int,
    },
    "kmeans": {
        "n_clusters": ((int,), lambda v: v >= 2, "an integer >= 2"),
        "seed": _non_negative_int,
        "n_init": _positive_int,
        "algorithm": ((str,), lambda v: v in ("lloyd", "minibatch"), "'lloyd' or 'minibatch'"),
        "max_fit_tweets": _positive_int,
    },
    "stability": {
        "refits": ((int,), lambda v: v >= 2, "an integer >= 2"),
        "noise": ((int, float), lambda v: v >= 0, "a number >= 0"),
        "max_tweets": _positive_int,
    },
    "sweep": {
        "k_values": ((list,), lambda v: len(v) > 0 and all(isinstance(k, int) and not isinstance(k, bool) and k >= 2
                                                            for k in v), "a non-empty list of integers >= 2"),
        "max_tweets": _positive_int,
        "seed": _non_negative_int,
    },
    "labelled": {
        "path": _text,
        "k": _non_negative_int,
        "seeds": _positive_int,
    },
    "score": {
        "input": _text,
        "text_column": _text,
        "engine": _engine,
    },
    "handoff": {
        "flag_rate": ((int, float), lambda v: 0 < v < 1, "a share in (0, 1)"),
        "k": _positive_int,
        "max_reference_tweets": _positive_int,
        "max_tweets": _positive_int,
        "seed": _non_negative_int,
    },
    "foreign": {
        "path": _text,
    },
    "train": {
        "C": _positive_number,
        "class_weight": ((str, type(None)), lambda v: v in ("balanced", None), "'balanced' or null"),
        "max_iter": _positive_int,
    },
}


def load_section(section: str, path: Path = PARAMS_FILE) -> dict[str, Any]:
    """The validated `section` of params.yaml; a missing, unknown or ill-typed key is a UserError."""
    try:
        params = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise UserError(f"{path} not found: run the stage from the repository root") from None
    except yaml.YAMLError as error:
        raise UserError(f"{path} is not valid YAML: {str(error).splitlines()[0]}") from None
    values = params.get(section)
    if not isinstance(values, dict):
        raise UserError(f"{path}: section '{section}' is missing")
    return validate_section(section, values, path)


def load_sections(*sections: str, path: Path = PARAMS_FILE) -> dict[str, dict[str, Any]]:
    """Several validated sections, by name."""
    return {section: load_section(section, path) for section in sections}


def validate_section(section: str, values: dict[str, Any], path: Path = PARAMS_FILE) -> dict[str, Any]:
    schema = SCHEMA[section]
    unknown = sorted(set(values) - set(schema))
    if unknown:
        raise UserError(
            f"{path}: unknown key '{section}.{unknown[0]}' (known keys: {', '.join(sorted(schema))});"
            " check the spelling in params.yaml or in `dvc exp run -S`"
        )
    for key, (types, check, wanted) in schema.items():
        if key not in values:
            raise UserError(f"{path}: key '{section}.{key}' is missing; it must be {wanted}")
        value = values[key]
        # bool is an int in Python, but `n_clusters: true` is a typo, not a number
        wrong_bool = isinstance(value, bool) and bool not in types
        if wrong_bool or not isinstance(value, types) or (check and not check(value)):
            raise UserError(f"{path}: '{section}.{key}' is {value!r}; it must be {wanted}")
    return dict(values)
