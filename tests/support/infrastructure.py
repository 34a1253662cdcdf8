"""Where the tests' Kafka and PostgreSQL come from, in this order:
1. endpoints given by the environment (KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL) — `make test` sets them;
2. testcontainers, when a Docker engine answers (Apache Kafka 4.x KRaft image, PostgreSQL 15);
3. the project's own local Kafka and PostgreSQL (deploy/local/), started when needed.
Each test run then gets its own database and its own topic prefix, so runs never see each other's data."""

import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KAFKA_IMAGE = "apache/kafka:4.1.1"
POSTGRES_IMAGE = "postgres:15"


@dataclass(frozen=True)
class Infrastructure:
    kafka_bootstrap_servers: str
    admin_database_url: str  # a role that may CREATE DATABASE
    origin: str


def _docker_available() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


def _local_database_url() -> str:
    return "postgresql+asyncpg://bonemets:bonemets@127.0.0.1:5432/bonemets"


@contextmanager
def provide_infrastructure() -> Iterator[Infrastructure]:
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    database = os.environ.get("DATABASE_URL")
    with ExitStack() as stack:
        origin = []
        if (kafka is None or database is None) and _docker_available():
            if kafka is None:
                from testcontainers.kafka import KafkaContainer

                container = stack.enter_context(KafkaContainer(KAFKA_IMAGE).with_kraft())
                kafka = container.get_bootstrap_server()
                origin.append("kafka: testcontainers")
            if database is None:
                from testcontainers.postgres import PostgresContainer

                pg = stack.enter_context(PostgresContainer(POSTGRES_IMAGE, driver="asyncpg"))
                database = pg.get_connection_url()
                origin.append("postgres: testcontainers")
        if kafka is None:
            subprocess.run([ROOT / "deploy/local/kafka.sh", "start"], check=True)
            kafka = "127.0.0.1:9092"
            origin.append("kafka: deploy/local")
        if database is None:
            subprocess.run([ROOT / "deploy/local/postgres.sh", "start"], check=True)
            database = _local_database_url()
            origin.append("postgres: deploy/local")
        yield Infrastructure(kafka, database, ", ".join(origin) or "environment")


def new_run_id() -> str:
    return uuid.uuid4().hex[:10]
