"""Session fixtures: real Kafka and PostgreSQL (see tests/support/infrastructure.py), a database and a
topic prefix of this run's own, and — for end-to-end tests — the three services as processes."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.database import run_database
from tests.support.infrastructure import Infrastructure, new_run_id, provide_infrastructure
from tests.support.kafka import delete_topics_containing
from tests.support.services import Pipeline, running_pipeline


@pytest.fixture(scope="session")
def run_id() -> str:
    return new_run_id()


@pytest.fixture(scope="session")
def infrastructure(run_id: str) -> Iterator[Infrastructure]:
    """Kafka and PostgreSQL, started only when a test asks for them (never for tests/unit). At the end the
    run's topics are deleted (their names carry the run id), so a shared broker does not collect hundreds."""
    with provide_infrastructure() as infra:
        yield infra
        asyncio.run(delete_topics_containing(infra.kafka_bootstrap_servers, run_id))


@pytest.fixture(scope="session")
def database_url(infrastructure: Infrastructure, run_id: str) -> Iterator[str]:
    with run_database(infrastructure.admin_database_url, f"bonemets_test_{run_id}") as url:
        yield url


@pytest.fixture(scope="session")
def topic_prefix(run_id: str) -> str:
    return f"test-{run_id}."


@pytest.fixture(scope="session")
def pipeline(
    infrastructure: Infrastructure,
    database_url: str,
    topic_prefix: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Pipeline]:
    log_dir: Path = tmp_path_factory.mktemp("service-logs")
    with running_pipeline(
        database_url, infrastructure.kafka_bootstrap_servers, topic_prefix, log_dir
    ) as running:
        yield running
