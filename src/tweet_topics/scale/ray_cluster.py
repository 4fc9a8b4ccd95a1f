"""Where work runs when an engine is `ray`: the Ray cluster named by params.yaml's `ray.address` (else RAY_ADDRESS,
else a Ray started on this machine), and a local cluster of a head and worker processes for tests and benchmarks.

Ray turns 127.0.0.1 into the machine's network address before it binds or connects (its
`resolve_ip_for_localhost`), so a cluster meant for this machine alone would listen on, and talk to, that address;
`keep_loopback` stops it, here and in the processes `LocalCluster` starts."""

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

from tweet_topics.errors import UserError
from tweet_topics.params import RayParams, load_section
from tweet_topics.paths import PARAMS

LOOPBACK = "127.0.0.1"
START_TIMEOUT_S = 120


DEFAULT_SETTINGS = RayParams(address="", cpus_per_worker=1)


def ray_settings() -> RayParams:
    """params.yaml's `ray` section; its defaults where there is no params.yaml (predict run outside the project)."""
    return load_section("ray") if PARAMS.is_file() else DEFAULT_SETTINGS


def require_ray():
    try:
        import ray
    except ImportError:
        raise UserError("an engine is 'ray' but Ray is not installed: pip install -e '.[ray]' (or pip install"
                        " 'ray[data]'), or set featurize.engine / reduce.engine back to local") from None
    return ray


def keep_loopback() -> None:
    import ray._private.services as services

    services.resolve_ip_for_localhost = lambda host: host


def connect(address: str | None = None):
    """The `ray` module, connected: to `address`, else params.yaml's ray.address, else RAY_ADDRESS, else to a Ray
    started now on this machine (127.0.0.1 only) and stopped with this process."""
    ray = require_ray()
    if ray.is_initialized():
        return ray
    if address is None:
        address = ray_settings().address
    address = address or os.environ.get("RAY_ADDRESS", "")
    keep_loopback()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        if address:
            ray.init(address=address, logging_level="WARNING", log_to_driver=False)
        else:
            ray.init(_node_ip_address=LOOPBACK, include_dashboard=False, logging_level="WARNING",
                     log_to_driver=False)
    except ConnectionError as error:
        raise UserError(f"no Ray cluster answers at {address!r} ({str(error).splitlines()[0]}): start it (ray start"
                        " --head) or fix ray.address in params.yaml / RAY_ADDRESS") from None
    return ray


def cluster_gpus(ray) -> int:
    return int(ray.cluster_resources().get("GPU", 0))


def worker_slots(ray, cpus_per_worker: int) -> int:
    """How many workers of `cpus_per_worker` CPUs the cluster holds at once (at least one)."""
    return max(1, int(ray.cluster_resources().get("CPU", 1)) // cpus_per_worker)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


@dataclass
class LocalCluster:
    """A Ray cluster on this machine, bound to 127.0.0.1: a head and `workers` worker nodes (each its own raylet
    process, as a second machine would be), `cpus` CPUs and `gpus` GPUs each. A context manager; `address` is what
    to connect to."""

    workers: int = 1
    cpus: int = 1
    head_cpus: int = 0  # the head runs the driver's work only, so tasks go to the workers
    gpus: int = 0  # GPUs of each worker node (the head has none); Ray would otherwise count the machine's on each node
    address: str = ""
    env: dict = field(default_factory=dict)

    def __enter__(self) -> "LocalCluster":
        self.address = f"{LOOPBACK}:{free_port()}"
        self.env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
        self._ray("start", "--head", f"--node-ip-address={LOOPBACK}", f"--port={self.address.split(':')[1]}",
                  f"--num-cpus={self.head_cpus}", "--num-gpus=0", "--include-dashboard=false", "--disable-usage-stats")
        for _ in range(self.workers):
            self._ray("start", f"--address={self.address}", f"--node-ip-address={LOOPBACK}",
                      f"--num-cpus={self.cpus}", f"--num-gpus={self.gpus}")
        self._wait_for_nodes()
        return self

    def __exit__(self, *exc) -> None:
        ray = sys.modules.get("ray")
        if ray is not None and ray.is_initialized():
            ray.shutdown()
        self._ray("stop", "--force", check=False)

    def _ray(self, *args: str, check: bool = True) -> None:
        result = subprocess.run([sys.executable, "-m", "tweet_topics.scale.ray_cluster", *args], env=self.env,
                                capture_output=True, text=True, timeout=START_TIMEOUT_S)
        if check and result.returncode != 0:
            raise RuntimeError(f"ray {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")

    def _wait_for_nodes(self) -> None:
        ray = connect(self.address)
        deadline = time.monotonic() + START_TIMEOUT_S
        while sum(node["Alive"] for node in ray.nodes()) < 1 + self.workers:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the local Ray cluster at {self.address} has not all its nodes")
            time.sleep(0.2)


if __name__ == "__main__":  # `ray start` / `ray stop`, loopback kept
    keep_loopback()
    from ray.scripts.scripts import main

    sys.argv = ["ray", *sys.argv[1:]]
    main()
