"""predict's input: messages read in batches, with their ids and carried columns, from a CSV (ingest's reader: what
ingest reads, predict reads, and what ingest quarantines predict leaves out), Parquet, JSONL or lines, streaming so
that a file of any size fits; from a file, stdin, or a URL (s3://, io/remote.py)."""

import io
import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO, TextIO

import numpy as np
import pandas as pd

from tweet_topics.encoding.embed import CHUNK_SIZE
from tweet_topics.errors import UserError
from tweet_topics.io.csv_input import DECOMPRESSORS, read_csv_chunks
from tweet_topics.io.remote import is_url, open_remote, source_path
from tweet_topics.tweets.ingest import MAX_TEXT_CHARS, parse_inbound
from tweet_topics.tweets.prepare import addressed_brand, sane_text

ID_COLUMNS = ("tweet_id", "id")  # used as the message id when present, in this order
CARRIED = ("brand", "created_at")  # columns or fields copied to the output when the input has them
NAMED_ROWS = 5  # the rows a note on stderr names
PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass
class Batch:
    ids: list[str]
    texts: list[str]
    carried: dict[str, list[str]] = field(default_factory=dict)  # CARRIED name -> a value per message
    # a table's rows this batch read, those left out included, and of those a twcs file's company replies: why a
    # batch can be empty
    read: int = 0
    replies: int = 0


def input_format(source: Path | str | None, requested: str | None) -> str:
    if requested:
        return requested
    if source is None:
        return "lines"
    path = source_path(source)
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in DECOMPRESSORS and PurePosixPath(path.stem).suffix.lower() == ".csv":
        return "csv"  # read as it streams, as ingest reads it
    return "csv" if suffix == ".csv" else "jsonl" if suffix in (".jsonl", ".ndjson") else "lines"


def read_batches(path: Path | str | None, fmt: str, text_column: str, id_column: str | None,
                 batch_size: int = CHUNK_SIZE) -> Iterator[Batch]:
    """Messages in batches; `path` None is stdin, a string with :// a URL. Ids: `id_column`, else tweet_id or id,
    else the row number."""
    if is_url(path):
        with open_remote(path) as handle:
            yield from _stream_batches(handle, path, fmt, text_column, id_column, batch_size)
        return
    name = str(path) if path is not None else "<stdin>"
    if path is not None and not path.is_file():
        raise UserError(f"{path}: file not found")
    if fmt == "parquet":
        if path is None:
            raise UserError("Parquet cannot be read from stdin: give the file's path")
        yield from _parquet_batches(path, name, text_column, id_column, batch_size)
        return
    if fmt == "csv":
        yield from _csv_batches(path if path is not None else sys.stdin.buffer, name, text_column, id_column,
                                batch_size)
        return
    with ExitStack() as stack:
        # invalid bytes become U+FFFD rather than stop a long run; a BOM is dropped
        handle = (stack.enter_context(open(path, encoding="utf-8-sig", errors="replace", newline=""))
                  if path is not None else sys.stdin)
        yield from _text_batches(handle, name, fmt, text_column, id_column, batch_size)


def _stream_batches(handle: BinaryIO, name: str, fmt: str, text_column: str, id_column: str | None,
                    batch_size: int) -> Iterator[Batch]:
    """Messages in batches from an open binary stream called `name` (a URL's object), in any input format."""
    if fmt == "parquet":
        yield from _parquet_batches(handle, name, text_column, id_column, batch_size)
    elif fmt == "csv":
        yield from _csv_batches(handle, name, text_column, id_column, batch_size)
    else:
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="replace", newline="")
        yield from _text_batches(text, name, fmt, text_column, id_column, batch_size)


def _text_batches(handle: TextIO, name: str, fmt: str, text_column: str, id_column: str | None,
                  batch_size: int) -> Iterator[Batch]:
    """JSONL records or lines (any other `fmt`) from a text stream, in batches."""
    reader = _jsonl_rows if fmt == "jsonl" else _line_rows
    return _batched(reader(handle, name, text_column, id_column), batch_size)


