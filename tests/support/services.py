"""Runs the three services as real processes (uvicorn), as `make run` does, on free ports."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.infrastructure import ROOT

UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SERVICE_NAMES = ("intake", "eligibility", "scheduler")
TEST_TOKENS = {
    "integration": "test-integration-token",
    "coordinator": "test-coordinator-token",
    "clinician": "test-clinician-token",
    "ops": "test-ops-token",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TEST_TOKENS[role]}"}


@dataclass
class RunningService:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Pipeline:
    env: dict[str, str]
    log_dir: Path
    services: dict[str, RunningService] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return self.services[name].url

    def start(
        self,
        name: str,
        *,
        instance: str | None = None,
        port: int | None = None,
        processes: tuple[int, int] | None = None,
    ) -> RunningService:
        """Starts a service; `instance` names a second process of the same service ("scheduler-2").
        `processes`: (API workers, consumer processes), started by shared/serve.py as `make run` does."""
        port = port or free_port()
        key = instance or name
        log_path = self.log_dir / f"{key}-{port}.log"
        address = ["--host", "127.0.0.1", "--port", str(port)]
        env = {**self.env, "OTEL_SERVICE_NAME": name}
        if processes is None:
            argv = ["-m", "uvicorn", "--factory", f"services.{name}.main:create_application", *address]
            argv.append("--no-access-log")
        else:
            argv = ["-m", "shared.serve", name, *address]
            env |= {"API_WORKERS": str(processes[0]), "CONSUMER_PROCESSES": str(processes[1])}
        process = subprocess.Popen(
            [sys.executable, *argv],
            cwd=ROOT,
            env=env,
            stdout=log_path.open("ab"),
            stderr=subprocess.STDOUT,
        )
        service = RunningService(key, port, process, log_path)
        self.services[key] = service
        wait_ready(service)
        return service

    def stop(self, key: str, sig: int = signal.SIGTERM) -> None:
        service = self.services[key]
        if service.process.poll() is None:
            service.process.send_signal(sig)
            try:
                service.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                service.process.kill()
                service.process.wait()

    def stop_all(self) -> None:
        for name in list(self.services):
            self.stop(name)

    def warnings_digest(self, top: int = 8) -> str:
        """The most frequent warning and error messages of each service's log, counted (ids blanked): what a
        failed test shows of the services, since CI keeps no log files."""
        lines = []
        for key, service in self.services.items():
            counts: Counter[str] = Counter()
            for line in service.log_path.read_text(errors="replace").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    entry = {"level": "error", "message": line}
                if isinstance(entry, dict) and entry.get("level") in ("warning", "error", "critical"):
                    message = UUID_PATTERN.sub("<id>", str(entry.get("message", "")))[:160]
                    counts[f"{entry.get('logger', '')}: {message}"] += 1
            lines.append(f"{key}:")
            lines += [f"  {n:6d} x {message}" for message, n in counts.most_common(top)]
        return "\n".join(lines)


def wait_ready(service: RunningService, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited:\n{service.log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"{service.url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{service.name} not ready:\n{service.log_path.read_text()[-3000:]}")


@contextmanager
def running_pipeline(
    database_url: str, kafka: str, topic_prefix: str, log_dir: Path, extra_env: dict[str, str] | None = None
) -> Iterator[Pipeline]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "KAFKA_TOPIC_PREFIX": topic_prefix,
        "API_TOKENS": ",".join(f"{role}:{token}" for role, token in TEST_TOKENS.items()),
        "ENVIRONMENT": "test",
        "OUTBOX_POLL_SECONDS": "0.1",
        "DATABASE_POOL_SIZE": "5",
        **(extra_env or {}),
    }
    pipeline = Pipeline(env=env, log_dir=log_dir)
    try:
        for name in SERVICE_NAMES:
            pipeline.start(name)
        yield pipeline
    finally:
        pipeline.stop_all()
