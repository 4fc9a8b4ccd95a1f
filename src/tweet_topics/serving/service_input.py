"""What `POST /predict` accepts: the service's limits, in one place, and the request body read and checked against
them, so that every bad request gets a 4xx with a one-line reason before anything is routed."""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

from tweet_topics.tweets.ingest import MAX_TEXT_CHARS

SHAPES = ('{"text": "..."} for one message, or {"messages": [{"id": "...", "text": "..."}, ...]} for a batch'
          ' ("id" optional)')


@dataclass(frozen=True)
class Limits:
    """The service's limits; a request over one gets a 4xx saying which."""

    max_body_bytes: int = 1_000_000  # 1 MB: a full batch of tweets is about a third of it
    max_batch_messages: int = 1_000  # about 5 s of routing on 2 cores; a larger batch is split by the client
    max_text_chars: int = MAX_TEXT_CHARS  # ingest's: a tweet has at most 280, a longer "text" is not a message
    max_pending_requests: int = 256  # requests waiting for the model; past it, 503 and Retry-After
    max_run_messages: int = 256  # waiting requests' messages embedded in one run of the encoder (about 2 s here)
    graceful_shutdown_s: int = 120  # on SIGTERM, requests in flight get this long to finish (a full batch)


LIMITS = Limits()  # the service's


class RequestError(Exception):
    """A request the service refuses: the HTTP status and the one-line reason it answers."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass(frozen=True)
class Messages:
    ids: list[str]
    texts: list[str]
    single: bool  # {"text": ...}: answered with the record alone


async def read_body(content_length: str | None, chunks: AsyncIterator[bytes], limit: int) -> bytes:
    """The request body, refused (413) by its Content-Length before it is read, or as soon as a body streamed
    without one passes `limit`."""
    if content_length is not None and int(content_length) > limit:  # h11 has checked that it is a number
        raise RequestError(413, f"the body has {int(content_length):,} bytes, over the limit of {limit:,}: send"
                                " fewer messages per request")
    body, size = [], 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise RequestError(413, f"the body is over the limit of {limit:,} bytes: send fewer messages per"
                                    " request")
        body.append(chunk)
    return b"".join(body)


def parse_messages(body: bytes, limits: Limits) -> Messages:
    """The messages of a JSON body in one of the SHAPES, each checked against `limits`."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RequestError(400, f"the body is not valid UTF-8 (byte 0x{body[error.start]:02x} at offset"
                                f" {error.start})") from None
    try:
        request = json.loads(text)
    except json.JSONDecodeError as error:
        raise RequestError(400, f"the body is not valid JSON ({error.msg} at line {error.lineno} column"
                                f" {error.colno}); send {SHAPES}") from None
    except RecursionError:
        raise RequestError(400, "the body's JSON is nested too deeply") from None
    if not isinstance(request, dict):
        raise RequestError(422, f"the body is a JSON {type(request).__name__}, not an object: send {SHAPES}")
    if ("text" in request) == ("messages" in request):
        raise RequestError(422, f"the body has {_named(request) or 'no fields'}: send {SHAPES}")
    if "text" in request:
        _no_other_keys(request, {"id", "text"}, "the body")
        identifier = _id(request.get("id", "1"), "the message")
        return Messages([identifier], [_text(request["text"], "the message", limits)], single=True)
    messages = request["messages"]
    _no_other_keys(request, {"messages"}, "the body")
    if not isinstance(messages, list) or not messages:
        found = "an empty list" if messages == [] else f"a JSON {type(messages).__name__}"
        raise RequestError(422, f"'messages' must be a non-empty list of {{\"id\": ..., \"text\": ...}} objects"
                                f" (it is {found})")
    if len(messages) > limits.max_batch_messages:
        raise RequestError(413, f"the batch has {len(messages):,} messages, over the limit of"
                                f" {limits.max_batch_messages:,}: split it")
    ids, texts = [], []
    for number, message in enumerate(messages, start=1):
        where = f"message {number}"
        if not isinstance(message, dict) or "text" not in message:
            raise RequestError(422, f"{where} is not an object with a 'text' field: send {SHAPES}")
        _no_other_keys(message, {"id", "text"}, where)
        ids.append(_id(message.get("id", str(number)), where))
        texts.append(_text(message["text"], where, limits))
    return Messages(ids, texts, single=False)


def _text(value: object, where: str, limits: Limits) -> str:
    if not isinstance(value, str):
        raise RequestError(422, f"{where}: 'text' is a JSON {type(value).__name__}, not a string")
    if not value.strip():
        raise RequestError(422, f"{where}: the text is empty; leave the message out")
    if len(value) > limits.max_text_chars:
        raise RequestError(422, f"{where}: the text has {len(value):,} characters, over the limit of"
                                f" {limits.max_text_chars:,}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:  # a lone surrogate from a \ud800 escape: no character at all
        raise RequestError(400, f"{where}: the text holds \\u{ord(value[error.start]):04x}, a lone surrogate,"
                                " which is not valid Unicode") from None
    return value


def _id(value: object, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RequestError(422, f"{where}: 'id' is a JSON {type(value).__name__}; give a string or an integer")
    return str(value)


def _no_other_keys(fields: dict, allowed: set[str], where: str) -> None:
    other = [key for key in fields if key not in allowed]
    if other:
        raise RequestError(422, f"{where} has {_named({key: None for key in other})}, which the service does not"
                                f" read: send {SHAPES}")


def _named(fields: dict) -> str:
    names = [f"'{key[:40]}'" for key in list(fields)[:5]]
    return f"the field{'s' * (len(fields) > 1)} {', '.join(names)}{', ...' * (len(fields) > 5)}" if names else ""