def _csv_batches(source: Path | BinaryIO, name: str, text_column: str, id_column: str | None,
                 batch_size: int) -> Iterator[Batch]:
    """A CSV's rows read by ingest's reader (any delimiter, a BOM, CR line ends, compressed, streamed), in batches.
    What ingest quarantines, records with the wrong number of fields and texts over MAX_TEXT_CHARS (rows swallowed
    by broken quoting), is left out, each kind named in one line on stderr."""
    bad_lines = LeftOut("with the wrong number of fields")
    too_long = LeftOut(f"whose text is over {MAX_TEXT_CHARS} characters (rows swallowed by broken quoting?)")
    for chunk in read_csv_chunks(source, "the input of predict", batch_size, name):
        # numbered as ingest numbers them: the header's line is row 0
        bad_lines.add([(line - 1, why) for line, why in chunk.skipped])
        batch = _frame_batch(chunk.frame, chunk.lines - 1, name, text_column, id_column, too_long)
        batch.read += len(chunk.skipped)
        yield batch
    bad_lines.note(name)
    too_long.note(name)


def _frame_batch(frame: pd.DataFrame, rows: np.ndarray, name: str, text_column: str, id_column: str | None,
                 too_long: "LeftOut") -> Batch:
    """One batch of a table's rows (text columns; `rows`: their row numbers): a twcs file keeps its inbound rows
    and gets the brand each text addresses; a text over MAX_TEXT_CHARS is left out."""
    _require_columns(name, frame.columns, text_column, id_column)
    ids, texts = _ids(frame, id_column, rows), frame[text_column].tolist()
    carried = {column: frame[column].tolist() for column in CARRIED if column in frame.columns}
    keep = np.ones(len(frame), dtype=bool)
    twcs = "inbound" in frame.columns
    if twcs and "brand" not in carried:  # the brand the tweet addresses, as prepare finds it
        no_reply = pd.Series("", index=frame.index, dtype=frame[text_column].dtype)
        carried["brand"] = addressed_brand(sane_text(frame[text_column]), no_reply).tolist()
    if twcs:  # the customers' tweets only, as in the pipeline
        keep &= parse_inbound(frame["inbound"], Path(name), rows).to_numpy()
    replies = int((~keep).sum())
    long = (frame[text_column].str.len() > MAX_TEXT_CHARS).to_numpy()
    too_long.add([(row, "") for row in rows[keep & long].tolist()])
    keep &= ~long
    return Batch(_kept(ids, keep), _kept(texts, keep), {key: _kept(values, keep) for key, values in carried.items()},
                 len(frame), replies)


