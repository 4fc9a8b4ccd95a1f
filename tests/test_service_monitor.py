"""GET /monitor: the service keeps the last N messages it routed (monitoring/window.py) and answers the monitor's
summary of them. In-process (the app under a TestClient) for the window's behaviour, then once through the real
`tweet-topics serve --monitor-window N` for the command line's wiring and its log."""

import json
import logging
import shutil
import subprocess
import time
from collections import Counter
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tests.conftest import CLINC150, REPO, TWCS_SAMPLE
from tests.test_service import START_TIMEOUT_S, free_port, serve_command, service_env
from tweet_topics.cli import main
from tweet_topics.io.artifacts import file_sha256, read_json
from tweet_topics.monitoring.batch_monitor import DEFAULT_PARAMS, Monitor
from tweet_topics.monitoring.window import RoutedWindow, routed_window
from tweet_topics.params import validate_section
from tweet_topics.paths import HANDOFF, MANIFEST, TOPICS
from tweet_topics.reduction.neighbours import normalise_rows
from tweet_topics.serving.router import Router, TrainedTopics
from tweet_topics.serving.serve import monitor_window
from tweet_topics.serving.service import create_app
from tweet_topics.training.handoff import fit_out_of_topic, save_out_of_topic

N_REFERENCE, N_ORDINARY, N_FOREIGN = 1000, 300, 30


def edited_copy(models_dir: Path, folder: Path, edit) -> TrainedTopics:
    """`models_dir` copied to `folder`, `edit(manifest, topics_json)` applied and the manifest's hashes made again:
    the copy's topics, loaded (and so checked by the manifest)."""
    shutil.copytree(models_dir, folder)
    manifest, topics = read_json(folder / MANIFEST), read_json(folder / TOPICS)
    edit(manifest, topics)
    (folder / TOPICS).write_text(json.dumps(topics))
    manifest["artifacts"] = {name: file_sha256(folder / name) for name in manifest["artifacts"]}
    (folder / MANIFEST).write_text(json.dumps(manifest))
    return TrainedTopics.load(folder)


@pytest.fixture(scope="module")
def drawn() -> tuple[list[str], list[str]]:
    """A random draw of the sample's inbound tweets: N_REFERENCE for the models' reference, N_ORDINARY others for the
    batches. (The first 400, which `models` was fitted on, are a few brands' conversations in order: the next 300
    differ from them for real, Hulu's new interface among them.)"""
    raw = pd.read_csv(TWCS_SAMPLE, dtype=str, keep_default_na=False)
    inbound = raw[raw["inbound"] == "True"]["text"].sample(N_REFERENCE + N_ORDINARY, random_state=0)
    texts = [" ".join(text.split()) for text in inbound]
    return texts[:N_REFERENCE], texts[N_REFERENCE:]


@pytest.fixture(scope="module")
def ordinary(drawn) -> list[str]:
    return drawn[1]


@pytest.fixture(scope="module")
def monitored(models, drawn, tmp_path_factory) -> tuple:
    """A copy of the `models` folder as though trained on the drawn reference tweets: its handoff (the monitor's
    reference) fitted on them, and in topics.json each topic's share of them and mean embedding; and its router."""
    first = Router.load(models, device="cpu")
    embeddings = first.messages.embed(drawn[0])
    labels = first.topics.probabilities(embeddings).argmax(axis=1)
    folder = tmp_path_factory.mktemp("monitored") / "models"

    def drawn_reference(manifest: dict, topics: dict) -> None:
        save_out_of_topic(folder / HANDOFF, fit_out_of_topic(embeddings, embeddings, validate_section(
            "handoff", manifest["params"]["handoff"])))
        for index, topic in enumerate(topics["topics"]):
            topic["share"] = round(float(np.mean(labels == index)), 6)
            topic["centroid"] = normalise_rows(embeddings[labels == index].mean(axis=0, keepdims=True))[0].tolist()

    return folder, Router(edited_copy(models, folder, drawn_reference), first.messages, first.note)


@pytest.fixture(scope="module")
def monitor(monitored) -> Monitor:
    folder, router = monitored
    return Monitor.load(folder, DEFAULT_PARAMS, router=router)


@pytest.fixture(scope="module")
def foreign() -> list[str]:
    """Requests of an intent no customer-support tweet has: CLINC150's 'translate'."""
    clinc = pd.read_csv(CLINC150)
    return clinc[clinc["label"] == "translate"]["text"].head(N_FOREIGN).tolist()


@contextmanager
def service(router: Router, window=None):
    """The app under a TestClient, warmed up."""
    with TestClient(create_app(router, None, window=window)) as client:
        deadline = time.monotonic() + START_TIMEOUT_S
        while client.get("/ready").status_code != 200:
            assert time.monotonic() < deadline, "the service did not get ready"
            time.sleep(0.05)
        yield client


