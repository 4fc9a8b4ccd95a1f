"""`tweet-topics serve`: bind the port, load and check the models (as predict does), then run the service
(service.py) under uvicorn with JSON logs on stderr, until SIGTERM or Ctrl-C lets the requests in flight finish.
The monitor's window of routed messages, when the command line asks for one, is made from the loaded router."""

import json
import logging
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tweet_topics.errors import UserError
from tweet_topics.paths import TOPICS
from tweet_topics.serving.service_input import LIMITS, Limits

if TYPE_CHECKING:  # loaded inside serve(): the command line starts without torch
    from tweet_topics.serving.router import Router
    from tweet_topics.serving.service import RoutedMessages

WindowFactory = Callable[["Router"], "RoutedMessages"]


class JsonFormatter(logging.Formatter):
    """A log record as one JSON line: time, level, logger, message and the record's `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                + f".{int(record.msecs):03d}Z", "level": record.levelname.lower(), "logger": record.name,
                "message": record.getMessage(), **getattr(record, "fields", {})}
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


LOG_CONFIG = {
    "version": 1, "disable_existing_loggers": False,
    "formatters": {"json": {"()": JsonFormatter}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "loggers": {name: {"handlers": ["stderr"], "level": "INFO", "propagate": False}
                for name in ("uvicorn", "uvicorn.error", "tweet_topics.service")},
}


def bind(host: str, port: int) -> socket.socket:
    """The listening address, taken before the models load, so that a port in use is one line and no wait."""
    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as error:
        raise UserError(f"--host {host}: not an address of this machine ({error.strerror})") from None
    # the protocol named (IPPROTO_TCP, not 0), so that asyncio turns Nagle off on each connection: without it, a
    # response's body waited for the client's delayed ACK of its headers, 40 ms on every request
    sock = socket.socket(info[0], socket.SOCK_STREAM, info[2])
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(info[4])
    except OSError as error:
        sock.close()
        raise UserError(f"cannot listen on {host}:{port} ({error.strerror}): pick another port with --port, or stop"
                        " what holds it") from None
    sock.set_inheritable(True)
    return sock


def serve(models_dir: Path, host: str = "127.0.0.1", port: int = 8000, device: str | None = None,
          model: str | None = None, limits: Limits = LIMITS, window_factory: WindowFactory | None = None) -> None:
    """Serve the models in `models_dir` on host:port until SIGTERM or SIGINT; a bad models folder, encoder or port
    is a UserError before anything serves. `window_factory(router)` makes GET /monitor's window (a
    service.RoutedMessages) from the loaded router; a UserError from it turns the monitor off, with a warning."""
    import logging.config

    import uvicorn

    from tweet_topics.io.artifacts import read_json
    from tweet_topics.serving.router import Router, TrainedTopics
    from tweet_topics.serving.service import create_app

    logging.config.dictConfig(LOG_CONFIG)
    _quiet_transformers()
    log = logging.getLogger("tweet_topics.service")
    sock = bind(host, port)
    topics = TrainedTopics.load(models_dir)  # the manifest and every artifact's hash, before seconds of loading
    start = time.perf_counter()
    router = Router.load(models_dir, device, model, topics)
    log.info("router loaded", extra={"fields": {
        "from": str(models_dir), "topics": len(topics.labels), "device": router.messages.encoder.spec.device,
        "load_s": round(time.perf_counter() - start, 2), **({"note": router.note} if router.note else {})}})
    window = None if window_factory is None else monitor_window(window_factory, router, log)
    app = create_app(router, read_json(models_dir / TOPICS), limits, window)
    config = uvicorn.Config(app, log_config=LOG_CONFIG, access_log=False, lifespan="on",
                            timeout_graceful_shutdown=limits.graceful_shutdown_s)
    log.info("listening", extra={"fields": {"url": f"http://{host}:{port}"}})
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then raises the signal again to end the process as the
    # signal would; with this handler the process then ends normally (exit code 0) rather than killed by it
    for received in (signal.SIGTERM, signal.SIGINT):
        signal.signal(received, _after_graceful_shutdown)
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    if not server.started:  # uvicorn logged why (the lifespan failed)
        sys.exit(1)


def monitor_window(window_factory: WindowFactory, router: "Router", log: logging.Logger) -> "RoutedMessages | None":
    """The window the factory makes, or None when these models cannot be monitored (models trained before the
    monitor's reference existed still serve, without GET /monitor)."""
    start = time.perf_counter()
    try:
        window = window_factory(router)
    except UserError as error:
        log.warning("monitor off", extra={"fields": {"reason": str(error)}})
        return None
    log.info("monitor loaded", extra={"fields": {"window": window.size,
                                                 "load_s": round(time.perf_counter() - start, 2)}})
    return window


def _quiet_transformers() -> None:
    """No progress bar among the JSON lines while the encoder's weights load."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()


def _after_graceful_shutdown(signum, frame) -> None:
    """The signal uvicorn raises again once it has shut down: nothing is left to do."""
