"""`tweet-topics predict` on a small real router: every input format, stdin, an input with no message, clear errors,
-q, and the refusal of an embedding model whose weights differ from the trained one."""

import io
import json

import pandas as pd
import pytest

from tests.conftest import PREDICT_MODEL, PREDICT_TOPICS, minilm_with_one_tensor_changed
from tweet_topics.cli import main, parser
from tweet_topics.encoding.weights import resolve_model
from tweet_topics.serving.predict import N_ALTERNATIVES, read_batches, route_records
from tweet_topics.serving.router import Router

MODEL = PREDICT_MODEL
N_TOPICS = PREDICT_TOPICS


def predict(models, *args, stdin: str | None = None, monkeypatch=None, capsys=None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    try:
        main(["predict", "--models", str(models), "--device", "cpu", *args])
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_csv_in_csv_out_has_topic_probability_and_alternatives(models, tweets, tmp_path, capsys):
    tweets.to_csv(tmp_path / "in.csv", index=False)
    code, _, err = predict(models, str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"), capsys=capsys)
    assert code == 0, err
    out = pd.read_csv(tmp_path / "out.csv", dtype={"id": str})
    assert out["id"].tolist() == tweets["tweet_id"].tolist()
    assert out["topic_id"].between(0, N_TOPICS - 1).all()
    assert (out["topic_label"] == out["topic_id"].astype(str) + ": topic " + out["topic_id"].astype(str)).all()
    for rank in range(1, N_ALTERNATIVES + 1):
        assert (out[f"alt{rank}_probability"] <= out["probability"] + 1e-9).all()
        assert (out[f"alt{rank}_topic_id"] != out["topic_id"]).all()
    total = out["probability"] + sum(out[f"alt{rank}_probability"] for rank in range(1, N_ALTERNATIVES + 1))
    assert (total <= 1 + 1e-5).all() and out["topic_id"].nunique() > 1
    assert "400 messages" in err


def test_predict_flags_the_messages_that_fit_no_topic(models, tweets, tmp_path, capsys):
    foreign = pd.read_csv("data/labelled/clinc150/test.csv.xz").sample(200, random_state=0)
    mixed = pd.DataFrame({"text": [*tweets["text"].head(200), *foreign["text"]]})
    mixed.to_csv(tmp_path / "mixed.csv", index=False)
    code, _, err = predict(models, str(tmp_path / "mixed.csv"), "-o", str(tmp_path / "out.csv"), capsys=capsys)
    out = pd.read_csv(tmp_path / "out.csv")
    assert code == 0, err
    assert out["needs_human"].dtype == bool and out["out_of_topic_score"].between(0, 2).all()
    tweets_flagged, foreign_flagged = out["needs_human"][:200].mean(), out["needs_human"][200:].mean()
    assert tweets_flagged <= 0.1 < foreign_flagged  # the threshold flags 5% of the training tweets themselves
    assert out["out_of_topic_score"][200:].median() > out["out_of_topic_score"][:200].quantile(0.9)


def test_twcs_file_routes_inbound_rows_only(models, twcs_sample, tmp_path, capsys):
    raw = pd.read_csv(twcs_sample, dtype=str, keep_default_na=False).head(60)
    raw.to_csv(tmp_path / "twcs.csv", index=False)
    code, out, _ = predict(models, str(tmp_path / "twcs.csv"), "-q", capsys=capsys)
    routed = pd.read_csv(io.StringIO(out), dtype={"id": str})
    assert code == 0 and routed["id"].tolist() == raw.loc[raw["inbound"] == "True", "tweet_id"].tolist()


def test_a_typed_parquet_twcs_file_gives_the_rows_of_its_csv(models, twcs_sample, tmp_path, capsys):
    """The same tweets as Parquet with integer ids and boolean inbound: the rows predict writes for the CSV."""
    raw = pd.read_csv(twcs_sample, dtype=str, keep_default_na=False).head(60)
    raw.to_csv(tmp_path / "twcs.csv", index=False)
    typed = raw.assign(tweet_id=raw["tweet_id"].astype("int64"), inbound=raw["inbound"] == "True")
    typed.to_parquet(tmp_path / "twcs.parquet", index=False)
    _, from_csv, _ = predict(models, str(tmp_path / "twcs.csv"), "-q", capsys=capsys)
    code, from_parquet, err = predict(models, str(tmp_path / "twcs.parquet"), "-q", capsys=capsys)
    assert code == 0, err
    assert from_parquet == from_csv and len(from_csv.splitlines()) > 10


def test_a_twcs_file_keeps_the_brand_its_text_addresses_and_the_time(models, twcs_sample, tmp_path, capsys):
    from tweet_topics.tweets.prepare import addressed_brand, sane_text

    raw = pd.read_csv(twcs_sample, dtype=str, keep_default_na=False).head(60)
    raw.to_csv(tmp_path / "twcs.csv", index=False)
    code, out, _ = predict(models, str(tmp_path / "twcs.csv"), "-q", capsys=capsys)
    routed = pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)
    inbound = raw.loc[raw["inbound"] == "True"]
    expected = addressed_brand(sane_text(inbound["text"]), pd.Series("", index=inbound.index, dtype=object))
    assert code == 0 and list(routed.columns[:3]) == ["id", "brand", "created_at"]
    assert routed["brand"].tolist() == expected.tolist() and (routed["brand"] != "").any()
    assert routed["created_at"].tolist() == inbound["created_at"].tolist()


def test_a_brand_column_or_field_is_carried_to_the_output(models, tmp_path, capsys):
    pd.DataFrame({"text": ["card declined", "refund please"], "brand": ["Bank", ""]}).to_csv(tmp_path / "b.csv",
                                                                                          index=False)
    code, out, _ = predict(models, str(tmp_path / "b.csv"), "-q", capsys=capsys)
    assert code == 0
    assert pd.read_csv(io.StringIO(out), keep_default_na=False)["brand"].tolist() == ["Bank", ""]
    lines = [{"text": "card declined", "brand": "Bank"}, {"text": "refund please"}]
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    code, out, _ = predict(models, str(tmp_path / "b.jsonl"), "-q", "--output-format", "jsonl", capsys=capsys)
    assert [json.loads(line).get("brand") for line in out.splitlines()] == ["Bank", ""]


def test_over_time_of_a_dated_file_is_the_evaluate_stages_view_of_its_topics(models, tweets, tmp_path, capsys):
    from tweet_topics.discovery.breakdowns import topics_over_time

    tweets.to_csv(tmp_path / "dated.csv", index=False)
    code, _, err = predict(models, str(tmp_path / "dated.csv"), "-o", str(tmp_path / "out.csv"), "--over-time",
                           str(tmp_path / "daily.csv"), "--period", "D", capsys=capsys)
    assert code == 0, err
    routed = pd.read_csv(tmp_path / "out.csv", dtype=str)
    times = pd.to_datetime(routed["created_at"], format="%a %b %d %H:%M:%S %z %Y", utc=True)
    expected = topics_over_time(times, routed["topic_label"].to_numpy(), freq="D")
    daily = pd.read_csv(tmp_path / "daily.csv", dtype={"period": str})
    assert len(daily) > 0 and daily["period"].nunique() >= 2
    pd.testing.assert_frame_equal(daily, expected.astype({"tweets": "int64"}), check_dtype=False)
    assert daily.groupby("period")["share"].sum().round(4).eq(1).all()
    assert "in the last period" in err  # the topics that moved most in the last day


def test_over_time_of_an_undated_file_is_one_clear_line_and_writes_nothing(models, tmp_path, capsys):
    pd.DataFrame({"text": ["card declined"]}).to_csv(tmp_path / "u.csv", index=False)
    code, _, err = predict(models, str(tmp_path / "u.csv"), "-o", str(tmp_path / "out.csv"), "--over-time",
                           str(tmp_path / "weekly.csv"), capsys=capsys)
    assert code != 0 and "no created_at column" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "weekly.csv").exists()


