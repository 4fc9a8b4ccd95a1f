"""The HTTP service (`tweet-topics serve`): a FastAPI app around one loaded router.

POST /predict routes one message or a batch with predict's own records (predict.route_records); GET /topics lists
the topics; GET /health answers as soon as the process serves, GET /ready once the warm-up has routed its probe
messages; GET /monitor summarises the last messages routed (a RoutedMessages window), when the service has one. The
model runs on one worker thread (torch already uses every core), so the event loop keeps answering while a batch is
routed. Requests that arrive while it is busy wait, up to Limits.max_pending_requests, and are then embedded together
in one run of the encoder (`Router.assess_each`): under load, more requests per second than one at a time
(bench/bench_service.py), and each request still gets exactly the records it would get alone."""

import asyncio
import json
import logging
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import Response

from tweet_topics.discovery.descriptions import display_name
from tweet_topics.serving.predict import prediction_records, route_records
from tweet_topics.serving.service_input import LIMITS, Limits, RequestError, parse_messages, read_body

log = logging.getLogger("tweet_topics.service")
# routed before /ready says yes, alone and as a batch: the first calls load kernels, compile and allocate
PROBES = ("my card was declined twice today", "@AmazonHelp where is my refund? I ordered 2 weeks ago 😡",
          "the app keeps crashing since the last update, can't log in at all!!! please help")


def json_response(content: object, status: int = 200, headers: dict | None = None) -> Response:
    body = json.dumps(content, ensure_ascii=False, default=_plain).encode("utf-8")
    return Response(body, status, headers, media_type="application/json")


def _plain(value: object) -> object:
    """numpy scalars (a record field the router computed) as the Python number they hold."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def topic_list(router, topics_json: dict | None) -> list[dict]:
    """Each topic the router routes to: its stable id and label, and from models/topics.json its name, keywords,
    share of the training tweets, main brands and typical tweets."""
    described = {int(topic["topic"]): topic for topic in (topics_json or {}).get("topics", [])}
    listed = []
    for topic_id, label in zip(router.topics.topic_ids, router.topics.labels, strict=True):
        topic = described.get(int(topic_id), {})
        listed.append({"topic_id": topic_id, "topic_label": label,
                       **({"name": display_name(topic)} if topic else {}),
                       **{key: topic[key] for key in ("share", "size", "top_brands") if key in topic},
                       **({"keywords": [word["term"] for word in topic["keywords"]]} if "keywords" in topic else {}),
                       **({"examples": [example["text"] for example in topic["examples"]]}
                          if "examples" in topic else {})})
    return listed


class RoutedMessages(Protocol):
    """The last messages the service routed and what the monitor says of them (monitoring/window.py's
    RoutedWindow, built by the command line: the monitor is a layer above the service)."""

    size: int  # the most messages it holds

    def add(self, ids: list[str], texts: list[str], embeddings: np.ndarray, top_topics: np.ndarray,
            needs_human: np.ndarray) -> None: ...

    def summary(self) -> dict: ...


@dataclass(frozen=True)
class Waiting:
    """A request's messages waiting for the model, and where its records go."""

    ids: list[str]
    texts: list[str]
    records: asyncio.Future  # its records, and the number of requests in the run that routed it


def route_together(router, requests: list[Waiting], window: RoutedMessages | None = None) -> list[list[dict]]:
    """Each waiting request's records, from one run of the encoder for all of them; its messages go into `window`
    with the embeddings that run made."""
    routings = router.assess_each([request.texts for request in requests])
    records = [prediction_records(request.ids, routing, router.topics)
               for request, routing in zip(requests, routings, strict=True)]
    if window is not None:
        for request, routing in zip(requests, routings, strict=True):
            flags = routing.needs_human if routing.needs_human is not None else np.zeros(len(request.ids), bool)
            window.add(request.ids, request.texts, routing.embeddings, routing.probabilities.argmax(axis=1), flags)
    return records


