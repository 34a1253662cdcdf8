"""The unit tier needs no broker and no database: asking for them here is an error, not a silent start."""

import pytest


@pytest.fixture(scope="session")
def infrastructure() -> None:
    pytest.fail(
        "tests/unit must not use Kafka or PostgreSQL; move the test to tests/integration or tests/e2e"
    )
