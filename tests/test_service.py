"""`tweet-topics serve`: the real server, started once for the module as `python -m tweet_topics serve` on a free
port of 127.0.0.1, spoken to over HTTP. It is ready only after its warm-up, answers exactly what `predict` writes for
the same texts, refuses every bad request with a 4xx and a one-line reason and keeps serving, keeps answering
/health while it routes a batch, logs one JSON line per request, and shuts down cleanly on SIGTERM (last test)."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO
from tests.dvc_project import command_env
from tweet_topics.cli import main
from tweet_topics.paths import MANIFEST, TOPICS
from tweet_topics.serving.predict import route_records
from tweet_topics.serving.router import Router
from tweet_topics.serving.serve import bind
from tweet_topics.serving.service_input import LIMITS

START_TIMEOUT_S = 180


@dataclass
class Server:
    process: subprocess.Popen
    client: httpx.Client
    stderr: Path
    seen: list[tuple[str, int]] = field(default_factory=list)  # (endpoint, status) while it came up

    def log(self) -> list[dict]:
        return [json.loads(line) for line in self.stderr.read_text().splitlines()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_command(models_dir: Path, port: int) -> list[str]:
    return [sys.executable, "-m", "tweet_topics", "serve", "--models", str(models_dir), "--port", str(port),
            "--device", "cpu"]


def service_env() -> dict[str, str]:
    return command_env(PYTHONPATH=os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]))


@pytest.fixture(scope="module")
def server(models, tmp_path_factory):
    stderr = tmp_path_factory.mktemp("service") / "stderr.log"
    port = free_port()
    process = subprocess.Popen(serve_command(models, port), cwd=REPO, env=service_env(),
                               stdout=subprocess.DEVNULL, stderr=stderr.open("w"))
    server = Server(process, httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120), stderr)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        try:
            health, ready = server.client.get("/health").status_code, server.client.get("/ready").status_code
        except httpx.TransportError:  # not listening yet: the models load first
            time.sleep(0.2)
            continue
        server.seen += [("health", health), ("ready", ready)]
        if ready == 200:
            break
        if ("predict", 503) not in server.seen:
            server.seen.append(("predict", server.client.post("/predict", json={"text": "hello"}).status_code))
        time.sleep(0.02)
    assert ("ready", 200) in server.seen, f"the service did not get ready:\n{stderr.read_text()[-3000:]}"
    yield server
    server.client.close()
    if process.poll() is None:
        process.terminate()
        process.wait(60)


def message_texts(tweets, n: int) -> list[str]:
    return [" ".join(text.split()) for text in tweets["text"].head(n)]


def predicted(models_dir: Path, folder: Path, ids: list[str], texts: list[str]) -> list[dict]:
    """What `tweet-topics predict` writes for these messages (JSONL in, JSONL out)."""
    source, output = folder / "in.jsonl", folder / "out.jsonl"
    source.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in zip(ids, texts, strict=True)))
    main(["predict", str(source), "-o", str(output), "--models", str(models_dir), "--device", "cpu", "-q"])
    return [json.loads(line) for line in output.read_text().splitlines()]


def check_handoff_fields(record: dict) -> None:
    """The handoff's fields: whether a person should look, and the score that decided it."""
    assert isinstance(record["needs_human"], bool), record
    assert isinstance(record["out_of_topic_score"], int | float) and 0 <= record["out_of_topic_score"] <= 2, record


def test_health_answers_at_once_and_ready_only_after_the_warm_up(server):
    first_ready = server.seen.index(("ready", 200))
    assert server.seen[0] == ("health", 200)
    if ("ready", 503) in server.seen[:first_ready]:  # caught warming up (always, on the 2-core CI machine)
        assert ("predict", 503) in server.seen[:first_ready]
    lines = server.log()
    messages = [line["message"] for line in lines]
    warmed = messages.index("ready")
    assert messages.index("Application startup complete.") < warmed
    ready_answers = [(number, line["status"]) for number, line in enumerate(lines) if line.get("path") == "/ready"]
    assert [status for _, status in ready_answers] == [status for endpoint, status in server.seen
                                                       if endpoint == "ready"], ready_answers  # each logged at once
    assert all(status == (200 if number > warmed else 503) for number, status in ready_answers), (warmed, ready_answers)


def test_a_batch_and_one_message_get_exactly_what_predict_writes(server, models, tweets, tmp_path):
    texts = message_texts(tweets, 12)
    ids = [f"m{number}" for number in range(len(texts))]
    answer = server.client.post("/predict", json={"messages": [{"id": i, "text": t} for i, t in zip(ids, texts,
                                                                                                     strict=True)]})
    assert answer.status_code == 200, answer.text
    batch = answer.json()["predictions"]
    assert batch == predicted(models, tmp_path, ids, texts)
    assert len({record["topic_id"] for record in batch}) > 1
    for record in batch:
        check_handoff_fields(record)

    (tmp_path / "one").mkdir()
    alone = server.client.post("/predict", json={"text": texts[3], "id": "m3"})
    assert alone.status_code == 200 and alone.json() == predicted(models, tmp_path / "one", ["m3"], [texts[3]])[0]
    assert alone.json()["topic_id"] == batch[3]["topic_id"]
    unnamed = server.client.post("/predict", json={"messages": [{"text": texts[0]}, {"text": texts[1]}]}).json()
    assert [record["id"] for record in unnamed["predictions"]] == ["1", "2"]


