"""Chromium (Debian's chromium and chromium-driver, installed by deploy/local/browser.sh) driven by Selenium,
and the console it browses: in process on the in-memory fake of the services, or as a process on the real
stack (the `pipeline` fixture's services on real Kafka and PostgreSQL)."""

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from services.console.main import create_application
from services.console.settings import ConsoleSettings
from tests.support.console_fake import FakeServices
from tests.support.infrastructure import ROOT
from tests.support.services import TEST_TOKENS, Pipeline, RunningService, free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = ROOT / "docs" / "console"
SECRET = "a-browser-test-session-secret-of-32-characters-or-more"


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail("Chromium is not installed: run deploy/local/browser.sh (make test does)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in a container has no user namespace for the sandbox
        "--disable-dev-shm-usage",
        "--window-size=1280,720",
        "--force-device-scale-factor=1",
        "--no-first-run",
        "--disable-extensions",
        "--lang=en-GB",
    ):
        options.add_argument(argument)
    # An explicit driver: Selenium Manager then downloads nothing.
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_window_size(1280, 720)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver: WebDriver, name: str) -> Path:
    """The whole page at 1280 wide (taller when it scrolls), as the README shows it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(1280, max(720, min(height + 140, 2400)))
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(1280, 720)
    return path


def loads_next_page(driver: WebDriver, action: Callable[[], object]) -> None:
    """Runs an action that sends a form or follows a link, and waits until the next page has replaced this
    one (a click or Enter may return before the browser has navigated).

    The page is marked with a script variable, which the next document does not have. No element of the old
    page is held: while Chromium tears that page down, asking about one of its nodes can fail with "Node with
    given id does not belong to the document" rather than as a stale element, and a script run mid-navigation
    can fail too; both mean "not there yet"."""
    driver.execute_script("window.__leavingThisPage = true")
    action()
    WebDriverWait(driver, 15, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script(
            "return window.__leavingThisPage === undefined && document.readyState === 'complete'"
        )
    )


def sign_in(driver: WebDriver, base_url: str, role: str) -> None:
    driver.delete_all_cookies()
    driver.get(f"{base_url}/sign-in")
    field = driver.find_element(By.ID, "token")
    field.send_keys(TEST_TOKENS[role])
    loads_next_page(driver, field.submit)
    assert f"Signed in as {role}" in driver.find_element(By.TAG_NAME, "header").text


def unlabelled_controls(driver: WebDriver) -> list[str]:
    """Visible form controls with no accessible name (a <label for>, a wrapping label or aria-label)."""
    return list(
        driver.execute_script(
            """return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
                 .map(e => e.outerHTML.slice(0, 120));"""
        )
    )


@pytest.fixture
def fake() -> FakeServices:
    return FakeServices()


@pytest.fixture
def fake_console(fake: FakeServices) -> Iterator[str]:
    """The console in this process (uvicorn in a thread), its services the in-memory fake."""
    settings = ConsoleSettings(
        environment="test",
        intake_url="http://intake.test",
        eligibility_url="http://eligibility.test",
        scheduler_url="http://scheduler.test",
        api_tokens=",".join(f"{role}:{token}" for role, token in TEST_TOKENS.items()),
        console_session_secret=SECRET,
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_application(settings, transport=fake.transport()),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the console did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="session")
def stack_console(pipeline: Pipeline) -> Iterator[RunningService]:
    """The console as a process (as `make run` starts it), calling the pipeline's three services."""
    console = Pipeline(
        env={
            **pipeline.env,
            "INTAKE_URL": pipeline.url("intake"),
            "ELIGIBILITY_URL": pipeline.url("eligibility"),
            "SCHEDULER_URL": pipeline.url("scheduler"),
            "CONSOLE_SESSION_SECRET": SECRET,
        },
        log_dir=pipeline.log_dir,
    )
    service = console.start("console")
    try:
        yield service
    finally:
        console.stop_all()
