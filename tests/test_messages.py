"""predict's input (messages.read_batches) without a model: every export ingest reads (tests/exports.py), from a
file or stdin; what ingest quarantines for its shape (wrong field counts, overlong texts) left out and named on
stderr; row numbers as ingest's."""

import io
import sys

import pytest

from tests.exports import EXPORTS, HEADER, rows
from tweet_topics.errors import UserError
from tweet_topics.serving.messages import first_messages, input_format, read_batches
from tweet_topics.tweets.ingest import MAX_TEXT_CHARS


def read(path, text_column: str = "text", batch_size: int = 4, fmt: str = "csv") -> tuple[list, list, dict]:
    ids, texts, carried = [], [], {}
    for batch in read_batches(path, fmt, text_column, None, batch_size=batch_size):
        ids += batch.ids
        texts += batch.texts
        for key, values in batch.carried.items():
            carried.setdefault(key, []).extend(values)
    return ids, texts, carried


@pytest.mark.parametrize("export", EXPORTS, ids=lambda export: export.name)
def test_predict_reads_every_export_ingest_reads(tmp_path, export, capsys):
    path = export.write(tmp_path)
    assert input_format(path, None) == "csv"
    ids, texts, carried = read(path)
    assert ids == (export.predict_ids or export.ids)
    if export.predict_ids is None:
        assert texts == export.texts
    assert carried["created_at"] == ["x"] * len(ids)
    shape = [row for row, reason in export.quarantined if reason in ("bad_line", "text_too_long")]
    err = capsys.readouterr().err
    assert len(err.splitlines()) == len({reason for _, reason in export.quarantined if reason != "invalid_utf8"})
    assert all(f" {row}" in err for row in shape)


@pytest.mark.parametrize("export", [export for export in EXPORTS if export.suffix == ".csv"],
                         ids=lambda export: export.name)
def test_predict_reads_every_export_on_stdin(export, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(export.content)))
    assert read(None)[0] == (export.predict_ids or export.ids)


def test_rows_with_missing_or_surplus_fields_are_left_out_and_named_once(tmp_path, capsys):
    path = tmp_path / "in.csv"
    path.write_text("id,text\n1,hello\n2\n3,fine\n4,a,b\n\n6,bye\n")
    ids, texts, _ = read(path, batch_size=2)
    assert ids == ["1", "3", "6"] and texts == ["hello", "fine", "bye"]
    assert capsys.readouterr().err.splitlines() == [
        f"warning: {path}: left out 2 rows with the wrong number of fields: rows 2 (expected 2 fields, saw 1),"
        " 4 (expected 2 fields, saw 3)"]


def test_row_number_ids_skip_a_bad_line_as_ingest_numbers_rows(tmp_path, capsys):
    path = tmp_path / "in.csv"
    path.write_text('text,brand\nhello,A\nnot,a,row\n"two\nlines",B\n\nbye,C\n')
    ids, texts, carried = read(path)
    assert ids == ["1", "3", "5"] and texts == ["hello", "two\nlines", "bye"] and carried["brand"] == ["A", "B", "C"]


def test_a_text_over_ingests_limit_is_left_out_and_named(tmp_path, capsys):
    path = tmp_path / "in.csv"
    path.write_text(f"text\nshort\n{'x' * (MAX_TEXT_CHARS + 1)}\n{'y' * MAX_TEXT_CHARS}\n")
    ids, texts, _ = read(path)
    assert ids == ["1", "3"] and len(texts[1]) == MAX_TEXT_CHARS
    err = capsys.readouterr().err
    assert err.startswith(f"warning: {path}: left out 1 row whose text is over {MAX_TEXT_CHARS} characters")
    assert err.strip().endswith(": row 2")


def test_only_inbound_overlong_texts_are_named_in_a_twcs_file(tmp_path, capsys):
    long = "z" * (MAX_TEXT_CHARS + 1)
    path = tmp_path / "t.csv"
    path.write_bytes(rows(f"1,brand,False,x,{long},,", f"2,b,True,x,{long},,", "3,c,True,x,ok,,"))
    assert read(path)[0] == ["3"]
    assert capsys.readouterr().err.strip().endswith(": row 2")