def test_topics_lists_each_topic_with_its_stable_id_label_and_description(server, models):
    manifest = json.loads((models / MANIFEST).read_text())
    described = json.loads((models / TOPICS).read_text())["topics"]
    answer = server.client.get("/topics")
    assert answer.status_code == 200
    topics = answer.json()["topics"]
    assert [(t["topic_id"], t["topic_label"]) for t in topics] == list(zip(manifest["topic_ids"], manifest["labels"],
                                                                           strict=True))
    assert [t["name"] for t in topics] == [t.get("name") or t["label"] for t in described]


def chunks(data: bytes, size: int = 65536):
    for start in range(0, len(data), size):
        yield data[start:start + size]


def one_megabyte_body() -> bytes:
    return json.dumps({"text": "a" * (1024 * 1024)}).encode()


BAD_REQUESTS = {
    "malformed JSON": (b'{"text": "card declined"', 400, "not valid JSON"),
    "JSON that is not an object": (b'["card declined"]', 422, "not an object"),
    "an empty text": (b'{"text": ""}', 422, "the text is empty"),
    "a whitespace-only text": (b'{"text": " \\n\\t "}', 422, "the text is empty"),
    "an empty text in a batch": (b'{"messages": [{"text": "ok"}, {"text": "  "}]}', 422, "message 2: the text is"),
    "invalid UTF-8": (b'{"text": "caf\xe9 card declined"}', 400, "not valid UTF-8 (byte 0xe9"),
    "a lone surrogate": (b'{"text": "\\ud800 declined"}', 400, "lone surrogate"),
    "a 1 MB body": (one_megabyte_body(), 413, "over the limit of 1,000,000"),
    "a 1 MB body streamed without a length": (chunks(one_megabyte_body()), 413, "over the limit of 1,000,000"),
    "a batch of 100,000": (json.dumps({"messages": [{"text": "hi"}] * 100_000}).encode(), 413, "over the limit"),
    "a batch over the limit": (json.dumps({"messages": [{"text": "hi"}] * (LIMITS.max_batch_messages + 1)}).encode(),
                               413, "the batch has 1,001 messages, over the limit of 1,000"),
    "a text over ingest's length": (json.dumps({"text": "a" * (LIMITS.max_text_chars + 1)}).encode(), 422,
                                    "over the limit of 10,000"),
    "an unknown field": (b'{"texts": ["card declined"]}', 422, "the field 'texts'"),
    "both shapes at once": (b'{"text": "a", "messages": []}', 422, "send {\"text\""),
    "a text that is not a string": (b'{"text": 42}', 422, "'text' is a JSON int"),
    "an id that is a list": (b'{"messages": [{"id": [1], "text": "a"}]}', 422, "message 1: 'id' is a JSON list"),
    "an empty batch": (b'{"messages": []}', 422, "non-empty list"),
}