def post(client: TestClient, ids: list[str], texts: list[str]) -> list[dict]:
    answer = client.post("/predict", json={"messages": [{"id": i, "text": t} for i, t in zip(ids, texts,
                                                                                              strict=True)]})
    assert answer.status_code == 200, answer.text
    return answer.json()["predictions"]


def test_get_monitor_summarises_the_messages_routed(monitored, monitor, ordinary):
    _, router = monitored
    with service(router, RoutedWindow(monitor, 1000)) as client:
        assert client.get("/monitor").json() == {
            "n_messages": 0, "window": 1000,
            "note": f"too few messages routed yet: the monitor compares at least {DEFAULT_PARAMS.min_size}"}
        records = post(client, [f"a{n}" for n in range(25)], ordinary[:25])
        records += post(client, [f"b{n}" for n in range(15)], ordinary[25:40])
        answer = client.get("/monitor")
    assert answer.status_code == 200, answer.text
    summary = answer.json()
    assert summary["n_messages"] == 40 and summary["window"] == 1000
    assert {"drift", "emerging_issues", "topic_shifts", "needs_human"} <= set(summary)
    assert 0 <= summary["drift"]["score"] <= 1 and isinstance(summary["emerging_issues"], list)
    # the window holds each message's own routing: the topics and the handoff flags POST /predict answered
    routed = Counter(record["topic_id"] for record in records)
    assert {row["topic_id"]: row["messages"] for row in summary["topic_shifts"]} == {
        topic_id: routed.get(topic_id, 0) for topic_id in router.topics.topic_ids}
    assert summary["needs_human"]["flagged"] == sum(record["needs_human"] for record in records)


def test_the_window_is_bounded_to_its_last_n_messages(monitored, monitor, ordinary):
    _, router = monitored
    with service(router, RoutedWindow(monitor, 25)) as client:
        post(client, [f"m{n}" for n in range(40)], ordinary[:40])
        summary = client.get("/monitor").json()
    assert summary["n_messages"] == 25 and summary["window"] == 25


class CountingMonitor:
    """A stand-in for the monitor that records what it was asked to compare."""

    params = DEFAULT_PARAMS

    def __init__(self) -> None:
        self.compared: list[list[str]] = []

    def compare_embedded(self, ids, texts, embeddings, top_topics, needs_human) -> dict:
        self.compared.append(list(ids))
        assert embeddings.dtype == np.float32 and len(embeddings) == len(texts) == len(top_topics) == len(ids)
        return {"n_messages": len(ids)}


def test_the_window_keeps_the_newest_in_order_and_compares_again_only_when_it_changed():
    counting = CountingMonitor()
    window = RoutedWindow(counting, 25)
    for start in (0, 16, 32):  # 48 messages in batches of 16: the window wraps round
        ids = [f"m{n}" for n in range(start, start + 16)]
        window.add(ids, ids, np.ones((16, 4)), np.zeros(16, dtype=np.int64), np.zeros(16, dtype=bool))
    assert window.summary() == {"n_messages": 25, "window": 25}
    assert window.summary() is window.summary() and counting.compared == [[f"m{n}" for n in range(23, 48)]]
    big = [f"x{n}" for n in range(30)]  # a batch larger than the window: its last 25
    window.add(big, big, np.ones((30, 4)), np.zeros(30, dtype=np.int64), np.zeros(30, dtype=bool))
    window.summary()
    assert counting.compared[-1] == big[5:] and len(counting.compared) == 2


def issue_holding(summary: dict, ids: set[str]) -> dict | None:
    """The emerging issue most of whose messages are `ids`, if any."""
    return next((issue for issue in summary["emerging_issues"]
                 if len(ids & set(issue["message_ids"])) > issue["messages"] / 2), None)


def routed_summary(router: Router, monitor: Monitor, ids: list[str], texts: list[str]) -> dict:
    """GET /monitor after the messages were routed by POST /predict in requests of 110."""
    with service(router, RoutedWindow(monitor, 1000)) as client:
        for start in range(0, len(texts), 110):
            post(client, ids[start:start + 110], texts[start:start + 110])
        return client.get("/monitor").json()


def test_an_injected_foreign_intent_is_an_emerging_issue_and_a_clean_batch_has_none(monitored, monitor, ordinary,
                                                                                     foreign):
    _, router = monitored
    clean = routed_summary(router, monitor, [f"o{n}" for n in range(N_ORDINARY)], ordinary)
    assert clean["n_messages"] == N_ORDINARY and clean["emerging_issues"] == [], clean["emerging_issues"]
    # the foreign requests among the ordinary ones, in the same requests: each must keep its own embedding
    order = np.random.default_rng(0).permutation(N_ORDINARY + N_FOREIGN)
    ids = np.array([f"o{n}" for n in range(N_ORDINARY)] + [f"f{n}" for n in range(N_FOREIGN)])[order].tolist()
    injected = routed_summary(router, monitor, ids, np.array(ordinary + foreign, dtype=object)[order].tolist())
    assert injected["n_messages"] == N_ORDINARY + N_FOREIGN
    foreign_ids = {f"f{n}" for n in range(N_FOREIGN)}
    issue = issue_holding(injected, foreign_ids)
    assert issue is not None, [(i["label"], i["messages"]) for i in injected["emerging_issues"]]
    assert len(foreign_ids & set(issue["message_ids"])) >= 2 * N_FOREIGN / 3, issue
    assert "translate" in issue["keywords"] or "say" in issue["keywords"], issue["keywords"]


