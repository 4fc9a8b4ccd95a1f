import json
import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import CLINC150, REPO
from tweet_topics.errors import UserError
from tweet_topics.evaluation.labelled import read_labelled_csv

SCORES = ("accuracy", "nmi", "ari", "homogeneity", "completeness")


@pytest.fixture(scope="module")
def clinc_slice(tmp_path_factory):
    frame = pd.read_csv(CLINC150)
    labels = sorted(frame["label"].unique())[:5]
    path = tmp_path_factory.mktemp("clinc") / "slice.csv"
    frame[frame["label"].isin(labels)].to_csv(path, index=False)
    return path


def tweet_topics(*args, cwd):
    return subprocess.run([sys.executable, "-m", "tweet_topics", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})


def test_command_scores_a_clinc_slice(clinc_slice, tmp_path):
    result = tweet_topics("labelled", str(clinc_slice), "-o", str(tmp_path / "labelled.json"),
                          "--params", str(REPO / "params.yaml"), "--models", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    scores = json.loads((tmp_path / "labelled.json").read_text())
    assert scores["n_texts"] == 150 and scores["n_labels"] == 5 and scores["k"] == 5
    for name in SCORES:
        assert 0 <= scores[name] <= 1, name
    assert scores["accuracy"] > 0.6  # five distinct intents: far above chance (0.2)
    assert "trained_topics" not in scores  # no trained models in --models


def test_command_with_a_missing_column_is_one_line(tmp_path):
    (tmp_path / "bad.csv").write_text("message,intent\nhello,greet\n")
    result = tweet_topics("labelled", "bad.csv", "--params", str(REPO / "params.yaml"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == ("error: bad.csv: missing column 'text';"
                                     " a labelled file needs the columns text,label")
    assert not (tmp_path / "metrics").exists()


@pytest.mark.parametrize(("content", "message"), [
    ("text,label\na,x\nb,x\n", "needs at least two different labels"),
    ("", "the file is empty"),
])
def test_bad_labelled_files(tmp_path, content, message):
    (tmp_path / "l.csv").write_text(content)
    with pytest.raises(UserError, match=message):
        read_labelled_csv(tmp_path / "l.csv")


def test_missing_labelled_file(tmp_path):
    with pytest.raises(UserError, match="file not found"):
        read_labelled_csv(tmp_path / "nope.csv")


def test_empty_texts_and_labels_are_left_out(tmp_path):
    (tmp_path / "l.csv").write_text("text,label\nhello,greet\n,greet\nbye,\nsee you,leave\n")
    assert read_labelled_csv(tmp_path / "l.csv")["text"].tolist() == ["hello", "see you"]
