"""Broken twcs exports that ingest reads, shared by ingest's tests and predict's (tests/test_messages.py): what one
reads, the other reads. Each says which inbound tweets ingest keeps and which rows it quarantines; predict routes
the same tweets, except where `predict_ids` says otherwise (it keeps a text with invalid bytes, as U+FFFD)."""

import bz2
import gzip
import lzma
from dataclasses import dataclass
from pathlib import Path

HEADER = "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
COMPRESSORS = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}


@dataclass(frozen=True)
class Export:
    name: str
    content: bytes
    ids: list[str]  # the inbound tweets ingest keeps, in order
    texts: list[str]  # their texts
    quarantined: list[tuple[int, str]] = ()  # (row, reason) of what ingest quarantines
    suffix: str = ".csv"  # .csv.gz, .csv.bz2 or .csv.xz: compressed
    predict_ids: list[str] | None = None  # what predict routes, when not `ids`

    def write(self, folder: Path) -> Path:
        path = folder / f"{self.name}{self.suffix}"
        compress = COMPRESSORS.get(path.suffix)
        path.write_bytes(compress(self.content) if compress else self.content)
        return path


def rows(*lines: str, header: str = HEADER, end: str = "\n") -> bytes:
    return (header + "".join(line + end for line in lines)).encode()


PLAIN = rows("1,a,True,x,one,,", "2,b,True,x,caf\u00e9,,", "3,brand,False,x,hi,,1")
EXPORTS = [
    Export("plain", PLAIN, ["1", "2"], ["one", "caf\u00e9"]),
    *(Export(f"compressed_{kind}", PLAIN, ["1", "2"], ["one", "caf\u00e9"], suffix=f".csv.{kind}")
      for kind in ("gz", "bz2", "xz")),
    Export("bom_crlf_extra_column", b"\xef\xbb\xbf" + rows("1,a,True,x,hello,,,more", header=HEADER.strip()
                                                           + ",extra\r\n", end="\r\n"), ["1"], ["hello"]),
    *(Export(f"delimiter_{name}", rows(delimiter.join(["1", "a", "True", "x", "hi, there", "", ""]),
                                       header=HEADER.replace(",", delimiter)), ["1"], ["hi, there"])
      for name, delimiter in (("semicolon", ";"), ("tab", "\t"), ("pipe", "|"))),
    Export("stray_carriage_return", rows("1,a,True,x,my order\rnever came,,", "2,b,True,x,fine,,"), ["1", "2"],
           ["my order never came", "fine"]),
    Export("quoted_line_break", rows('1,a,True,x,"two\nlines, one text",,', "2,b,True,x,fine,,"), ["1", "2"],
           ["two\nlines, one text", "fine"]),
    Export("blank_lines", rows("1,a,True,x,one,,", "", "2,b,True,x,two,,", "   "), ["1", "2"], ["one", "two"]),
    Export("too_many_fields", rows("1,a,True,x,one,,", "2,b,True,x,two,,,surplus,fields", "3,c,True,x,three,,"),
           ["1", "3"], ["one", "three"], [(2, "bad_line")]),
    Export("missing_trailing_fields", rows("1,a,True,x,one,,", "2,b,True,x,two", "3,c", "4,d,True,x,four,,"),
           ["1", "4"], ["one", "four"], [(2, "bad_line"), (3, "bad_line")]),
    Export("invalid_utf8", HEADER.encode() + b"1,a,True,x,caf\xe9 au lait,,\n2,b,True,x,fine,,\n", ["2"], ["fine"],
           [(1, "invalid_utf8")], predict_ids=["1", "2"]),
    Export("overlong_text", rows("1,a,True,x," + "a" * 10_001 + ",,", "2,b,True,x,fine,,"), ["2"], ["fine"],
           [(1, "text_too_long")]),
]
