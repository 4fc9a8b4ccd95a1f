"""params.yaml as typed, frozen objects: one class per section, each key a field with the check its value must pass.
A section is read and checked once, at the edge (a stage, the CLI, a manifest), and travels as that object; a caller
that needs other values makes a changed copy (`dataclasses.replace`), never changes the one it was given."""

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

import yaml

from tweet_topics.errors import UserError
from tweet_topics.paths import PARAMS as PARAMS_FILE

# accepted types, a check on the value or None, what the check wants (said in the error)
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
# a step chosen through a registry (reduction/methods.py, encoding/backends.py): the registry checks the name
_step_name: Check = ((str,), lambda v: v.strip() != "", "the name of a registered method")

# where a stage runs, not what it writes (the engines give the same bytes): DVC does not rerun a stage for them
UNTRACKED_KEYS = ("featurize.engine", "reduce.engine", "score.engine")


def key(check: Check) -> Any:
    return field(metadata={"check": check})


@dataclass(frozen=True)
class Section:
    """One validated section of params.yaml."""

    name: ClassVar[str]

    @classmethod
    def from_dict(cls, values: dict[str, Any], path: Path = PARAMS_FILE) -> "Section":
        """The section made from `values`, after checking every key; a missing, unknown or ill-typed key is a
        UserError that names it."""
        known = [item.name for item in fields(cls)]
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise UserError(
                f"{path}: unknown key '{cls.name}.{unknown[0]}' (known keys: {', '.join(sorted(known))});"
                " check the spelling in params.yaml or in `dvc exp run -S`"
            )
        for item in fields(cls):
            types, check, wanted = item.metadata["check"]
            if item.name not in values:
                raise UserError(f"{path}: key '{cls.name}.{item.name}' is missing; it must be {wanted}")
            value = values[item.name]
            # bool is an int in Python, but `n_clusters: true` is a typo, not a number
            wrong_bool = isinstance(value, bool) and bool not in types
            if wrong_bool or not isinstance(value, types) or (check and not check(value)):
                raise UserError(f"{path}: '{cls.name}.{item.name}' is {value!r}; it must be {wanted}")
        return cls(**{name: _frozen(values[name]) for name in known})

    def as_dict(self) -> dict[str, Any]:
        """The section as params.yaml spells it (keys in the same order): what a manifest records."""
        return {name: _thawed(value) for name, value in asdict(self).items()}


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _thawed(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class IngestParams(Section):
    name = "ingest"
    source: str = key(((str,), lambda v: v in ("sample", "file", "kaggle"), "'sample', 'file' or 'kaggle'"))
    raw_path: str = key(_text)
    kaggle_handle: str = key(_text)
    kaggle_file: str = key(_text)
    max_inbound: int = key(_non_negative_int)
    split_fractions: dict = key(_fraction_map)


@dataclass(frozen=True)
class PreprocessParams(Section):
    name = "preprocess"
    language: str = key(_text)
    handles: str = key(((str,), lambda v: v in ("leading", "all", "keep"), "'leading', 'all' or 'keep'"))


@dataclass(frozen=True)
class FeaturizeParams(Section):
    name = "featurize"
    model: str = key(_text)
    text_view: str = key(((str,), lambda v: v in ("embedding", "keyword"), "'embedding' or 'keyword'"))
    batch_size: int | str = key(((int, str), lambda v: v == "auto" if isinstance(v, str) else v > 0,
                                 "'auto' or a positive integer"))
    device: str = key(((str,), lambda v: v in ("auto", "cpu", "cuda") or v.startswith("cuda:"),
                       "'auto', 'cpu', 'cuda' or 'cuda:N'"))
    backend: str = key(_step_name)
    dtype: str = key(((str,), lambda v: v in ("auto", "float32", "float16"), "'auto', 'float32' or 'float16'"))
    engine: str = key(_engine)


@dataclass(frozen=True)
class ReduceParams(Section):
    name = "reduce"
    method: str = key(_step_name)
    engine: str = key(_engine)


@dataclass(frozen=True)
class RayParams(Section):
    name = "ray"
    address: str = key(((str,), None, "a Ray cluster's host:port, or '' (RAY_ADDRESS, else a Ray on this machine)"))
    cpus_per_worker: int = key(_positive_int)


@dataclass(frozen=True)
class SmoothingParams(Section):
    name = "smoothing"
    n_neighbors: int = key(((int,), lambda v: v >= 1, "an integer >= 1"))
    steps: int = key(_positive_int)
    seed: int = key(_non_negative_int)
    max_fit_tweets: int = key(_positive_int)


@dataclass(frozen=True)
class PcaParams(Section):
    name = "pca"
    n_components: int = key(_positive_int)
    whiten: bool = key(((bool,), None, "true or false"))
    seed: int = key(_non_negative_int)
    max_fit_tweets: int = key(_positive_int)


@dataclass(frozen=True)
class UmapParams(Section):
    name = "umap"
    n_components: int = key(_positive_int)
    n_neighbors: int = key(((int,), lambda v: v >= 2, "an integer >= 2"))
    min_dist: float = key(((int, float), lambda v: 0 <= v <= 1, "a number in [0, 1]"))
    seed: int = key(_non_negative_int)
    max_fit_tweets: int = key(_positive_int)


@dataclass(frozen=True)
class KMeansParams(Section):
    name = "kmeans"
    n_clusters: int = key(((int,), lambda v: v >= 2, "an integer >= 2"))
    seed: int = key(_non_negative_int)
    n_init: int = key(_positive_int)
    algorithm: str = key(((str,), lambda v: v in ("lloyd", "minibatch"), "'lloyd' or 'minibatch'"))
    max_fit_tweets: int = key(_positive_int)


@dataclass(frozen=True)
class StabilityParams(Section):
    name = "stability"
    refits: int = key(((int,), lambda v: v >= 2, "an integer >= 2"))
    noise: float = key(((int, float), lambda v: v >= 0, "a number >= 0"))
    max_tweets: int = key(_positive_int)


@dataclass(frozen=True)
class SweepParams(Section):
    name = "sweep"
    k_values: tuple[int, ...] = key(((list,), lambda v: len(v) > 0 and all(
        isinstance(k, int) and not isinstance(k, bool) and k >= 2 for k in v), "a non-empty list of integers >= 2"))
    max_tweets: int = key(_positive_int)
    seed: int = key(_non_negative_int)


@dataclass(frozen=True)
class LabelledParams(Section):
    name = "labelled"
    path: str = key(_text)
    k: int = key(_non_negative_int)
    seeds: int = key(_positive_int)


@dataclass(frozen=True)
class ScoreParams(Section):
    name = "score"
    input: str = key(_text)
    text_column: str = key(_text)
    engine: str = key(_engine)


@dataclass(frozen=True)
class MonitorParams(Section):
    name = "monitor"
    input: str = key(_text)
    text_column: str = key(_text)
    period: str | None = key(((str, type(None)), lambda v: v in ("D", "W", "M", None), "D, W, M or null"))
    k: int = key(_positive_int)
    message_alpha: float = key(((int, float), lambda v: 0 < v < 1, "a probability in (0, 1)"))
    alpha: float = key(((int, float), lambda v: 0 < v < 1, "a probability in (0, 1)"))
    min_size: int = key(((int,), lambda v: v >= 2, "an integer >= 2"))
    permutations: int = key(((int,), lambda v: v >= 19, "an integer >= 19 (the fewest for a p-value of 0.05)"))
    max_reference_tweets: int = key(_positive_int)
    max_batch_messages: int = key(_positive_int)
    seed: int = key(_non_negative_int)


@dataclass(frozen=True)
class HandoffParams(Section):
    name = "handoff"
    flag_rate: float = key(((int, float), lambda v: 0 < v < 1, "a share in (0, 1)"))
    k: int = key(_positive_int)
    max_reference_tweets: int = key(_positive_int)
    max_tweets: int = key(_positive_int)
    seed: int = key(_non_negative_int)


@dataclass(frozen=True)
class ForeignParams(Section):
    name = "foreign"
    path: str = key(_text)


@dataclass(frozen=True)
class TrainParams(Section):
    name = "train"
    C: float = key(_positive_number)
    class_weight: str | None = key(((str, type(None)), lambda v: v in ("balanced", None), "'balanced' or null"))
    max_iter: int = key(_positive_int)


SECTIONS: dict[str, type[Section]] = {section.name: section for section in Section.__subclasses__()}


def read_params(path: Path = PARAMS_FILE) -> dict[str, Any]:
    """params.yaml as YAML gives it; a missing or malformed file is a UserError."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise UserError(f"{path} not found: run the stage from the repository root") from None
    except yaml.YAMLError as error:
        raise UserError(f"{path} is not valid YAML: {str(error).splitlines()[0]}") from None


def load_section(section: str, path: Path = PARAMS_FILE) -> Any:
    """The validated `section` of params.yaml, as its Section class."""
    values = read_params(path).get(section)
    if not isinstance(values, dict):
        raise UserError(f"{path}: section '{section}' is missing")
    return validate_section(section, values, path)


def load_sections(*sections: str, path: Path = PARAMS_FILE) -> dict[str, Any]:
    return {section: load_section(section, path) for section in sections}


def validate_section(section: str, values: dict[str, Any] | Section, path: Path = PARAMS_FILE) -> Any:
    return values if isinstance(values, Section) else SECTIONS[section].from_dict(values, path)


# the sections a reduction reads (reduce.method picks the reducer; each reducer reads its own section)
REDUCE_SECTIONS = ("reduce", "pca", "umap", "smoothing")
# the sections that decide how texts become topics: the chain's (chain/)
CHAIN_SECTIONS = ("preprocess", "featurize", *REDUCE_SECTIONS, "kmeans")


@dataclass(frozen=True)
class ReductionParams:
    reduce: ReduceParams
    pca: PcaParams
    umap: UmapParams
    smoothing: SmoothingParams

    @classmethod
    def from_sections(cls, sections: dict[str, Any]) -> "ReductionParams":
        """From validated sections (load_sections) or plain dicts of them (checked here)."""
        return cls(**{name: validate_section(name, sections[name]) for name in REDUCE_SECTIONS})


@dataclass(frozen=True)
class ChainParams:
    """Everything the chain text -> views -> embedding -> reduced -> topic is built from."""
    preprocess: PreprocessParams
    featurize: FeaturizeParams
    reduction: ReductionParams
    kmeans: KMeansParams

    @classmethod
    def from_sections(cls, sections: dict[str, Any]) -> "ChainParams":
        preprocess, featurize, kmeans = (validate_section(name, sections[name])
                                         for name in ("preprocess", "featurize", "kmeans"))
        return cls(preprocess, featurize, ReductionParams.from_sections(sections), kmeans)