def test_any_text_column_and_the_row_number_as_id(models, tmp_path, capsys):
    pd.DataFrame({"message": ["my card was declined twice", "where is my refund"]}).to_csv(tmp_path / "m.csv",
                                                                                             index=False)
    code, out, _ = predict(models, str(tmp_path / "m.csv"), "--text-column", "message", "-q", capsys=capsys)
    assert code == 0 and pd.read_csv(io.StringIO(out))["id"].tolist() == [1, 2]


def test_jsonl_in_jsonl_out(models, tmp_path, capsys):
    lines = [{"id": "a1", "text": "app keeps crashing on login"}, {"id": "b2", "text": "thanks for the help!"}]
    (tmp_path / "in.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    code, _, err = predict(models, str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl"), capsys=capsys)
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert code == 0, err
    assert [record["id"] for record in records] == ["a1", "b2"]
    for record in records:
        assert set(record) == {"id", "topic_id", "topic_label", "probability", "out_of_topic_score", "needs_human",
                               "alternatives"}
        assert len(record["alternatives"]) == N_ALTERNATIVES
        assert 0 < record["probability"] <= 1


def test_lines_on_stdin_give_the_same_topics_as_the_same_texts_in_a_file(models, tweets, tmp_path, capsys,
                                                                          monkeypatch):
    texts = [text.replace("\n", " ").replace("\r", " ") for text in tweets["text"].head(50)]
    pd.DataFrame({"text": texts}).to_csv(tmp_path / "same.csv", index=False)
    _, from_file, _ = predict(models, str(tmp_path / "same.csv"), "-q", capsys=capsys)
    code, from_stdin, _ = predict(models, "-q", stdin="\n".join(texts) + "\n", monkeypatch=monkeypatch,
                                  capsys=capsys)
    assert code == 0
    assert from_stdin == from_file  # ids are line numbers and row numbers alike


