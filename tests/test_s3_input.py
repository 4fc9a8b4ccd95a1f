"""predict's input and output as S3 URLs, on a real S3 server (SeaweedFS on 127.0.0.1): CSV, compressed CSV, Parquet
and JSONL objects give the rows their local files give; predict writes an object with the local file's bytes, and
none if it stops; a folder's objects are listed for the Ray engine; the store's refusals (missing object or bucket,
wrong key, no credentials) are one line naming the URL."""

import gzip

import pytest

from tests.s3_server import BUCKET, forget_clients, upload
from tweet_topics.cli import main
from tweet_topics.errors import UserError
from tweet_topics.io.remote import download, path_or_url, remote_files, remote_kind, source_path
from tweet_topics.scale.ray_predict import MESSAGE_SUFFIXES, input_files, part_name
from tweet_topics.serving.messages import input_format, read_batches


def messages(source, fmt=None) -> list[tuple]:
    return [(batch.ids, batch.texts, batch.carried)
            for batch in read_batches(source, input_format(source, fmt), "text", None, batch_size=3)]


def test_objects_in_each_format_read_as_their_local_files(store, tweets, tmp_path):
    local = tmp_path / "in.csv"
    tweets[["tweet_id", "text"]].head(8).to_csv(local, index=False)
    tweets[["tweet_id", "text"]].head(8).to_parquet(tmp_path / "in.parquet", index=False)
    tweets[["tweet_id", "text"]].head(8).to_json(tmp_path / "in.jsonl", orient="records", lines=True)
    expected = messages(local)
    for name, content in (("in.csv", local.read_bytes()), ("in.csv.gz", gzip.compress(local.read_bytes())),
                          ("in.parquet", (tmp_path / "in.parquet").read_bytes()),
                          ("in.jsonl", (tmp_path / "in.jsonl").read_bytes())):
        url = upload(f"s3://{BUCKET}/inputs/{name}", content)
        assert path_or_url(url) == url and source_path(url).name == name
        assert messages(url) == expected, name


def test_predict_routes_an_object_as_its_local_file(store, models, tweets, tmp_path, capsys):
    tweets[["tweet_id", "text"]].head(40).to_csv(tmp_path / "in.csv", index=False)
    url = upload(f"s3://{BUCKET}/predict/in.csv", (tmp_path / "in.csv").read_bytes())
    main(["predict", url, "-o", str(tmp_path / "remote.csv"), "--models", str(models), "-q"])
    main(["predict", str(tmp_path / "in.csv"), "-o", str(tmp_path / "local.csv"), "--models", str(models), "-q"])
    assert (tmp_path / "remote.csv").read_bytes() == (tmp_path / "local.csv").read_bytes()


def test_predict_writes_an_object_with_the_local_files_bytes(store, models, tweets, tmp_path):
    tweets[["tweet_id", "text"]].head(30).to_csv(tmp_path / "in.csv", index=False)
    for name in ("routed.csv", "routed.jsonl"):  # the format from the key's extension, as from a file's
        url = f"s3://{BUCKET}/routed/{name}"
        main(["predict", str(tmp_path / "in.csv"), "-o", url, "--models", str(models), "-q"])
        main(["predict", str(tmp_path / "in.csv"), "-o", str(tmp_path / name), "--models", str(models), "-q"])
        download(url, tmp_path / f"remote-{name}")
        assert (tmp_path / f"remote-{name}").read_bytes() == (tmp_path / name).read_bytes()


def test_a_predict_that_stops_leaves_no_object(store, models, tweets):
    """The store shows an output whole or not at all: the object is uploaded only once every batch is written."""
    from tweet_topics.serving.messages import Batch
    from tweet_topics.serving.predict import predict_stream
    from tweet_topics.serving.router import Router, TrainedTopics

    topics = TrainedTopics.load(models)
    router = Router.load(models, topics=topics)
    texts = tweets["text"].head(4).tolist()

    def batches():
        yield Batch(["1", "2"], texts[:2])
        raise KeyboardInterrupt  # the user stops it after a batch was written to the scratch file

    url = f"s3://{BUCKET}/stopped/routed.csv"
    with pytest.raises(KeyboardInterrupt):
        predict_stream(topics, router.assess, batches(), url, "csv", progress=False)
    assert remote_kind(url) is None


def test_an_output_the_store_cannot_take_is_one_line_naming_the_url(store, models, tweets, tmp_path, capsys,
                                                                  monkeypatch):
    tweets[["tweet_id", "text"]].head(3).to_csv(tmp_path / "in.csv", index=False)
    for url, why in (("s3://no-such-bucket/out.csv", "the store has no bucket 'no-such-bucket'"),
                     (f"s3://{BUCKET}/refused/out.csv", "the store refused access")):
        if "refused" in url:
            monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-key")
            forget_clients()
        with pytest.raises(SystemExit) as exit_info:
            main(["predict", str(tmp_path / "in.csv"), "-o", url, "--models", str(models), "-q"])
        error = capsys.readouterr().err
        assert exit_info.value.code == 2 and len(error.strip().splitlines()) == 1, error
        assert url in error and why in error, error


def test_a_folder_of_objects_is_listed_for_the_ray_engine(store):
    for name in ("b.csv", "a.parquet", "notes.md"):
        upload(f"s3://{BUCKET}/inbox/{name}", b"text\nhello\n")
    folder = f"s3://{BUCKET}/inbox/"
    assert input_files(folder) == [f"s3://{BUCKET}/inbox/a.parquet", f"s3://{BUCKET}/inbox/b.csv"]
    assert input_files(f"s3://{BUCKET}/inbox/b.csv") == [f"s3://{BUCKET}/inbox/b.csv"]
    assert remote_files(folder, MESSAGE_SUFFIXES) == input_files(folder)
    assert part_name(f"s3://{BUCKET}/inbox/day.csv.gz", 3, "csv") == "day-00003.csv"
    with pytest.raises(UserError, match="no such file or folder"):
        input_files(f"s3://{BUCKET}/nothing-here/")


def test_the_stores_refusals_are_one_line_naming_the_url(store, monkeypatch, capsys, tmp_path, models):
    missing = f"s3://{BUCKET}/no/such.csv"
    with pytest.raises(UserError, match=r"s3://tweet-topics/no/such\.csv: no such file in the store"):
        messages(missing)
    url = upload(f"s3://{BUCKET}/refused/in.csv", b"text\nhello\n")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-key")
    forget_clients()
    with pytest.raises(UserError, match=r"s3://tweet-topics/refused/in\.csv: .*AWS_ACCESS_KEY_ID"):
        messages(url)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    forget_clients()
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", url, "--models", str(models)])
    error = capsys.readouterr().err
    assert exit_info.value.code == 2 and len(error.strip().splitlines()) == 1 and url in error
