"""A user's CSV read as strings, whatever spreadsheet or export made it: a BOM, CRLF or stray CR characters, another
delimiter, invalid UTF-8 bytes and lines with the wrong number of fields are handled, and a file compressed with
xz, gzip or bzip2 (by its extension) is read as it streams; what cannot be read is a one-line UserError naming the
file and the row."""

import bz2
import codecs
import csv
import gzip
import io
import lzma
import re
import threading
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from tweet_topics.errors import UserError

DELIMITERS = (",", ";", "\t", "|")
_SKIPPED_LINE = re.compile(r"Skipping line (\d+): (.*)")
_OPEN_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


@dataclass
class CsvRows:
    frame: pd.DataFrame  # every readable row, all columns as str ("" for empty)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (file line, why) of lines that were not rows
    invalid_utf8: bool = False  # some bytes were not UTF-8 and became U+FFFD


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
    try:
        handle = open_binary(path)
    except FileNotFoundError:
        raise UserError(f"{path}: file not found ({missing_hint})") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder, not a CSV file ({missing_hint})") from None
    try:
        with handle:
            return _parse(path, handle, missing_hint)
    except _DECOMPRESSION_ERRORS as error:
        kind = Path(path).suffix.lstrip(".").lower()
        raise UserError(f"{path}: not a readable {kind} file ({error}): give it whole, or the plain CSV"
                        f" ({missing_hint})") from None


def _parse(path: Path, handle: BinaryIO, missing_hint: str) -> CsvRows:
    text = CleanText(handle)
    header = text.peek_first_line()
    if header is None:
        raise UserError(f"{path}: the file is empty ({missing_hint})")
    delimiter = max(DELIMITERS, key=lambda d: (len(next(csv.reader([header], delimiter=d))), d == ","))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = pd.read_csv(text, sep=delimiter, dtype=str, keep_default_na=False, on_bad_lines="warn",
                                engine="c")
        except pd.errors.ParserError as error:
            message = str(error).splitlines()[0]
            opened = _OPEN_QUOTE.search(message)
            if opened:
                raise UserError(f"{path}: row {opened.group(1)}: a quoted field never closes (broken quoting):"
                                " fix the quotes on that row") from None
            raise UserError(f"{path}: not a readable CSV ({message})") from None
    skipped = []
    for warning in caught:
        for line, reason in _SKIPPED_LINE.findall(str(warning.message)):
            skipped.append((int(line), reason.strip()))
    frame.columns = [str(column).strip() for column in frame.columns]
    return CsvRows(frame, skipped, text.invalid_utf8)


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


def read_string_csv(path: Path, missing_hint: str) -> pd.DataFrame:
    return read_csv_rows(path, missing_hint).frame