def test_a_single_message_gets_the_topic_it_gets_in_a_batch(models, tweets, capsys, monkeypatch):
    texts = [text.replace("\n", " ").replace("\r", " ") for text in tweets["text"].head(30)]
    _, batch, _ = predict(models, "-q", stdin="\n".join(texts), monkeypatch=monkeypatch, capsys=capsys)
    batch = pd.read_csv(io.StringIO(batch))
    _, first, _ = predict(models, "-q", stdin=texts[0], monkeypatch=monkeypatch, capsys=capsys)
    assert pd.read_csv(io.StringIO(first))["topic_id"].item() == batch["topic_id"][0]
    router = Router.load(models, device="cpu")  # once: each predict call loads the encoder again
    alone = [route_records(router, ["1"], [text])[0] for text in texts]
    assert [record["topic_id"] for record in alone] == batch["topic_id"].tolist()
    # the reduction of one message and of a batch agree up to float rounding, not bit for bit
    assert [record["probability"] for record in alone] == pytest.approx(batch["probability"].tolist(), abs=1e-5)


TWCS_HEADER = "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
NO_MESSAGES = {
    "an empty file": ("new.csv", "", "it is empty"),
    "a header only": ("new.csv", "text\n", "a header and no rows"),
    "twcs replies only": ("twcs.csv", TWCS_HEADER + "".join(f"{i},AppleSupport,False,x,@1 we can help,,\n"
                                                           for i in range(12)),
                          "12 rows, none from a customer (inbound is false on every row)"),
    "an empty JSONL": ("new.jsonl", "", "it is empty"),
    "a JSONL of blank lines": ("new.jsonl", "\n  \n", "it is empty"),
}


@pytest.mark.parametrize("case", NO_MESSAGES)
def test_an_input_with_no_message_to_route_is_one_line_and_writes_nothing(models, tmp_path, capsys, case):
    name, content, why = NO_MESSAGES[case]
    (tmp_path / name).write_text(content)
    code, out, err = predict(models, str(tmp_path / name), "-o", str(tmp_path / "out.csv"), "--over-time",
                             str(tmp_path / "weekly.csv"), capsys=capsys)
    assert code == 2 and out == ""
    assert err == f"error: {tmp_path / name}: no messages to route: {why}; nothing was written\n"
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "weekly.csv").exists()
    (tmp_path / "out.csv").write_text("kept\n")  # an earlier output is left as it was, not emptied
    code, _, _ = predict(models, str(tmp_path / name), "-o", str(tmp_path / "out.csv"), "-q", capsys=capsys)
    assert code == 2 and (tmp_path / "out.csv").read_text() == "kept\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([name, "out.csv"])  # no temporary file left


@pytest.mark.parametrize("fmt", [[], ["--input-format", "csv"], ["--input-format", "jsonl"]])
def test_empty_stdin_is_one_line_and_writes_nothing(models, capsys, monkeypatch, fmt):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"")))  # a CSV is read from its bytes
    code, out, err = predict(models, *fmt, "-q", capsys=capsys)
    assert code == 2 and out == ""
    assert err == "error: <stdin>: no messages to route: it is empty; nothing was written\n"


