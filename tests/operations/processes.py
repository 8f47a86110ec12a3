"""``oversight`` processes started as a deployment starts them, against one PostgreSQL
schema: the same entry point, settings from ``OVERSIGHT_*`` variables, metrics in one
``PROMETHEUS_MULTIPROC_DIR``, each process's output in a file of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx

from config.settings import Settings
from tests.reliability.cluster import free_port

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


class Process:
    """One ``python -m bootstrap.cli ARGS`` process."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.log = logs / f"{name}.log"
        out = self.log.open("w")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "bootstrap.cli", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
        out.close()

    @property
    def pid(self) -> int:
        return self.popen.pid

    def kill(self) -> None:
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=30)

    def terminate(self, timeout: float = 30) -> int:
        self.popen.send_signal(signal.SIGTERM)
        return self.popen.wait(timeout=timeout)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Deployment:
    """Processes on one store; stops whatever is still running when the block ends."""

    def __init__(self, settings: Settings, root: Path, **variables: str) -> None:
        self.settings = settings
        self.logs = root / "logs"
        self.logs.mkdir()
        self.metrics_dir = root / "metrics"
        self.metrics_dir.mkdir()
        self.env = {
            **os.environ,
            "OVERSIGHT_DATABASE_URL": settings.database_url,
            "OVERSIGHT_DATABASE_SCHEMA": settings.database_schema,
            "OVERSIGHT_LOG_FORMAT": "json",
            "OVERSIGHT_POOL_SIZE": "4",
            "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir),
            **variables,
        }
        self.processes: list[Process] = []
        self.ports: dict[str, int] = {}

    def start(self, name: str, *args: str, **variables: str) -> Process:
        process = Process(name, list(args), {**self.env, **variables}, self.logs)
        self.processes.append(process)
        return process

    def serve(self, name: str) -> Process:
        port = free_port()
        self.ports[name] = port
        return self.start(name, "serve", OVERSIGHT_PORT=str(port))

    def processes_named(self, name: str) -> Process:
        return next(p for p in self.processes if p.name == name)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def client(self, name: str, headers: dict[str, str] | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url(name), headers=headers or {}, timeout=60)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.popen.poll() is None:
                process.popen.kill()
                process.popen.wait(timeout=30)

    def outputs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.output()[-3000:]}" for p in self.processes)


@contextmanager
def deployment(settings: Settings, root: Path, **variables: str) -> Iterator[Deployment]:
    deployed = Deployment(settings, root, **variables)
    try:
        yield deployed
    finally:
        deployed.stop_all()


def eventually(
    probe: Callable[[], T | None], what: str, timeout: float, deployed: Deployment | None = None
) -> T:
    """``probe()``'s first value that is not None (or false), asked every 0.1 s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = probe()
        except (httpx.HTTPError, OSError):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            logs = deployed.outputs() if deployed is not None else ""
            raise AssertionError(f"{what}: not within {timeout} s\n{logs}")
        time.sleep(0.1)


def readiness(deployed: Deployment, api: str) -> dict[str, Any]:
    with deployed.client(api) as http:
        body: dict[str, Any] = http.get("/readyz").json()
    return body
