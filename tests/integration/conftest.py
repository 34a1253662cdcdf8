"""Fixtures shared by the integration tests of the shared Kafka and database plumbing."""

import pytest

from shared.settings import ServiceSettings
from tests.support.infrastructure import Infrastructure


@pytest.fixture
async def settings(infrastructure: Infrastructure, database_url: str) -> ServiceSettings:
    """Service settings pointing at the test run's broker and database."""
    return ServiceSettings(
        database_url=database_url, kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers
    )