def test_a_missing_text_column_is_one_clear_line(models, tmp_path, capsys):
    pd.DataFrame({"body": ["hello"]}).to_csv(tmp_path / "in.csv", index=False)
    code, out, err = predict(models, str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"), capsys=capsys)
    assert code == 2 and out == ""
    assert err.strip() == (f"error: {tmp_path / 'in.csv'}: no column 'text' (its columns: body); name the right"
                           " one with --text-column NAME")
    assert not (tmp_path / "out.csv").exists()


def test_bad_jsonl_names_the_line(models, tmp_path, capsys):
    (tmp_path / "in.jsonl").write_text('{"text": "ok"}\n{"text": \n')
    code, _, err = predict(models, str(tmp_path / "in.jsonl"), "-q", capsys=capsys)
    assert code == 2 and err.startswith(f"error: {tmp_path / 'in.jsonl'}: line 2 is not valid JSON")
    (tmp_path / "in.jsonl").write_text('{"body": "ok"}\n')
    code, _, err = predict(models, str(tmp_path / "in.jsonl"), "-q", capsys=capsys)
    assert code == 2 and "line 1 has no 'text' field" in err


def test_a_missing_input_file_or_models_folder_is_one_line(models, tmp_path, capsys):
    code, _, err = predict(models, str(tmp_path / "nope.csv"), capsys=capsys)
    assert code == 2 and err.strip() == f"error: {tmp_path / 'nope.csv'}: file not found"
    code, _, err = predict(tmp_path / "no_models", str(tmp_path / "nope.csv"), capsys=capsys)
    assert code == 2 and "manifest.json not found: run `dvc repro`" in err and "`dvc pull`" in err


def test_an_embedding_model_with_other_weights_is_refused(models, tmp_path, capsys):
    other = minilm_with_one_tensor_changed(tmp_path / "other-model")
    (tmp_path / "in.csv").write_text("text\nhello\n")
    code, out, err = predict(models, str(tmp_path / "in.csv"), "--model", str(other), capsys=capsys)
    assert code == 2 and out == ""
    assert f"embedding model '{other}'" in err and f"is not the one the models were trained with ('{MODEL}'" in err
    code, _, err = predict(models, str(tmp_path / "in.csv"), "--model", resolve_model(MODEL), "-q", capsys=capsys)
    assert code == 0, err  # the same weights from another folder are accepted


def test_a_bom_and_invalid_bytes_are_read_not_fatal(models, tmp_path, capsys):
    (tmp_path / "in.csv").write_bytes(b"\xef\xbb\xbftweet_id,text\n7,caf\xe9 card declined\n8,fine\n")
    (tmp_path / "in.jsonl").write_bytes(b'\xef\xbb\xbf{"id": "a", "text": "caf\xe9"}\n')
    for name in ("in.csv", "in.jsonl"):
        code, out, err = predict(models, str(tmp_path / name), "-q", "--output-format", "csv", capsys=capsys)
        assert code == 0, err
        assert pd.read_csv(io.StringIO(out), dtype={"id": str})["id"].tolist() == (["7", "8"] if name == "in.csv"
                                                                                   else ["a"])


def test_batches_stream_with_stable_row_numbers(tmp_path):
    pd.DataFrame({"text": [f"message {i}" for i in range(10)]}).to_csv(tmp_path / "in.csv", index=False)
    batches = list(read_batches(tmp_path / "in.csv", "csv", "text", None, batch_size=4))
    assert [len(batch.ids) for batch in batches] == [4, 4, 2]
    assert sum((batch.ids for batch in batches), []) == [str(i) for i in range(1, 11)]


def test_a_semicolon_export_with_a_ragged_row_is_routed_as_ingest_reads_it(models, tmp_path, capsys):
    """The issue's case: a `;`-delimited, xz-compressed export that ingest reads stopped predict; a row that lost its
    trailing fields is left out with a warning naming it, as ingest quarantines it."""
    import lzma

    from tests.exports import HEADER

    lines = ["1;a;True;x;my card was declined;;", "2;b", "3;c;True;x;where is my refund;;"]
    (tmp_path / "export.csv.xz").write_bytes(lzma.compress((HEADER.replace(",", ";") + "\n".join(lines)).encode()))
    code, out, err = predict(models, str(tmp_path / "export.csv.xz"), "-q", capsys=capsys)
    assert code == 0, err
    assert pd.read_csv(io.StringIO(out), dtype={"id": str})["id"].tolist() == ["1", "3"]
    assert (f"warning: {tmp_path / 'export.csv.xz'}: left out 1 row with the wrong number of fields: row 2 (expected"
            " 7 fields, saw 2)") in err.splitlines()


def test_quiet_prints_nothing_on_stderr(models, tweets, tmp_path):
    """-q in a process of its own, as a user runs it: no progress bar of the model's loading, no summary, nothing."""
    import os
    import subprocess
    import sys

    tweets.head(20).to_csv(tmp_path / "in.csv", index=False)
    result = subprocess.run(
        [sys.executable, "-m", "tweet_topics", "predict", "--models", str(models), "--device", "cpu", "-q",
         str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv")],
        capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=300)
    assert result.returncode == 0 and result.stderr == "" and result.stdout == ""
    assert len(pd.read_csv(tmp_path / "out.csv")) == 20
    assert parser().parse_args(["predict", "--quiet"]).quiet  # the long form is the same flag