def _parquet_batches(source: Path | BinaryIO, name: str, text_column: str, id_column: str | None,
                     batch_size: int) -> Iterator[Batch]:
    """A Parquet file read `batch_size` rows at a time (pyarrow), only the columns predict uses, each as text (a
    null as ""), then taken as a CSV's rows are; rows are numbered from 1."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(source)
    except (pa.ArrowException, OSError) as error:
        raise UserError(f"{name}: not a readable Parquet file ({str(error).splitlines()[0]}); give a Parquet file"
                        " or another format with --input-format") from None
    columns = parquet.schema_arrow.names
    _require_columns(name, columns, text_column, id_column)
    wanted = [text_column, id_column or next((c for c in ID_COLUMNS if c in columns), None), *CARRIED, "inbound"]
    wanted = [column for column in dict.fromkeys(wanted) if column in columns]
    too_long = LeftOut(f"whose text is over {MAX_TEXT_CHARS} characters")
    first = 1
    for batch in parquet.iter_batches(batch_size=batch_size, columns=wanted):
        frame = pd.DataFrame({column: pc.fill_null(pc.cast(batch.column(column), pa.string()), "").to_pylist()
                              for column in wanted}, dtype=object)
        rows = np.arange(first, first + len(frame))
        first += len(frame)
        yield _frame_batch(frame, rows, name, text_column, id_column, too_long)
    too_long.note(name)


def first_messages(batches: Iterator[Batch], name: str) -> Batch:
    """The first batch of `batches` (the input called `name`) with a message in it: a twcs file's replies can fill
    whole batches. An input with no message to route is a one-line UserError saying why, raised once the input is
    read and before anything is written."""
    tables, read, replies = False, 0, 0
    for batch in batches:
        if batch.ids:
            return batch
        tables, read, replies = True, read + batch.read, replies + batch.replies
    plural = "s" * (read != 1)
    if not tables:  # not a line of text, or a CSV without even a header
        why = "it is empty"
    elif not read:
        why = "a header and no rows"
    elif replies == read:
        why = f"{read} row{plural}, none from a customer (inbound is false on every row)"
    elif not replies:
        why = f"{read} row{plural}, each left out (see above)"
    else:
        why = f"{read} rows: {replies} from the company (inbound is false), the others left out (see above)"
    raise UserError(f"{name}: no messages to route: {why}; nothing was written")


class LeftOut:
    """Rows left out for one reason: how many, and the first few with why, for one line on stderr at the end."""

    def __init__(self, reason: str) -> None:
        self.reason, self.count, self.first = reason, 0, []

    def add(self, rows: list[tuple[int, str]]) -> None:
        self.count += len(rows)
        self.first += rows[:NAMED_ROWS - len(self.first)]

    def note(self, name: str) -> None:
        if self.count:
            from tqdm import tqdm  # clears the progress bar's line for the note

            named = ", ".join(f"{row}" + (f" ({why})" if why else "") for row, why in self.first)
            plural = "s" * (self.count > 1)
            tqdm.write(f"warning: {name}: left out {self.count} row{plural} {self.reason}: row{plural} {named}"
                       f"{', ...' * (self.count > NAMED_ROWS)}", file=sys.stderr)


def _kept(values: list, keep: np.ndarray) -> list:
    return [value for value, k in zip(values, keep, strict=True) if k]


def _require_columns(name: str, columns: Iterable[str], text_column: str, id_column: str | None) -> None:
    columns = list(columns)
    for wanted, flag in ((text_column, "--text-column"), (id_column, "--id-column")):
        if wanted is not None and wanted not in columns:
            raise UserError(f"{name}: no column '{wanted}' (its columns: {', '.join(columns)}); name the right"
                            f" one with {flag} NAME")


def _ids(frame: pd.DataFrame, id_column: str | None, rows: np.ndarray) -> list[str]:
    column = id_column or next((c for c in ID_COLUMNS if c in frame.columns), None)
    return [str(row) for row in rows.tolist()] if column is None else frame[column].tolist()


def _jsonl_rows(handle: TextIO, name: str, text_column: str,
                id_column: str | None) -> Iterator[tuple[str, str, dict]]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise UserError(f"{name}: line {number} is not valid JSON ({error.msg})") from None
        if not isinstance(record, dict) or text_column not in record:
            raise UserError(f"{name}: line {number} has no '{text_column}' field; name the text field with"
                            " --text-column NAME")
        column = id_column or next((c for c in ID_COLUMNS if c in record), None)
        if id_column is not None and id_column not in record:
            raise UserError(f"{name}: line {number} has no '{id_column}' field; fix --id-column")
        text = record[text_column]
        carried = {key: "" if record[key] is None else str(record[key]) for key in CARRIED if key in record}
        yield (str(record[column]) if column else str(number)), (text if isinstance(text, str) else ""), carried


def _line_rows(handle: TextIO, name: str, text_column: str,
               id_column: str | None) -> Iterator[tuple[str, str, dict]]:
    for number, line in enumerate(handle, start=1):
        text = line.rstrip("\r\n")
        if text.strip():
            yield str(number), text, {}


def _batched(rows: Iterator[tuple[str, str, dict]], batch_size: int) -> Iterator[Batch]:
    """Batches of rows; a field some records lack is "" for them (the first record with it names the column)."""
    batch = Batch([], [])
    for identifier, text, carried in rows:
        for key in carried.keys() - batch.carried.keys():
            batch.carried[key] = [""] * len(batch.ids)
        for key, values in batch.carried.items():
            values.append(carried.get(key, ""))
        batch.ids.append(identifier)
        batch.texts.append(text)
        if len(batch.ids) == batch_size:
            yield batch
            batch = Batch([], [], {key: [] for key in batch.carried})
    if batch.ids:
        yield batch
