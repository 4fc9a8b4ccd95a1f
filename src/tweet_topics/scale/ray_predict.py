"""`tweet-topics predict --engine ray`: a message file, or a folder of them (CSV, Parquet, JSONL or lines), routed
by a pool of Ray actors, each loading the router once.

The driver streams each file in predict's batches (embed.CHUNK_SIZE messages), as the local command does, and
hands PART_BATCHES of them at a time to a free actor, which routes them batch by batch into an output part; a few
parts are in flight at once, so a file of any size fits. A message's batch is the one it has in the local
command, so the parts of a file, read in order, hold the local command's rows for that file, the same bytes.

The driver alone reads the inputs, so a file or folder may be a URL (s3://bucket/prefix/, io/remote.py). The output
folder may be a URL too: each actor uploads its parts there, with the driver's store settings. The models are read
by path: on a cluster, on a disk every node mounts.
"""

import itertools
import shutil
from dataclasses import dataclass
from pathlib import Path

from tweet_topics.encoding.embed import CHUNK_SIZE
from tweet_topics.errors import UserError
from tweet_topics.io.atomic import atomic_file
from tweet_topics.io.remote import check_bucket, is_url, remote_files, remote_kind, source_path, store_environment
from tweet_topics.scale.ray_cluster import connect, ray_settings, worker_slots
from tweet_topics.serving.messages import Batch, first_messages, input_format, read_batches
from tweet_topics.serving.predict import RoutingTally, predict_stream
from tweet_topics.serving.router import Router, TrainedTopics

MESSAGE_SUFFIXES = (".csv", ".parquet", ".pq", ".jsonl", ".ndjson", ".txt", ".gz", ".xz", ".bz2")
PART_BATCHES = 8  # predict's batches per actor call and output part: 16,384 messages
PARTS_PER_ACTOR = 2  # parts in flight per actor: the next is ready when one finishes


@dataclass(frozen=True)
class RouteJob:
    """predict's options, as each actor needs them."""

    models: str  # absolute: an actor's working folder is not the command's
    text_column: str = "text"
    id_column: str | None = None
    input_fmt: str | None = None
    output_fmt: str = "csv"
    device: str | None = None
    model: str | None = None


def input_files(source: Path | str) -> list[Path | str]:
    """`source` itself, or the message files in the folder `source`, by name; a URL's (s3://) likewise."""
    if is_url(source):
        kind = remote_kind(source)
        files = [source] if kind == "file" else remote_files(source, MESSAGE_SUFFIXES) if kind == "folder" else None
    elif source.is_file():
        return [source]
    elif source.is_dir():
        files = sorted(path for path in source.iterdir()
                       if path.is_file() and path.suffix.lower() in MESSAGE_SUFFIXES)
    else:
        files = None
    if files is None:
        raise UserError(f"{source}: no such file or folder; give a message file or a folder of them")
    if not files:
        raise UserError(f"{source}: no message files ({', '.join(MESSAGE_SUFFIXES)}) in the folder")
    return files


def part_name(source: Path | str, part: int, fmt: str) -> str:
    path = source_path(source)
    stem = path.name
    for suffix in reversed(path.suffixes):
        stem = stem.removesuffix(suffix)
    return f"{stem}-{part:05d}.{fmt}"


def output_folder(output: Path | str) -> Path | str:
    """The folder the parts go to, made and checked before any actor starts: a path (made here), or a URL's prefix
    (its bucket must exist; no object may already have its name)."""
    if is_url(output):
        check_bucket(output)
        if remote_kind(output) == "file":
            raise UserError(f"{output} is an object: with --engine ray, -o names a folder for the output parts")
        return output.rstrip("/") + "/"
    if output.exists() and not output.is_dir():
        raise UserError(f"{output} is a file: with --engine ray, -o names a folder for the output parts")
    output.mkdir(parents=True, exist_ok=True)
    return output.resolve()  # absolute: an actor's working folder is not the command's


def part_output(folder: Path | str, name: str) -> str:
    return folder + name if is_url(folder) else str(folder / name)


