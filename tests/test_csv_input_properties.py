"""Property tests of the CSV reader: whatever the texts hold, a CSV written by pandas or a spreadsheet reads back
to the same texts (carriage returns aside, which become line ends or spaces), whatever the delimiter."""

import csv

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tweet_topics.io.csv_input import read_csv_rows

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
    finally:
        csv_input.BLOCK_BYTES = original
