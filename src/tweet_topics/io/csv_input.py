"""A user's CSV read as strings, whatever spreadsheet or export made it: a BOM, CRLF or stray CR characters, another
delimiter, invalid UTF-8 bytes and records with too many or too few fields are handled, and a file compressed with
xz, gzip or bzip2 (by its extension) is read as it streams; what cannot be read is a one-line UserError naming the
file and the row. The one reader of every input file: whole (`read_csv_rows`: ingest, labelled) or a chunk at a
time (`read_csv_chunks`: predict, a file of any size or stdin).

Python's csv module splits the records (it counts each one's fields, which pandas hides: it fills a record's missing
trailing fields with ""); pandas names the columns as it always did."""

import bz2
import codecs
import csv
import gzip
import io
import lzma
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

from tweet_topics.errors import UserError

DELIMITERS = (",", ";", "\t", "|")
CHUNK_ROWS = 100_000  # rows per chunk when a whole file is read: small lists of Python strings, compact frames
# a quote that closes far away makes one huge field (a text_too_long row in ingest), not an error (the csv module's
# limit is for the process; its default, 131072 characters, would stop the file)
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))


@dataclass
class CsvRows:
    frame: pd.DataFrame  # every readable row, all columns as str ("" for empty)
    # each row's line as a spreadsheet shows the file (the header is line 1, a quoted line break starts no line, a
    # blank line counts): line - 1 is the row number ingest's quarantine and predict's ids use
    lines: np.ndarray
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, why) of records that were not rows
    invalid_utf8: bool = False  # some bytes were not UTF-8 and became U+FFFD (in a chunk: so far)


# a compressed file is decompressed as it is read, so it never sits whole in memory or on disk
DECOMPRESSORS = {".xz": lzma.open, ".gz": gzip.open, ".bz2": bz2.open}
# what a corrupt or truncated compressed file raises (gzip's and bzip2's errors are OSErrors)
_DECOMPRESSION_ERRORS = (lzma.LZMAError, zlib.error, EOFError, OSError)


