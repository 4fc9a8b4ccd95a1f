import json

import pytest

from tweet_topics.io.atomic import atomic_dir, atomic_file, write_json


def test_atomic_file_replaces_only_on_success(tmp_path):
    target = tmp_path / "out.json"
    write_json(target, {"a": 1})
    with pytest.raises(RuntimeError), atomic_file(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_atomic_dir_replaces_only_on_success(tmp_path):
    target = tmp_path / "split"
    with atomic_dir(target) as tmp:
        (tmp / "a.npy").write_text("old")
    with pytest.raises(RuntimeError), atomic_dir(target) as tmp:
        (tmp / "a.npy").write_text("new")
        raise RuntimeError("killed")
    assert (target / "a.npy").read_text() == "old"
    with atomic_dir(target) as tmp:
        (tmp / "b.npy").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["b.npy"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["split"]


WRITER = """
import sys, time
from pathlib import Path
from tweet_topics.io.atomic import atomic_dir, atomic_file
target, kind = Path(sys.argv[1]), sys.argv[2]
with (atomic_dir(target) if kind == "dir" else atomic_file(target)) as tmp:
    out = (tmp / "part.bin") if kind == "dir" else tmp
    with open(out, "wb") as handle:
        while True:  # writes until killed
            handle.write(b"x" * 65536)
            handle.flush()
            time.sleep(0.01)
"""


@pytest.mark.parametrize("kind", ["dir", "file"])
def test_sigkill_while_writing_leaves_the_old_output_and_the_next_write_cleans_up(tmp_path, kind):
    import os
    import signal
    import subprocess
    import sys
    import time

    target = tmp_path / ("out" if kind == "dir" else "out.bin")
    if kind == "dir":
        with atomic_dir(target) as tmp:
            (tmp / "part.bin").write_bytes(b"old")
    else:
        target.write_bytes(b"old")
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(target), kind])
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(".tmp") and (p.is_dir() or p.stat().st_size > 200_000)
                  for p in tmp_path.iterdir()):
        assert writer.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    old = (target / "part.bin") if kind == "dir" else target
    assert old.read_bytes() == b"old"  # nothing half-written in place
    assert any(p.name.endswith(".tmp") for p in tmp_path.iterdir())  # the killed run's temp is left
    if kind == "dir":
        with atomic_dir(target) as tmp:
            (tmp / "part.bin").write_bytes(b"new")
    else:
        with atomic_file(target) as tmp:
            tmp.write_bytes(b"new")
    assert old.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]  # and the next write removed it
