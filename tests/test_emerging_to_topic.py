"""From an emerging issue to a topic, end to end (docs/EMERGING_ISSUES.md): the monitor reports a group of new
messages that no topic covers; once messages of that kind are in the training data, a retrain with one more topic
finds them as a topic of their own, and the monitor no longer reports them."""

import itertools
import json
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests import dvc_project

pytestmark = pytest.mark.slow
WORDS = ["dog", "cat", "hello", "thank you", "bathroom", "water", "goodbye", "friend", "book", "train", "bread",
         "cheese"]
LANGUAGES = ["spanish", "french", "german", "italian", "japanese", "portuguese"]
FORMS = ["how do you say {w} in {l}", "what is {w} in {l}", "translate {w} into {l}", "what's the {l} word for {w}"]
TWCS_COLUMNS = ["tweet_id", "author_id", "inbound", "created_at", "text", "response_tweet_id",
                "in_response_to_tweet_id"]


def translation_requests() -> list[str]:
    """A new kind of request, as many ways as a burst of customers would write it, in a fixed order."""
    requests = [form.format(w=word, l=language) for form, word, language in itertools.product(FORMS, WORDS, LANGUAGES)]
    return [requests[index] for index in range(0, len(requests), 3)]  # every third: words and languages all mixed


@pytest.fixture(scope="module")
def project(small_run, tmp_path_factory) -> Path:
    return dvc_project.copy_project(small_run.project, tmp_path_factory.mktemp("to_topic") / "project")


def monitor(project: Path, batch: pd.DataFrame, out: str) -> list[dict]:
    batch.to_csv(project / f"{out}.csv", index=False)
    dvc_project.run([sys.executable, "-m", "tweet_topics", "monitor", f"{out}.csv", "-o", out, "-q"], project)
    return json.loads((project / out / "monitor.json").read_text())["periods"][0]["summary"]["emerging_issues"]


def batch_with(project: Path, requests: list[str]) -> pd.DataFrame:
    evaluation = pd.read_parquet(project / "data" / "01_ingested" / "evaluation.parquet", columns=["tweet_id", "text"])
    new = pd.DataFrame({"tweet_id": [f"new{i}" for i in range(len(requests))], "text": requests})
    return pd.concat([evaluation, new], ignore_index=True)


def holds_most(issues: list[dict], n_new: int) -> bool:
    return any(sum(identifier.startswith("new") for identifier in issue["message_ids"]) >= n_new / 2
               for issue in issues)


def test_a_candidate_becomes_a_topic_after_a_retrain_on_data_that_holds_it(project):
    requests = translation_requests()
    # the same kind in both: every phrasing among the monitored requests and among those trained on, no text in both
    monitored = requests[1::3][:30]
    trained_on = [request for request in requests if request not in monitored]
    assert holds_most(monitor(project, batch_with(project, monitored), "before"), 30)

    # the training data now holds requests of that kind (other texts than the monitored ones), and k one more
    sample = pd.read_csv(project / "data" / "sample" / "twcs_sample.csv.xz", dtype=str, keep_default_na=False)
    inbound = sample[sample["inbound"] == "True"].sample(700, random_state=1)
    injected = pd.DataFrame({"tweet_id": [str(9_000_000 + i) for i in range(len(trained_on))],
                             "author_id": [f"customer{i}" for i in range(len(trained_on))], "inbound": "True",
                             "created_at": inbound["created_at"].iloc[:len(trained_on)].to_numpy(),
                             "text": [f"@SpotifyCares {text}" for text in trained_on],
                             "response_tweet_id": "", "in_response_to_tweet_id": ""})
    pd.concat([inbound[TWCS_COLUMNS], injected]).to_csv(project / "data" / "00_raw" / "with_new_issue.csv",
                                                        index=False)
    params = yaml.safe_load((project / "params.yaml").read_text())
    k = params["kmeans"]["n_clusters"] + 1
    params["ingest"].update(source="file", raw_path="data/00_raw/with_new_issue.csv", max_inbound=0)
    params["kmeans"]["n_clusters"] = k
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    dvc_project.dvc("repro", "train", cwd=project, timeout=1800)

    clustered = pd.read_parquet(project / "data" / "06_clustered" / "discovery.parquet", columns=["tweet_id",
                                                                                                  "topic_id"])
    new_topic = clustered[clustered["tweet_id"].astype(str).str.startswith("9000")]["topic_id"].value_counts()
    topic_id, held = int(new_topic.index[0]), int(new_topic.iloc[0])
    assert held >= 0.8 * new_topic.sum()  # one topic holds the requests
    assert (clustered["topic_id"] == topic_id).sum() <= 1.5 * held  # and little else
    topics = {topic["topic"]: topic for topic in json.loads((project / "models" / "topics.json").read_text())["topics"]}
    assert len(topics) == k
    words = {keyword["term"] for keyword in topics[topic_id]["keywords"]}
    assert words & {"say", "translate", "word", "spanish", "french", "german"}, words

    assert not holds_most(monitor(project, batch_with(project, monitored), "after"), 30)
