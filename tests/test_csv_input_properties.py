"""Property tests of the CSV reader: whatever the texts hold, a CSV written by pandas or a spreadsheet reads back
to the same texts (carriage returns aside, which become line ends or spaces), whatever the delimiter, in ingest and
in predict alike; read in chunks, a file gives the rows, lines and skipped records it gives whole."""

import csv

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tweet_topics.io.csv_input import read_csv_chunks, read_csv_rows
from tweet_topics.serving.messages import read_batches

# A text ending in CR, written unquoted before an LF line end, is a CRLF line end to any reader: left out.
texts = st.lists(st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
                         max_size=60).filter(lambda t: t.strip() != "" and not t.endswith("\r")),
                 min_size=1, max_size=12)


def expected(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", " ")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=texts, delimiter=st.sampled_from([",", ";", "\t", "|"]), bom=st.booleans(), crlf=st.booleans())
def test_texts_round_trip_through_a_written_csv(tmp_path, texts, delimiter, bom, crlf):
    path = tmp_path / "t.csv"
    frame = pd.DataFrame({"tweet_id": [str(i) for i in range(len(texts))], "inbound": "True", "text": texts})
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        frame.to_csv(handle, sep=delimiter, index=False, quoting=csv.QUOTE_MINIMAL,
                     lineterminator="\r\n" if crlf else "\n")
    rows = read_csv_rows(path, "hint")
    assert list(rows.frame.columns) == ["tweet_id", "inbound", "text"]
    assert rows.frame["text"].tolist() == [expected(text) for text in texts]
    assert rows.skipped == [] and not rows.invalid_utf8
    batches = list(read_batches(path, "csv", "text", None, batch_size=5))  # predict's reading of the same file
    assert sum((batch.texts for batch in batches), []) == [expected(text) for text in texts]
    assert sum((batch.ids for batch in batches), []) == frame["tweet_id"].tolist()


RECORDS = ["1,a,x", "2,b", "3,c,y,z", "", "   ", '4,"q\nr",s', '5,"",', "6", ",,,,"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(st.sampled_from(RECORDS), max_size=25), chunk_rows=st.integers(min_value=1, max_value=6))
def test_chunks_are_the_whole_file_in_pieces_and_every_record_has_its_line(tmp_path, records, chunk_rows):
    """A record with more or fewer fields than the header is skipped with its line (a spreadsheet's row: the header
    is line 1, a blank line counts, a quoted line break does not); chunks hold at most chunk_rows rows."""
    path = tmp_path / "t.csv"
    path.write_text("id,t,u\n" + "".join(record + "\n" for record in records))
    whole = read_csv_rows(path, "hint")
    chunks = list(read_csv_chunks(path, "hint", chunk_rows))
    fields = [len(next(csv.reader([record]))) if record.strip() else 0 for record in records]
    assert whole.lines.tolist() == [line + 2 for line, n in enumerate(fields) if n == 3]
    assert whole.skipped == [(line + 2, f"expected 3 fields, saw {n}") for line, n in enumerate(fields)
                             if n not in (0, 3)]
    assert whole.frame["id"].tolist() == [record.split(",")[0] for record, n in zip(records, fields, strict=True)
                                          if n == 3]
    assert all(len(chunk.frame) <= chunk_rows for chunk in chunks) and len(chunks) >= 1
    assert pd.concat([chunk.frame for chunk in chunks], ignore_index=True).equals(whole.frame)
    assert sum((chunk.skipped for chunk in chunks), []) == whole.skipped
    assert sum((chunk.lines.tolist() for chunk in chunks), []) == whole.lines.tolist()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_any_bytes_give_rows_or_one_line_error(tmp_path, data):
    from tweet_topics.errors import UserError

    path = tmp_path / "t.csv"
    path.write_bytes(b"tweet_id,inbound,text\n" + data)
    try:
        rows = read_csv_rows(path, "hint")
    except UserError as error:
        assert "\n" not in str(error) and str(path) in str(error)
        return
    assert all(isinstance(value, str) for value in rows.frame.to_numpy().ravel())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200), block=st.integers(min_value=1, max_value=7))
def test_reading_in_small_blocks_equals_decoding_the_whole_file(tmp_path, data, block):
    """Blocks split multi-byte characters, CRLF pairs and the byte-order mark: the result is the whole file's."""
    import tweet_topics.io.csv_input as csv_input

    path = tmp_path / "t.csv"
    path.write_bytes(b"\xef\xbb\xbfid,text\r\n" + data.replace(b"\x00", b""))
    raw = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    whole = raw.decode("utf-8", errors="replace")
    try:
        raw.decode("utf-8")
        invalid = False
    except UnicodeDecodeError:
        invalid = True
    expected_text = whole.replace("\r\n", "\n").replace("\r", " ")
    original = csv_input.BLOCK_BYTES
    csv_input.BLOCK_BYTES = block
    try:
        with open(path, "rb") as handle:
            text = csv_input.CleanText(handle)
            assert text.peek_first_line() == "id,text"
            assert text.read(5) + text.read() == expected_text
            assert text.invalid_utf8 == invalid
        with open(path, "rb") as handle:  # the csv module's input: whole lines, split at "\n" only
            text = csv_input.CleanText(handle)
            text.peek_first_line()
            lines = list(text.lines())
            assert "".join(lines) == expected_text and text.lines_done
            assert all(line.count("\n") == 1 and line.endswith("\n") for line in lines[:-1])
            assert lines[-1].count("\n") == int(lines[-1].endswith("\n"))
    finally:
        csv_input.BLOCK_BYTES = original
