"""The console in process, its services replaced by the in-memory fake (tests/support/console_fake.py)."""

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from services.console.main import create_application
from services.console.settings import ConsoleSettings
from tests.support.console_fake import FakeServices
from tests.support.services import TEST_TOKENS

SECRET = "a-test-session-secret-of-at-least-32-characters"


@pytest.fixture
def fake() -> FakeServices:
    return FakeServices()


@pytest.fixture
async def console(fake: FakeServices) -> AsyncIterator[httpx.AsyncClient]:
    settings = ConsoleSettings(
        environment="test",
        intake_url="http://intake.test",
        eligibility_url="http://eligibility.test",
        scheduler_url="http://scheduler.test",
        api_tokens=",".join(f"{role}:{token}" for role, token in TEST_TOKENS.items()),
        console_session_secret=SECRET,
    )
    app = create_application(settings, transport=fake.transport())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as client:
            yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, role: str) -> str:
    """Signs in as `role`; returns the session's CSRF token."""
    page = await client.get("/sign-in")
    response = await client.post(
        "/sign-in", data={"token": TEST_TOKENS[role], "csrf_token": csrf_of(page.text), "next": "/week"}
    )
    assert response.status_code == 303, response.text
    return csrf_of((await client.get("/week")).text)
