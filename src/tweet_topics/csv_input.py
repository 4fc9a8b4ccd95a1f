"""A user's CSV read as strings, whatever spreadsheet or export made it: a BOM, CRLF or stray CR characters, another
delimiter, invalid UTF-8 bytes and lines with the wrong number of fields are handled; what cannot be read is a
one-line UserError naming the file and the row."""

import csv
import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

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


def read_csv_rows(path: Path, missing_hint: str) -> CsvRows:
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise UserError(f"{path}: file not found ({missing_hint})") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder, not a CSV file ({missing_hint})") from None
    raw = raw.removeprefix(b"\xef\xbb\xbf")  # Excel's UTF-8 byte-order mark
    try:
        text, invalid_utf8 = raw.decode("utf-8"), False
    except UnicodeDecodeError:
        text, invalid_utf8 = raw.decode("utf-8", errors="replace"), True
    # CRLF is a line end; a lone CR (pasted inside an unquoted text) is not, so it becomes a space
    text = text.replace("\r\n", "\n").replace("\r", " ")
    if not text.strip():
        raise UserError(f"{path}: the file is empty ({missing_hint})")
    header = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=lambda d: (len(next(csv.reader([header], delimiter=d))), d == ","))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                                on_bad_lines="warn", engine="c")
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
    return CsvRows(frame, skipped, invalid_utf8)


def read_string_csv(path: Path, missing_hint: str) -> pd.DataFrame:
    return read_csv_rows(path, missing_hint).frame
