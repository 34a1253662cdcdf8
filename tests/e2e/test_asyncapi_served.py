"""Each running service serves its AsyncAPI document at /asyncapi.json (like /openapi.json, without a token),
the same document that tests/deploy/test_asyncapi.py validates."""

import httpx
import pytest

from shared.contracts.asyncapi import asyncapi_document
from tests.deploy.test_asyncapi import SERVICES
from tests.support.services import Pipeline

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("service", SERVICES)
def test_the_service_serves_its_asyncapi_document(pipeline: Pipeline, service: str) -> None:
    answer = httpx.get(f"{pipeline.url(service)}/asyncapi.json")
    assert answer.status_code == 200
    sends, receives = SERVICES[service]
    served = answer.json()
    assert served["asyncapi"] == "3.0.0"
    assert (
        served["operations"]
        == asyncapi_document(service=service, title=service, sends=sends, receives=receives)["operations"]
    )