def test_the_first_messages_may_follow_batches_of_replies(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(rows(*(f"{i},brand,False,x,@1 we can help,," for i in range(5)), "9,c,True,x,my card,,"))
    first = first_messages(read_batches(path, "csv", "text", None, batch_size=2), str(path))
    assert first.ids == ["9"] and first.texts == ["my card"]


def test_rows_all_left_out_are_no_messages_and_the_line_says_why(tmp_path, capsys):
    long = "z" * (MAX_TEXT_CHARS + 1)
    path = tmp_path / "t.csv"
    path.write_bytes(rows("1,brand,False,x,@1 hi,,", f"2,b,True,x,{long},,", "3,c"))
    with pytest.raises(UserError) as error:
        first_messages(read_batches(path, "csv", "text", None, batch_size=2), str(path))
    assert str(error.value) == (f"{path}: no messages to route: 3 rows: 1 from the company (inbound is false), the"
                                " others left out (see above); nothing was written")
    assert len(capsys.readouterr().err.splitlines()) == 2  # the warnings for the overlong text and the short row
    (tmp_path / "long.csv").write_text(f"text\n{long}\n")
    with pytest.raises(UserError, match="1 row, each left out"):
        first_messages(read_batches(tmp_path / "long.csv", "csv", "text", None), "long.csv")

def test_many_bad_lines_name_the_first_few(tmp_path, capsys):
    path = tmp_path / "in.csv"
    path.write_text("text\n" + "a,b\nok\n" * 20)
    assert len(read(path)[0]) == 20
    err = capsys.readouterr().err
    assert "left out 20 rows" in err and "rows 1 (expected 1 fields, saw 2), 3 (" in err and err.strip().endswith(
        ", ...")


def test_a_quote_that_never_closes_is_one_clear_line(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('text\nfine\n"never closes\nmore\n')
    with pytest.raises(UserError, match=r"in\.csv: row 2: a quoted field never closes \(broken quoting\)"):
        read(path)


def test_a_compressed_csv_is_csv_and_a_truncated_one_a_clear_line(tmp_path):
    import lzma

    path = tmp_path / "t.csv.xz"
    path.write_bytes(lzma.compress((HEADER + "1,a,True,x,one,,\n" * 2000).encode())[:200])
    assert input_format(path, None) == "csv" and input_format(tmp_path / "t.jsonl.gz", None) == "lines"
    with pytest.raises(UserError, match=r"t\.csv\.xz: not a readable xz file"):
        read(path)


def test_batches_hold_at_most_batch_size_messages_and_stream(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("text\n" + "".join(f"message {i}\n" for i in range(10)))
    batches = read_batches(path, "csv", "text", None, batch_size=4)
    first = next(batches)
    assert first.ids == ["1", "2", "3", "4"]
    assert [len(batch.ids) for batch in batches] == [4, 2]


def twcs_parquet(path, inbound=(True, True, False)) -> None:
    """The plain export's rows as a Parquet file with typed columns: integer ids, boolean inbound."""
    import pandas as pd

    pd.DataFrame({"tweet_id": [1, 2, 3], "author_id": ["a", "b", "brand"], "inbound": list(inbound),
                  "created_at": ["x", "x", "x"], "text": ["one", "caf\u00e9", "hi"],
                  "response_tweet_id": [None, None, None], "in_response_to_tweet_id": [None, None, 1.0]},
                 ).to_parquet(path, index=False)


def test_a_parquet_export_reads_as_its_csv(tmp_path):
    """Typed columns read as the CSV's strings: the same ids, texts, carried columns and inbound filter."""
    csv = EXPORTS[0].write(tmp_path)
    parquet = tmp_path / "plain.parquet"
    twcs_parquet(parquet)
    assert input_format(parquet, None) == "parquet" and input_format(tmp_path / "x.pq", None) == "parquet"
    assert read(parquet, fmt="parquet", batch_size=2) == read(csv)


def test_parquet_is_read_a_batch_at_a_time_with_row_number_ids(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "messages.parquet"
    pq.write_table(pa.table({"text": [f"message {i}" for i in range(10)]}), path, row_group_size=3)
    batches = read_batches(path, "parquet", "text", None, batch_size=4)
    first = next(batches)
    assert first.ids == ["1", "2", "3", "4"] and first.texts[0] == "message 0"
    assert [len(batch.ids) for batch in batches] == [4, 2]


def test_a_null_text_in_parquet_is_an_empty_message(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "messages.parquet"
    pq.write_table(pa.table({"id": [7, 8], "text": ["hello", None]}), path)
    assert read(path, fmt="parquet")[:2] == (["7", "8"], ["hello", ""])


def test_parquet_errors_are_one_line(tmp_path, monkeypatch):
    path = tmp_path / "messages.parquet"
    twcs_parquet(path)
    with pytest.raises(UserError, match=r"messages\.parquet: no column 'body' \(its columns: tweet_id, author_id"):
        read(path, text_column="body", fmt="parquet")
    broken = tmp_path / "broken.parquet"
    broken.write_text("id,text\n1,hello\n")
    with pytest.raises(UserError, match=r"broken\.parquet: not a readable Parquet file"):
        read(broken, fmt="parquet")
    twcs_parquet(path, inbound=("True", "maybe", "False"))
    with pytest.raises(UserError, match=r"row 2, column 'inbound' is 'maybe'"):
        read(path, fmt="parquet")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"PAR1")))
    with pytest.raises(UserError, match="Parquet cannot be read from stdin"):
        read(None, fmt="parquet")