@pytest.mark.parametrize("case", BAD_REQUESTS, ids=list(BAD_REQUESTS))
def test_a_bad_request_gets_a_4xx_with_a_one_line_reason_and_the_service_keeps_serving(server, case):
    body, status, reason = BAD_REQUESTS[case]
    start = time.monotonic()
    answer = server.client.post("/predict", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == status, answer.text
    assert time.monotonic() - start < 5  # refused, not routed
    error = answer.json()["error"]
    assert list(answer.json()) == ["error"] and "\n" not in error and reason in error, error
    assert server.client.get("/health").status_code == 200


def test_after_every_bad_request_a_good_one_is_still_routed(server):
    for body, _, _ in BAD_REQUESTS.values():
        server.client.post("/predict", content=body if isinstance(body, bytes) else b"{")
    answer = server.client.post("/predict", json={"text": "my card was declined"})
    assert answer.status_code == 200 and answer.json()["topic_label"], answer.text


def test_an_unknown_path_or_method_is_a_json_error(server):
    assert server.client.get("/nope").json() == {"error": "GET /nope: Not Found"}
    answer = server.client.get("/predict")
    assert answer.status_code == 405 and answer.json() == {"error": "GET /predict: Method Not Allowed"}


def test_health_answers_while_a_batch_is_routed(server, tweets):
    texts = message_texts(tweets, 16)
    answers = {}
    routing = threading.Thread(target=lambda: answers.setdefault("batch", server.client.post(
        "/predict", json={"messages": [{"text": text} for text in texts]})))
    routing.start()
    latencies = []
    while routing.is_alive():
        start = time.monotonic()
        health = server.client.get("/health", timeout=5)
        latencies.append((time.monotonic() - start, routing.is_alive()))
        assert health.status_code == 200
        time.sleep(0.05)
    routing.join()
    assert answers["batch"].status_code == 200 and len(answers["batch"].json()["predictions"]) == len(texts)
    during = [seconds for seconds, busy in latencies if busy]
    assert during and max(during) < 1.0, latencies


def test_requests_that_wait_together_share_a_run_and_each_gets_what_it_gets_alone(server, models, tweets):
    texts = message_texts(tweets, 40)
    requests = [{"text": text, "id": f"s{number}"} for number, text in enumerate(texts[:24])]
    requests += [{"messages": [{"id": f"b{start}-{number}", "text": text}
                               for number, text in enumerate(texts[start:start + 8])]} for start in (24, 32)]
    answers: dict[int, httpx.Response] = {}
    threads = [threading.Thread(target=lambda n, body: answers.__setitem__(n, server.client.post("/predict",
                                                                                                  json=body)),
                                args=(number, body)) for number, body in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(answer.status_code == 200 for answer in answers.values()), [a.text for a in answers.values()]
    router = Router.load(models, device="cpu")
    for number, body in enumerate(requests):
        messages = body.get("messages", [body])
        alone = route_records(router, [m["id"] for m in messages], [m["text"] for m in messages])
        got = answers[number].json()
        assert (got["predictions"] if "messages" in body else [got]) == alone
    shared = [line["run_requests"] for line in server.log() if line.get("path") == "/predict"
              and line.get("run_requests", 0) > 1]
    assert shared, "no two requests shared an encoder run"


def test_every_log_line_is_json_and_each_request_has_one(server):
    server.client.post("/predict", json={"messages": [{"text": "where is my refund"}] * 7})
    server.client.post("/predict", content=b"{", headers={"Content-Type": "application/json"})
    time.sleep(0.2)
    lines = server.log()  # json.loads on every line of stderr
    requests = [line for line in lines if line["message"] == "request"]
    for line in requests:
        assert {"time", "level", "method", "path", "status", "latency_ms", "n_messages"} <= set(line), line
    assert any(line["status"] == 200 and line["n_messages"] == 7 and line["path"] == "/predict" for line in requests)
    refused = [line for line in requests if line["status"] == 400]
    assert refused and "not valid JSON" in refused[-1]["error"]


def test_a_bad_models_folder_or_a_busy_port_is_one_line_and_no_traceback(tmp_path):
    result = subprocess.run(serve_command(tmp_path / "no-models", free_port()), cwd=REPO, env=service_env(),
                            capture_output=True, text=True, timeout=120)
    lines = [line for line in result.stderr.splitlines() if not line.startswith("{")]
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {tmp_path / 'no-models' / MANIFEST} not found: run `dvc repro`")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(serve_command(tmp_path / "no-models", port), cwd=REPO, env=service_env(),
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"error: cannot listen on 127.0.0.1:{port} (Address already in use)" in result.stderr


def test_sigterm_lets_the_request_in_flight_finish_and_exits_0(server):  # last: it stops the server
    body = json.dumps({"messages": [{"id": "a", "text": "my card was declined"},
                                    {"id": "b", "text": "where is my refund"}]}).encode()
    head = (f"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", server.client.base_url.port), timeout=120) as connection:
        connection.sendall(head + body[:10])  # the request is in flight: its head is in, its body is coming
        time.sleep(0.3)
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        with pytest.raises(httpx.TransportError):  # a new connection is refused
            httpx.get(f"{server.client.base_url}/health", timeout=5)
        connection.sendall(body[10:])
        answer = b""
        while chunk := connection.recv(65536):  # the server closes the connection after its answer
            answer += chunk
    status_line, _, content = answer.partition(b"\r\n\r\n")
    assert status_line.startswith(b"HTTP/1.1 200"), answer[:300]
    assert [record["id"] for record in json.loads(content)["predictions"]] == ["a", "b"]
    assert server.process.wait(60) == 0
    assert server.log()[-1]["message"].startswith("Finished server process")


def test_each_connection_the_listening_socket_accepts_has_nagle_off():
    """A response's headers and body go out as two writes: with Nagle on, the body waited 40 ms for the client's
    delayed ACK of the headers."""
    async def accept_one() -> int:
        accepted = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport) -> None:
                accepted.set_result(transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP,
                                                                                   socket.TCP_NODELAY))
                transport.close()

        sock = bind("127.0.0.1", 0)
        server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
        _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
        nodelay = await asyncio.wait_for(accepted, 10)
        writer.close()
        server.close()
        return nodelay

    assert asyncio.run(accept_one()) == 1
