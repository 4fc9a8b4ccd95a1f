import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.conftest import REPO
from tests.exports import EXPORTS, HEADER
from tweet_topics.errors import UserError
from tweet_topics.io.datasets import SPLITS
from tweet_topics.tweets.ingest import assign_splits, cap_tweets, download_twcs, read_twcs, select_inbound

FRACTIONS = {"discovery": 0.70, "validation": 0.15, "evaluation": 0.15}


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def sample_inbound(twcs_sample):
    tweets, _, _ = select_inbound(read_twcs(twcs_sample), twcs_sample)
    return tweets


def test_sample_keeps_every_inbound_tweet(sample_inbound):
    assert len(sample_inbound) == 20_820
    assert sample_inbound["tweet_id"].is_unique


def test_splits_are_disjoint_and_cover_every_tweet(sample_inbound):
    split = assign_splits(sample_inbound["tweet_id"], FRACTIONS)
    assert set(split) == set(SPLITS)
    ids = {name: set(sample_inbound["tweet_id"][split == name]) for name in SPLITS}
    assert sum(len(s) for s in ids.values()) == len(sample_inbound)
    assert not (ids["discovery"] & ids["validation"] or ids["discovery"] & ids["evaluation"]
                or ids["validation"] & ids["evaluation"])


@pytest.mark.parametrize("fractions", [FRACTIONS, {"discovery": 0.5, "validation": 0.25, "evaluation": 0.25}])
def test_split_fractions_are_respected(sample_inbound, fractions):
    split = assign_splits(sample_inbound["tweet_id"], fractions)
    for name, wanted in fractions.items():
        assert abs(np.mean(split == name) - wanted) < 0.01, name


def test_a_tweet_keeps_its_split_when_rows_are_appended(tmp_path):
    rows = [f"{i},{1000 + i},True,Tue Oct 31 22:10:47 +0000 2017,tweet {i},," for i in range(1, 2001)]
    before, _, _ = select_inbound(read_twcs(write_csv(tmp_path / "a.csv", rows[:1000])), tmp_path / "a.csv")
    after, _, _ = select_inbound(read_twcs(write_csv(tmp_path / "b.csv", rows)), tmp_path / "b.csv")
    split_before = dict(zip(before["tweet_id"], assign_splits(before["tweet_id"], FRACTIONS), strict=True))
    split_after = dict(zip(after["tweet_id"], assign_splits(after["tweet_id"], FRACTIONS), strict=True))
    assert all(split_after[tid] == split for tid, split in split_before.items())


def test_inbound_spellings_empty_texts_and_duplicate_ids(tmp_path):
    path = write_csv(tmp_path / "t.csv", [
        "1,a,True,x,one,,", "2,b,TRUE,x,two,,", "3,c,true,x,three,,", "4,d,1,x,four,,",
        "5,brand,False,x,reply,,1", "6,brand,FALSE,x,reply,,", "7,brand,0,x,reply,,", "8,e,false,x,reply,,",
        "9,f,True,x,   ,,", "1,a,True,x,one again,,",
    ])
    tweets, counts, quarantined = select_inbound(read_twcs(path), path)
    assert tweets["tweet_id"].tolist() == ["1", "2", "3", "4"]
    assert tweets["text"].tolist()[0] == "one"
    assert tweets["replied_by"].tolist() == ["brand", "", "", ""]
    assert counts["quarantined_empty_text"] == 1 and counts["quarantined_duplicate_tweet_id_other_text"] == 1
    assert quarantined[["row", "reason"]].values.tolist() == [[9, "empty_text"],
                                                               [10, "duplicate_tweet_id_other_text"]]
    assert counts["outbound_rows"] == 4 and counts["inbound_tweets"] == 4


def test_unknown_inbound_value_names_file_row_and_column(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["1,a,True,x,one,,", "2,b,yes,x,two,,"])
    with pytest.raises(UserError, match=r"t\.csv: row 2, column 'inbound' is 'yes'"):
        select_inbound(read_twcs(path), path)


def test_missing_column_names_it(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("tweet_id,author_id,created_at,text\n1,a,x,hello\n")
    with pytest.raises(UserError, match=r"t\.csv: missing column 'inbound'"):
        read_twcs(path)


def test_cap_is_a_stable_subset(sample_inbound):
    capped = cap_tweets(sample_inbound, 3000)
    assert len(capped) == 3000
    assert capped["tweet_id"].tolist() == cap_tweets(sample_inbound.iloc[::-1], 3000)["tweet_id"].tolist()[::-1]
    assert cap_tweets(sample_inbound, 0) is sample_inbound


def test_kaggle_download_offline_is_a_clear_error_within_seconds(tmp_path, monkeypatch):
    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path / "kagglehub"))
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # refused at once, even on a connected machine
    started = time.monotonic()
    with pytest.raises(UserError, match=r"the Kaggle download of '.*versions/10' failed .*KAGGLE_USERNAME"):
        download_twcs("thoughtvector/customer-support-on-twitter/versions/10", "twcs/twcs.csv")
    assert time.monotonic() - started < 5