def test_without_a_window_get_monitor_is_a_404_with_a_one_line_reason(monitored):
    _, router = monitored
    with service(router) as client:
        answer = client.get("/monitor")
        assert client.get("/health").status_code == 200
    assert answer.status_code == 404
    error = answer.json()["error"]
    assert list(answer.json()) == ["error"] and "\n" not in error and "--monitor-window 0" in error, error


def without_handoff(manifest: dict, topics: dict) -> None:
    del manifest["artifacts"][HANDOFF]  # as models trained before the handoff existed


def without_shares(manifest: dict, topics: dict) -> None:
    for topic in topics["topics"]:  # as a topics.json written before topics had a share and a centroid
        del topic["share"], topic["centroid"]


@pytest.mark.parametrize("edit, reason", [(without_handoff, "no handoff reference"), (without_shares, "'share'")],
                         ids=["no handoff", "no topic shares"])
def test_models_the_monitor_cannot_read_still_serve_with_the_monitor_off(monitored, tmp_path, caplog, edit, reason):
    folder, router = monitored
    topics = edited_copy(folder, tmp_path / "models", edit)
    log = logging.getLogger("tweet_topics.service")
    with caplog.at_level(logging.INFO, logger=log.name):
        window = monitor_window(partial(routed_window, tmp_path / "models", 100), Router(topics, router.messages), log)
    assert window is None
    warning = next(record for record in caplog.records if record.getMessage() == "monitor off")
    assert warning.levelname == "WARNING" and reason in warning.fields["reason"], warning.fields
    assert "\n" not in warning.fields["reason"]


def test_no_message_text_is_logged(monitored, monitor, ordinary, foreign, caplog):
    _, router = monitored
    texts = ordinary[:20] + foreign[:15]
    with caplog.at_level(logging.DEBUG), service(router, RoutedWindow(monitor, 100)) as client:
        post(client, [f"m{n}" for n in range(len(texts))], texts)
        summary = client.get("/monitor").json()
    assert summary["n_messages"] == len(texts)
    assert any(record.getMessage() == "request" for record in caplog.records)
    logged = "\n".join(f"{record.getMessage()} {getattr(record, 'fields', '')}" for record in caplog.records)
    assert not [text for text in texts if text in logged]


def test_serve_monitor_window_serves_get_monitor_and_logs_no_text(monitored, ordinary, tmp_path):
    folder, _ = monitored
    stderr, port = tmp_path / "stderr.log", free_port()
    process = subprocess.Popen([*serve_command(folder, port), "--monitor-window", "30"], cwd=REPO,
                               env=service_env(), stdout=subprocess.DEVNULL, stderr=stderr.open("w"))
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not ready(client):
                assert time.monotonic() < deadline and process.poll() is None, stderr.read_text()[-3000:]
                time.sleep(0.2)
            texts = ordinary[:40]
            assert client.post("/predict", json={"messages": [{"text": text} for text in texts]}).status_code == 200
            summary = client.get("/monitor").json()
    finally:
        process.terminate()
        process.wait(60)
    assert summary["window"] == 30 and summary["n_messages"] == 30, summary
    lines = [json.loads(line) for line in stderr.read_text().splitlines()]
    assert any(line["message"] == "monitor loaded" and line["window"] == 30 for line in lines)
    assert any(line.get("path") == "/monitor" and line["status"] == 200 for line in lines)
    assert not [text for text in texts if text in stderr.read_text()]


def ready(client: httpx.Client) -> bool:
    try:
        return client.get("/ready").status_code == 200
    except httpx.TransportError:  # not listening yet: the models load first
        return False


def test_serve_monitor_window_sets_the_window_and_0_turns_the_monitor_off(monkeypatch, capsys):
    served = {}
    monkeypatch.setattr("tweet_topics.serving.serve.serve", lambda *args, **kwargs: served.update(kwargs))
    main(["serve"])
    assert served["window_factory"].args[1:] == (10_000,)
    main(["serve", "--monitor-window", "50"])
    assert served["window_factory"].args[1:] == (50,)
    main(["serve", "--monitor-window", "0"])
    assert served["window_factory"] is None
    with pytest.raises(SystemExit):
        main(["serve", "--monitor-window", "-1"])
    assert "'-1' is not a number of messages" in capsys.readouterr().err