class RouteParts:
    """A Ray actor: the trained router, loaded once, routing parts of a file into their output files."""

    def __init__(self, job: RouteJob) -> None:
        self.job = job
        self.topics = TrainedTopics.load(Path(job.models))
        self.router = Router.load(Path(job.models), job.device, job.model, self.topics)

    def route(self, order: tuple[int, int], batches: list[Batch], output: str) -> tuple[tuple[int, int], RoutingTally]:
        """(`order`, the part's tally): `batches` written to `output` (a path or a URL) as predict writes them."""
        tally = RoutingTally.empty(self.topics)
        predict_stream(self.topics, self.router.assess, batches, output if is_url(output) else Path(output),
                       self.job.output_fmt, progress=False, tally=tally)
        return order, tally


def predict_on_ray(job: RouteJob, source: Path | str, output: Path | str, batch_size: int = CHUNK_SIZE,
                   part_batches: int = PART_BATCHES) -> dict:
    """Route every message file of `source` into parts in the folder `output` (a path or a URL); the messages per
    file, and each part's tally (`RoutingTally`) in the order of the files and their parts."""
    files = input_files(source)
    for path in files:  # a bad header or a file with no message fails here, in one line, before any actor starts
        first_messages(read_batches(path, input_format(path, job.input_fmt), job.text_column, job.id_column,
                                    batch_size), str(path))
    TrainedTopics.load(Path(job.models))  # and so do models that are missing or from another run
    folder = output_folder(output)
    ray = connect()
    from ray.util import ActorPool

    cpus = ray_settings().cpus_per_worker
    actors = worker_slots(ray, cpus)
    # with a URL, the driver's keys and endpoint, so that the actors write where it asked
    options = {"runtime_env": {"env_vars": store_environment()}} if is_url(folder) else {}
    pool = ActorPool([ray.remote(num_cpus=cpus)(RouteParts).options(**options).remote(job) for _ in range(actors)])
    in_flight, tallies, names = 0, {}, [source_path(path).name for path in files]
    for number, path in enumerate(files):
        batches = read_batches(path, input_format(path, job.input_fmt), job.text_column, job.id_column, batch_size)
        for index in itertools.count():
            part = list(itertools.islice(batches, part_batches))
            if not part and index > 0:
                break
            if in_flight == PARTS_PER_ACTOR * actors:
                order, tally = pool.get_next_unordered()
                tallies[order] = tally
                in_flight -= 1
            pool.submit(lambda actor, work: actor.route.remote(*work),
                        ((number, index), part, part_output(folder, part_name(path, index, job.output_fmt))))
            in_flight += 1
    while pool.has_next():
        order, tally = pool.get_next_unordered()
        tallies[order] = tally
    per_file = dict.fromkeys(names, 0)
    for (number, _), tally in tallies.items():
        per_file[names[number]] += int(tally.counts.sum())
    return {"n_messages": sum(per_file.values()), "files": per_file, "output": str(output),
            "parts": [tallies[order] for order in sorted(tallies)]}


def score_on_ray(job: RouteJob, source: Path | str, output: Path, batch_size: int = CHUNK_SIZE,
                 part_batches: int = PART_BATCHES) -> dict:
    """The score stage on Ray: `source` routed in parts on the cluster, the parts joined in order into `output`
    (atomically; the bytes the local command writes) and their tallies into predict's summary."""
    topics = TrainedTopics.load(Path(job.models))
    parts_folder = output.parent / f".{output.name}.parts"
    shutil.rmtree(parts_folder, ignore_errors=True)
    try:
        routed = predict_on_ray(job, source, parts_folder, batch_size, part_batches)
        with atomic_file(output) as tmp, open(tmp, "wb") as joined:
            for index, part in enumerate(sorted(parts_folder.iterdir())):
                with open(part, "rb") as handle:
                    if index > 0 and job.output_fmt == "csv":
                        handle.readline()  # each part has predict's header; the joined file has it once
                    shutil.copyfileobj(handle, joined)
    finally:
        shutil.rmtree(parts_folder, ignore_errors=True)
    tally = RoutingTally.empty(topics)
    for part in routed["parts"]:
        tally.merge(part)
    return tally.summary(topics)