def open_binary(path: Path) -> BinaryIO:
    """`path` opened for reading bytes, decompressed when its extension says xz, gzip or bzip2."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(path)
    handle = path.open("rb")  # noqa: SIM115 (the caller closes it)
    opener = DECOMPRESSORS.get(path.suffix.lower())
    return opener(handle, "rb") if opener else handle


def read_csv_rows(path: Path, missing_hint: str) -> CsvRows:
    """Every row of the CSV at `path`; an empty file is a UserError, a header only an empty frame."""
    chunks = list(read_csv_chunks(path, missing_hint))
    if not chunks:
        raise UserError(f"{path}: the file is empty ({missing_hint})")
    frame = chunks[0].frame if len(chunks) == 1 else pd.concat([c.frame for c in chunks], ignore_index=True)
    return CsvRows(frame, np.concatenate([chunk.lines for chunk in chunks]),
                   [line for chunk in chunks for line in chunk.skipped], chunks[-1].invalid_utf8)


def read_csv_chunks(source: Path | BinaryIO, missing_hint: str, chunk_rows: int = CHUNK_ROWS,
                    name: str = "<stdin>") -> Iterator[CsvRows]:
    """The rows of the CSV at `source` (a path) or in it (a binary stream such as stdin's buffer, called `name`) as
    it streams: chunks of at most `chunk_rows` rows, each with the records skipped since the previous one. An empty
    file gives no chunk, a header only one empty chunk (its columns)."""
    if not isinstance(source, str | Path):
        yield from _chunks(name, source, chunk_rows)
        return
    name = str(source)
    try:
        handle = open_binary(source)
    except FileNotFoundError:
        raise UserError(f"{source}: file not found ({missing_hint})") from None
    except IsADirectoryError:
        raise UserError(f"{source}: is a folder, not a CSV file ({missing_hint})") from None
    try:
        with handle:
            yield from _chunks(name, handle, chunk_rows)
    except _DECOMPRESSION_ERRORS as error:
        kind = Path(source).suffix.lstrip(".").lower()
        raise UserError(f"{source}: not a readable {kind} file ({error}): give it whole, or the plain CSV"
                        f" ({missing_hint})") from None


def _chunks(name: str, handle: BinaryIO, chunk_rows: int) -> Iterator[CsvRows]:
    text = CleanText(handle)
    header = text.peek_first_line()
    if header is None:
        return
    delimiter = max(DELIMITERS, key=lambda d: (len(next(csv.reader([header], delimiter=d))), d == ","))
    reader = csv.reader(text.lines(), delimiter=delimiter)
    columns: list[str] = []
    rows, lines, skipped, line = [], [], [], 0
    try:
        for record in reader:
            line += 1  # a spreadsheet's row: blank lines count, a quoted line break does not
            if text.lines_done:  # the input ended inside this record's quoted field
                raise UserError(f"{name}: row {line - 1}: a quoted field never closes (broken quoting): fix the"
                                " quotes on that row")
            if not record or (len(record) == 1 and record[0] and not record[0].strip(" \t")):
                continue  # a blank line
            if not columns:
                columns = _column_names(record, delimiter)
            elif len(record) != len(columns):
                skipped.append((line, f"expected {len(columns)} fields, saw {len(record)}"))
            else:
                rows.append(record)
                lines.append(line)
                if len(rows) == chunk_rows:
                    yield _chunk(columns, rows, lines, skipped, text.invalid_utf8)
                    rows, lines, skipped = [], [], []
    except csv.Error as error:
        raise UserError(f"{name}: row {line}: not a readable CSV ({error})") from None
    if columns:
        yield _chunk(columns, rows, lines, skipped, text.invalid_utf8)


def _chunk(columns: list[str], rows: list[list[str]], lines: list[int], skipped: list[tuple[int, str]],
           invalid_utf8: bool) -> CsvRows:
    return CsvRows(pd.DataFrame(rows, columns=columns, dtype=str), np.array(lines, dtype=np.int64), skipped,
                   invalid_utf8)


def _column_names(header: list[str], delimiter: str) -> list[str]:
    """The header's names as pandas gives them (a repeated name as name.1, an empty one as Unnamed: 2), stripped."""
    written = io.StringIO()
    csv.writer(written, delimiter=delimiter).writerow(header)
    written.seek(0)
    names = pd.read_csv(written, sep=delimiter, nrows=0, engine="c").columns
    return [str(name).strip() for name in names]


class CleanText(io.TextIOBase):
    """A binary file's text as the parser should see it, decoded a block at a time (the whole file as one string
    took several times its size in memory): UTF-8 without Excel's byte-order mark, invalid bytes as U+FFFD (noted
    in `invalid_utf8`), CRLF as a line end, and a lone CR (pasted inside an unquoted text) as a space."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors=_NOTED_REPLACE)
        self._buffer = ""  # decoded text not yet returned
        self._held_cr = False  # a block ended in CR: whether it is a line end depends on the next block
        self._started = False
        self._ended = False
        self.invalid_utf8 = False
        self.lines_done = False  # lines() has given its last line

    def readable(self) -> bool:
        return True

    def peek_first_line(self) -> str | None:
        """The first line, without consuming it; None when the file holds only whitespace."""
        while not self._ended and ("\n" not in self._buffer or not self._buffer.strip()):
            self._buffer += self._next_block()
        if not self._buffer.strip():
            return None
        return self._buffer.split("\n", 1)[0]

    def read(self, size: int | None = -1) -> str:
        while not self._ended and (size is None or size < 0 or len(self._buffer) < size):
            self._buffer += self._next_block()
        cut = len(self._buffer) if size is None or size < 0 else size
        text, self._buffer = self._buffer[:cut], self._buffer[cut:]
        return text

    def lines(self) -> Iterator[str]:
        r"""The text not yet read, a line at a time, each with its "\n" (the last one without, when the file ends
        without one): the csv module's input. Only "\n" ends a line (str.splitlines would also split at \x0b, \x1c
        or U+2028, which are characters of a text)."""
        parts, self._buffer = [self._buffer], ""
        while not self._ended:
            block = self._next_block()
            cut = block.rfind("\n") + 1
            if cut:
                parts.append(block[:cut])
                yield from io.StringIO("".join(parts), newline="\n")
                parts = [block[cut:]]
            else:
                parts.append(block)  # a line longer than a block: joined once its end comes
        yield from io.StringIO("".join(parts), newline="\n")
        self.lines_done = True

    def _next_block(self) -> str:
        block = self._handle.read(BLOCK_BYTES)
        _replaced.seen = False
        text = self._decoder.decode(block, final=not block)
        self.invalid_utf8 |= _replaced.seen
        if not self._started and text:  # the first character decoded: Excel's byte-order mark, if it is one
            text, self._started = text.removeprefix("\ufeff"), True
        if self._held_cr:
            text, self._held_cr = "\r" + text, False
        if block and text.endswith("\r"):
            text, self._held_cr = text[:-1], True
        self._ended = not block
        return text.replace("\r\n", "\n").replace("\r", " ")


BLOCK_BYTES = 1 << 20
_replaced = threading.local()


def _replace_and_note(error: UnicodeDecodeError) -> tuple[str, int]:
    _replaced.seen = True
    return "\ufffd", error.end


_NOTED_REPLACE = "tweet_topics.noted_replace"
codecs.register_error(_NOTED_REPLACE, _replace_and_note)
