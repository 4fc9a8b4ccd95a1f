"""Files named by URL (`s3://bucket/key`, or another scheme fsspec knows), through fsspec; s3fs comes with dvc-s3:
message files to route, predict's outputs, and the embedding cache's shards (encoding/embedding_cache.py). The
store's credentials and
endpoint come from the environment, as for the DVC remote: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or
AWS_PROFILE), and AWS_ENDPOINT_URL for a server other than AWS. Whatever the store answers (no credentials, denied,
no such object, no answer) is one line naming the URL."""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from tweet_topics.errors import UserError
from tweet_topics.io.atomic import atomic_file

CREDENTIALS_HINT = ("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), and AWS_ENDPOINT_URL for a"
                    " store other than AWS")
STORE_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION",
                   "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL")


def is_url(source: object) -> bool:
    return isinstance(source, str) and "://" in source


def store_environment() -> dict[str, str]:
    """The store's settings in this process's environment: what workers need to write where this process reads."""
    return {name: os.environ[name] for name in STORE_VARIABLES if name in os.environ}


def path_or_url(value: str) -> Path | str:
    """A command line's or a setting's location: a URL stays a string, anything else is a path."""
    return value if is_url(value) else Path(value)


def source_path(source: Path | str) -> PurePosixPath | Path:
    """What a source's name and suffixes are read from: the path, or the URL's key."""
    return PurePosixPath(source.split("://", 1)[1]) if is_url(source) else source


@contextmanager
def store_errors(url: str) -> Iterator[None]:
    """The store's errors as one line: a missing object, a refusal, missing credentials, an endpoint that does not
    answer."""
    try:
        yield
    except UserError:
        raise
    except FileNotFoundError:
        raise UserError(f"{url}: not found in the store; check the bucket and key") from None
    except PermissionError as error:
        raise UserError(f"{url}: the store refused access ({_first_line(error)}): {CREDENTIALS_HINT}") from None
    except Exception as error:  # noqa: BLE001 - botocore's and fsspec's many kinds all mean the same to the user
        raise UserError(f"{url}: the store could not be reached or used ({type(error).__name__}: {_first_line(error)}):"
                        f" {CREDENTIALS_HINT}") from None


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [""])[0][:200]


def _filesystem(url: str):
    import fsspec

    with store_errors(url):
        return fsspec.core.url_to_fs(url)


def remote_kind(url: str) -> str | None:
    """"file", "folder" or None (nothing there)."""
    filesystem, path = _filesystem(url)
    with store_errors(url):
        if filesystem.isfile(path):
            return "file"
        return "folder" if filesystem.isdir(path) else None


def remote_files(url: str, suffixes: tuple[str, ...]) -> list[str]:
    """The URLs of the objects directly under the folder `url` whose names end in one of `suffixes`, by name."""
    filesystem, path = _filesystem(url)
    scheme = url.split("://", 1)[0]
    with store_errors(url):
        names = filesystem.ls(path, detail=False)
    return sorted(f"{scheme}://{name}" for name in names if PurePosixPath(name).suffix.lower() in suffixes)


@contextmanager
def open_remote(url: str) -> Iterator[BinaryIO]:
    """The object at `url` as a binary stream, decompressed when its name ends in .xz, .gz or .bz2."""
    import fsspec

    if remote_kind(url) != "file":
        raise UserError(f"{url}: no such file in the store; check the bucket and key")
    with store_errors(url):
        handle = fsspec.open(url, "rb", compression="infer").open()
    try:
        yield handle
    finally:
        handle.close()


def remote_glob(pattern: str) -> list[str]:
    """The URLs of the objects whose names match `pattern` (a URL with * in it), by name, as the store lists them now
    (not as an earlier listing in this process saw them: other machines write beside us)."""
    filesystem, path = _filesystem(pattern)
    scheme = pattern.split("://", 1)[0]
    with store_errors(pattern):
        filesystem.invalidate_cache()
        return sorted(f"{scheme}://{name}" for name in filesystem.glob(path))


def download(url: str, path: Path) -> None:
    filesystem, remote = _filesystem(url)
    with store_errors(url):
        filesystem.get_file(remote, str(path))


def upload(path: Path, url: str) -> None:
    filesystem, remote = _filesystem(url)
    with store_errors(url):
        filesystem.put_file(str(path), remote)


@contextmanager
def output_file(target: Path | str) -> Iterator[Path]:
    """A local path to write `target` through: for a path, a temporary file beside it (atomic_file); for a URL, a
    scratch file uploaded as one object once the block completes, so the store never shows half an output. Callers
    check the bucket (`check_bucket`) before they spend their time on the content."""
    if not is_url(target):
        with atomic_file(target) as tmp:
            yield tmp
        return
    with tempfile.TemporaryDirectory(prefix="tweet-topics-output-") as scratch:
        local = Path(scratch) / source_path(target).name
        yield local
        upload(local, target)


def check_bucket(url: str) -> None:
    """A one-line UserError unless the bucket of `url` exists and this process may see it."""
    filesystem, path = _filesystem(url)
    bucket = path.split("/", 1)[0]
    with store_errors(url):
        try:
            filesystem.info(bucket)  # not `exists`, which answers False for a refusal too
        except FileNotFoundError:
            raise UserError(f"{url}: the store has no bucket '{bucket}'; create it, or check the URL") from None
