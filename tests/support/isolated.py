"""A private Kafka broker and PostgreSQL cluster for tests that stop and start them (outages, faults):
started with the project's own scripts on free ports, in a state folder of their own, so that stopping
them never disturbs the shared ones other tests use."""

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from tests.support.infrastructure import ROOT
from tests.support.services import free_port


@dataclass
class PrivateInfrastructure:
    state_dir: Path
    kafka_port: int
    postgres_port: int

    @property
    def kafka_bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def database_url(self) -> str:
        return f"postgresql+asyncpg://bonemets:bonemets@127.0.0.1:{self.postgres_port}/bonemets"

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "LOCAL_STATE_DIR": str(self.state_dir),
            "KAFKA_PORT": str(self.kafka_port),
            "KAFKA_CONTROLLER_PORT": str(_controller_port(self)),
            "KAFKA_HEAP": "512m",
            "PGPORT": str(self.postgres_port),
        }

    def kafka(self, action: str) -> None:
        subprocess.run([ROOT / "deploy/local/kafka.sh", action], check=True, env=self._env())

    def kill_kafka(self) -> None:
        """SIGKILL to the broker (no controlled shutdown); `kafka("start")` then recovers its log."""
        os.kill(int((self.state_dir / "kafka" / "kafka.pid").read_text()), signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.kafka_port)) != 0:
                    return
            time.sleep(0.1)
        raise TimeoutError("the broker still listens after SIGKILL")

    def postgres(self, action: str) -> None:
        subprocess.run([ROOT / "deploy/local/postgres.sh", action], check=True, env=self._env())


_controller_ports: dict[Path, int] = {}


def _controller_port(infra: PrivateInfrastructure) -> int:
    return _controller_ports.setdefault(infra.state_dir, free_port())


@contextmanager
def private_infrastructure() -> Iterator[PrivateInfrastructure]:
    # Under the checkout's .local (not /tmp): the postgres user must be able to reach the data folder.
    state_dir = ROOT / ".local" / "private" / uuid.uuid4().hex[:8]
    state_dir.mkdir(parents=True)
    state_dir.parent.chmod(0o755)
    state_dir.chmod(0o755)
    infra = PrivateInfrastructure(state_dir, free_port(), free_port())
    try:
        infra.postgres("start")
        infra.kafka("start")
        yield infra
    finally:
        for stop in (infra.kafka, infra.postgres):
            with suppress(subprocess.CalledProcessError):
                stop("stop")
        shutil.rmtree(state_dir, ignore_errors=True)