class Service:
    """The router, the one thread that runs it, the requests waiting for it, and whether the warm-up is done."""

    def __init__(self, router, topics_json: dict | None, limits: Limits, window: RoutedMessages | None) -> None:
        self.router, self.limits, self.window = router, limits, window
        self.topics = topic_list(router, topics_json)
        self.executor: ThreadPoolExecutor | None = None
        self.ready = False
        self.warm_up_error: str | None = None
        self.waiting: deque[Waiting] = deque()
        self.arrived = asyncio.Event()
        self.pending = 0  # requests routed or waiting for the model

    async def route(self, ids: list[str], texts: list[str]) -> tuple[list[dict], int]:
        """The records of a request's messages, and the number of requests in the encoder run they shared."""
        if self.pending >= self.limits.max_pending_requests:
            raise RequestError(503, f"busy: {self.pending} requests are waiting for the model; retry shortly")
        self.pending += 1
        try:
            request = Waiting(ids, texts, asyncio.get_running_loop().create_future())
            self.waiting.append(request)
            self.arrived.set()
            return await request.records
        finally:
            self.pending -= 1

    def next_run(self) -> list[Waiting]:
        """The waiting requests, in arrival order, whose messages fit in one run (Limits.max_run_messages; a
        larger request runs alone); a request whose client has gone is dropped."""
        run, messages = [], 0
        while self.waiting:
            request = self.waiting[0]
            if request.records.done():  # cancelled: the client disconnected
                self.waiting.popleft()
                continue
            if run and messages + len(request.texts) > self.limits.max_run_messages:
                break
            run.append(self.waiting.popleft())
            messages += len(request.texts)
        return run

    async def _serve_waiting(self) -> None:
        """Runs the model on the waiting requests as long as there are any, then waits for the next."""
        loop = asyncio.get_running_loop()
        while True:
            await self.arrived.wait()
            self.arrived.clear()
            while run := self.next_run():
                try:
                    results = await loop.run_in_executor(self.executor, route_together, self.router, run,
                                                         self.window)
                except Exception as error:  # a bug, not a user's mistake: each request of the run answers 500
                    results = [error] * len(run)
                for request, result in zip(run, results, strict=True):
                    if request.records.done():
                        continue
                    if isinstance(result, Exception):
                        request.records.set_exception(result)
                    else:
                        request.records.set_result((result, len(run)))

    def warm_up(self) -> None:
        for probe in PROBES:
            route_records(self.router, ["probe"], [probe])
        route_records(self.router, [str(i) for i in range(len(PROBES) * 4)], list(PROBES) * 4)
        self.router.assess_each([[probe] for probe in PROBES])

    @asynccontextmanager
    async def lifespan(self, app: FastAPI):
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="router")
        warming = asyncio.create_task(self._warm())
        serving = asyncio.create_task(self._serve_waiting())
        try:
            yield
        finally:
            await asyncio.shield(warming)
            serving.cancel()
            self.executor.shutdown(wait=True)

    async def _warm(self) -> None:
        start = time.perf_counter()
        try:
            await asyncio.get_running_loop().run_in_executor(self.executor, self.warm_up)
            self.ready = True
            log.info("ready", extra={"fields": {"warm_up_ms": round((time.perf_counter() - start) * 1000, 1)}})
        except Exception as error:  # a bug, not a user's mistake: /ready says it and the log has the traceback
            self.warm_up_error = f"{type(error).__name__}: {error}"
            log.exception("warm-up failed", extra={"fields": {"error": self.warm_up_error}})


class RequestLog:
    """One JSON log line per request: method, path, status, latency, the number of messages routed and of requests
    that shared their encoder run."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start, logged = time.perf_counter(), False

        def write(status: int) -> None:
            nonlocal logged
            logged = True
            state = scope.get("state", {})
            log.info("request", extra={"fields": {
                "method": scope["method"], "path": scope["path"], "status": status,
                "latency_ms": round((time.perf_counter() - start) * 1000, 2),
                "n_messages": state.get("n_messages", 0),
                **{key: state[key] for key in ("run_requests", "error") if key in state}}})

        # The line is written before the answer leaves, so a client that has its answer finds it in the log.
        async def send_logged(message) -> None:
            if message["type"] == "http.response.start":
                write(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            if not logged:
                write(500)


def create_app(router, topics_json: dict | None = None, limits: Limits = LIMITS,
               window: RoutedMessages | None = None) -> FastAPI:
    """The service's app around a loaded router (router.Router) and the models' topics.json; with a `window`, each
    message routed goes into it and GET /monitor answers its summary."""
    service = Service(router, topics_json, limits, window)
    app = FastAPI(title="tweet-topics", summary="Routes customer messages to the trained topics",
                  lifespan=service.lifespan, docs_url=None, redoc_url=None)
    app.state.service = service
    app.add_middleware(RequestLog)

    @app.exception_handler(RequestError)
    async def refused(request: Request, error: RequestError) -> Response:
        request.state.error = error.reason
        return json_response({"error": error.reason}, error.status,
                             {"Retry-After": "1"} if error.status == 503 else None)

    async def http_error(request: Request, error: Exception) -> Response:  # the HTTPException of a wrong path or method
        reason = f"{request.method} {request.url.path}: {error.detail}"
        request.state.error = reason
        return json_response({"error": reason}, error.status_code, getattr(error, "headers", None))

    for status in (404, 405):
        app.add_exception_handler(status, http_error)

    @app.get("/health")
    async def health() -> Response:
        return json_response({"status": "ok"})

    @app.get("/ready")
    async def ready() -> Response:
        if service.ready:
            return json_response({"status": "ready"})
        if service.warm_up_error:
            return json_response({"error": f"the warm-up failed: {service.warm_up_error}"}, 503)
        return json_response({"error": "warming up: the probe messages are being routed; retry shortly"}, 503,
                             {"Retry-After": "1"})

    @app.get("/topics")
    async def topics() -> Response:
        return json_response({"n_topics": len(service.topics), "topics": service.topics})

    @app.post("/predict")
    async def predict(request: Request) -> Response:
        if not service.ready:
            raise RequestError(503, "not ready: the service is warming up; wait for GET /ready to answer 200")
        body = await read_body(request.headers.get("content-length"), request.stream(), limits.max_body_bytes)
        messages = parse_messages(body, limits)
        request.state.n_messages = len(messages.texts)
        records, request.state.run_requests = await service.route(messages.ids, messages.texts)
        return json_response(records[0] if messages.single else {"predictions": records})

    @app.get("/monitor")
    async def monitor() -> Response:
        if window is None:
            raise RequestError(404, "GET /monitor: the monitor is off (the service was started with --monitor-window"
                                    " 0, or its models cannot be monitored: its log says why)")
        # on the model's thread: the monitor's products set the process's BLAS threads as routing's do, so the two
        # must not interleave (threads.one_blas_thread), and the event loop keeps answering meanwhile
        summary = await asyncio.get_running_loop().run_in_executor(service.executor, window.summary)
        return json_response(summary)

    return app
