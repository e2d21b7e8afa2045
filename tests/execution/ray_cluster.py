"""A real local Ray cluster for the tests: a head on 127.0.0.1 (no CPUs, so work lands on workers)
and worker node processes started with `ray start --address ... --block` in their own process
group, so a test can kill a whole node with SIGKILL."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RAY = Path(sys.executable).parent / "ray"
# token authentication with a token of this test session: Ray's GCS listens on every interface
TOKEN = secrets.token_hex(32)
ENV = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", RAY_DISABLE_DOCKER_CPU_WARNING="1", RAY_AUTH_MODE="token",
           RAY_AUTH_TOKEN=TOKEN)
# the driver (this test process) too, before `ray` is imported: Ray reads its auth mode once
os.environ.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=TOKEN, RAY_USAGE_STATS_ENABLED="0")
# fast failure detection: a killed node is declared dead in about a second
SYSTEM_CONFIG = json.dumps({"health_check_period_ms": 300, "health_check_failure_threshold": 3, "health_check_timeout_ms": 300,
                            "health_check_initial_delay_ms": 0})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.tmp = Path(tempfile.mkdtemp(prefix="tp-ray-"))
        self.head: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []

    def start(self, worker_cpus: tuple[int, ...] = (2,)) -> Cluster:
        """The head, then one worker node per entry of `worker_cpus` (its CPUs)."""
        os.environ.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=TOKEN, RAY_USAGE_STATS_ENABLED="0")  # the driver (this process)
        try:  # if `ray` was imported before this module, make it read the auth mode again
            from ray._raylet import Config

            Config.initialize("")
        except Exception:  # noqa: BLE001
            pass
        self.head = subprocess.Popen(
            [str(RAY), "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(self.port), "--include-dashboard=false",
             "--disable-usage-stats", "--num-cpus", "0", "--temp-dir", str(self.tmp), f"--system-config={SYSTEM_CONFIG}",
             "--block"],
            env=ENV, stdout=(self.tmp / "head.log").open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
        for cpus in worker_cpus:
            self.add_worker(cpus)
        return self

    def add_worker(self, cpus: int = 2) -> subprocess.Popen:
        log = (self.tmp / f"worker{len(self.workers)}.log").open("wb")
        deadline = time.time() + 90
        while True:  # the head must be up before a worker can join
            # ports of their own: two nodes on one host would otherwise both bind the default agent/metrics ports
            ports = [f"--{name}={free_port()}" for name in ("dashboard-agent-grpc-port", "dashboard-agent-listen-port",
                                                              "metrics-export-port", "runtime-env-agent-port")]
            p = subprocess.Popen([str(RAY), "start", "--address", self.address, "--node-ip-address", "127.0.0.1",
                                  "--num-cpus", str(cpus), "--disable-usage-stats", *ports, "--block"],
                                 env=ENV, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            time.sleep(3)
            if p.poll() is None:
                break
            if time.time() > deadline:
                raise RuntimeError("ray worker node did not start: " + (self.tmp / "head.log").read_text()[-2000:])
        self.workers.append(p)
        return p

    def wait_cpus(self, n: int, timeout: float = 90) -> None:
        import ray

        deadline = time.time() + timeout
        while ray.cluster_resources().get("CPU", 0) < n:
            if time.time() > deadline:
                raise RuntimeError(f"cluster has {ray.cluster_resources()} after {timeout} s")
            time.sleep(0.25)

    def kill_worker(self, p: subprocess.Popen) -> None:
        """kill -9 the node: its `ray start`, raylet and every worker process (one process group)."""
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait(10)

    def stop(self) -> None:
        for p in self.workers + ([self.head] if self.head else []):
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                pass