def write_params(folder: Path, **ingest) -> None:
    """params.yaml in `folder`, with the ingest keys given."""
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["ingest"].update(ingest)
    (folder / "params.yaml").write_text(yaml.safe_dump(params))


def run_ingest(folder: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "stages" / "ingest.py")], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("ingest_params", "message"), [
    ({"source": "file"}, "error: data/00_raw/twcs.csv not found (ingest.source is file): put a twcs-format CSV"),
    ({"source": "kaggle"}, "error: the Kaggle download of 'thoughtvector/customer-support-on-twitter/versions/10'"
                           " failed"),
    ({"source": "sample"}, "error: data/sample/twcs_sample.csv.xz not found: restore it with `git checkout"),
])
def test_ingest_stage_without_its_source_fails_with_one_line(tmp_path, ingest_params, message):
    write_params(tmp_path, **ingest_params)
    env = {**os.environ, "KAGGLEHUB_CACHE": str(tmp_path / "kagglehub"), "HTTPS_PROXY": "http://127.0.0.1:9"}
    result = run_ingest(tmp_path, env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr
    assert not (tmp_path / "data" / "01_ingested").exists()


def test_ingest_stage_reads_the_committed_sample_by_default(tmp_path):
    (tmp_path / "data" / "sample").mkdir(parents=True)
    (tmp_path / "data" / "sample" / "twcs_sample.csv.xz").symlink_to(REPO / "data" / "sample" / "twcs_sample.csv.xz")
    write_params(tmp_path, max_inbound=500)
    result = run_ingest(tmp_path)
    assert result.returncode == 0, result.stderr
    counts = json.loads((tmp_path / "metrics" / "ingest.json").read_text())
    assert counts["inbound_tweets"] == 20_820 and counts["rows_read"] == 58_340
    assert sum(counts[f"{split}_tweets"] for split in SPLITS) == 500


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_a_compressed_file_is_read_as_the_plain_one(tmp_path, suffix):
    import bz2
    import gzip
    import lzma

    plain = write_csv(tmp_path / "t.csv", ["1,a,True,x,one,,", "2,b,True,x,caf\u00e9,,", "3,brand,False,x,hi,,1"])
    packed = tmp_path / f"t.csv{suffix}"
    opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}[suffix]
    with opener(packed, "wb") as handle:
        handle.write(plain.read_bytes())
    assert ingest(packed)[0].equals(ingest(plain)[0])


def test_a_truncated_compressed_file_is_one_clear_line(tmp_path):
    import lzma

    path = tmp_path / "t.csv.xz"
    path.write_bytes(lzma.compress((HEADER + "1,a,True,x,one,,\n" * 2000).encode())[:200])
    with pytest.raises(UserError, match=r"t\.csv\.xz: not a readable xz file"):
        read_twcs(path)


def ingest(path: Path):
    return select_inbound(read_twcs(path), path)


def reasons(quarantined) -> list[tuple[int, str]]:
    return [(int(row), reason) for row, reason in quarantined[["row", "reason"]].itertuples(index=False)]


@pytest.mark.parametrize("export", EXPORTS, ids=lambda export: export.name)
def test_every_broken_export_is_read(tmp_path, export):
    """BOM, CRLF, CR, delimiters, compression, blank lines, wrong field counts...: tests/exports.py, which predict's
    tests read too."""
    tweets, counts, quarantined = ingest(export.write(tmp_path))
    assert tweets["tweet_id"].tolist() == export.ids and tweets["text"].tolist() == export.texts
    assert reasons(quarantined) == list(export.quarantined)


def test_a_line_with_too_many_fields_is_quarantined_with_its_row(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["1,a,True,x,one,,", "2,b,True,x,two,,,surplus,fields", "3,c,True,x,three,,"])
    tweets, counts, quarantined = ingest(path)
    assert tweets["tweet_id"].tolist() == ["1", "3"]
    assert reasons(quarantined) == [(2, "bad_line")] and "expected 7 fields, saw 9" in quarantined["text"][0]
    assert counts["quarantined_bad_line"] == 1 and counts["rows_read"] == 3


def test_a_row_with_missing_trailing_fields_is_quarantined_with_its_row(tmp_path):
    """A ragged export: the row lost its last fields (here its inbound value too) and is a bad line, not an error;
    the rows after it keep their numbers."""
    rows = [f"{i},a{i},True,x,tweet number {i},," for i in range(1, 41)]
    rows[34], rows[36] = "35,a35", "37,a37,True,x,,,"
    tweets, counts, quarantined = ingest(write_csv(tmp_path / "t.csv", rows))
    assert len(tweets) == 38 and "35" not in tweets["tweet_id"].tolist()
    assert reasons(quarantined) == [(35, "bad_line"), (37, "empty_text")]
    assert quarantined["text"][0] == "expected 7 fields, saw 2"
    assert counts["quarantined_bad_line"] == 1 and counts["rows_read"] == 40


def test_a_quote_that_never_closes_names_the_row(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["1,a,True,x,one,,", '2,b,True,x,"two,,', "3,c,True,x,three,,"])
    with pytest.raises(UserError, match=r"t\.csv: row 2: a quoted field never closes \(broken quoting\)"):
        read_twcs(path)


def test_a_quote_that_closes_thousands_of_lines_later_is_one_overlong_text(tmp_path):
    """The swallowed lines make one field longer than the csv module's default limit: a text_too_long row."""
    swallowed = [f"{i},a,True,x,tweet number {i},," for i in range(2, 8000)]
    path = write_csv(tmp_path / "t.csv", ['1,a,True,x,"opens here', *swallowed, 'closes here",,', "2,b,True,x,fine,,"])
    tweets, counts, quarantined = ingest(path)
    assert tweets["tweet_id"].tolist() == ["2"] and reasons(quarantined) == [(1, "text_too_long")]
    assert len(quarantined["text"][0]) > 131_072


def test_invalid_utf8_bytes_quarantine_their_row_only(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(HEADER.encode() + b"1,a,True,x,caf\xe9 au lait,,\n2,b,True,x,fine,,\n")
    tweets, counts, quarantined = ingest(path)
    assert tweets["tweet_id"].tolist() == ["2"] and reasons(quarantined) == [(1, "invalid_utf8")]


@pytest.mark.parametrize(("content", "message"), [
    (b"", r"t\.csv: the file is empty"),
    (b"\n\n  \n", r"t\.csv: the file is empty"),
    (HEADER.encode(), r"t\.csv: a header but no readable rows"),
])
def test_an_empty_file_or_a_header_only_is_one_clear_line(tmp_path, content, message):
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    with pytest.raises(UserError, match=message):
        read_twcs(path)


def test_duplicate_ids_keep_the_first_and_say_whether_the_text_differs(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["1,a,True,x,one,,", "1,a,True,x,one,,", "1,a,True,x,changed,,",
                                          "2,b,True,x,two,,"])
    tweets, counts, quarantined = ingest(path)
    assert tweets["text"].tolist() == ["one", "two"]
    assert reasons(quarantined) == [(3, "duplicate_tweet_id_other_text"), (2, "duplicate_tweet_id")]


def test_no_inbound_rows_is_one_clear_line(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["1,brand,False,x,reply,,", "2,brand,0,x,reply,,"])
    with pytest.raises(UserError, match=r"t\.csv: none of its 2 rows is inbound"):
        ingest(path)


def test_overlong_empty_and_excel_mangled_rows_are_quarantined(tmp_path):
    path = write_csv(tmp_path / "t.csv", [
        "1,a,True,x," + "a" * 10_001 + ",,", "2,b,True,x,,,", "119237.0,c,True,x,recoverable id,,",
        "1.19237E+11,d,True,x,id lost by Excel,,", "3,e,TRUE,x," + "b" * 10_000 + ",,"])
    tweets, counts, quarantined = ingest(path)
    assert tweets["tweet_id"].tolist() == ["119237", "3"]
    assert sorted(reasons(quarantined)) == [(1, "text_too_long"), (2, "empty_text"), (4, "bad_tweet_id")]
    assert counts["quarantined_text_too_long"] == 1 and counts["inbound_tweets"] == 2


def test_ingest_stage_writes_the_quarantine_and_its_counts(tmp_path):
    write_csv(tmp_path / "raw.csv", [f"{i},a{i},True,x,tweet number {i},," for i in range(1, 41)]
              + ["41,z,True,x,,,", "7,a7,True,x,tweet number 7 edited,,", "42,z,True,x,ok,,,,,"])
    write_params(tmp_path, source="file", raw_path="raw.csv")
    result = run_ingest(tmp_path)
    assert result.returncode == 0, result.stderr
    quarantine = (tmp_path / "data" / "01_ingested" / "quarantine.csv").read_text().splitlines()
    assert quarantine[0] == "row,reason,tweet_id,text" and len(quarantine) == 4
    counts = json.loads((tmp_path / "metrics" / "ingest.json").read_text())
    assert counts["quarantined_empty_text"] == 1 and counts["quarantined_bad_line"] == 1
    assert counts["quarantined_duplicate_tweet_id_other_text"] == 1 and counts["inbound_tweets"] == 40


def test_ingest_stage_on_an_empty_file_is_one_line_without_traceback(tmp_path):
    (tmp_path / "raw.csv").write_text("")
    write_params(tmp_path, source="file", raw_path="raw.csv")
    result = run_ingest(tmp_path)
    assert result.returncode == 2 and result.stderr.strip().splitlines() == [
        "error: raw.csv: the file is empty (set ingest.raw_path to a twcs-format CSV)"]
    assert not (tmp_path / "data" / "01_ingested").exists()
