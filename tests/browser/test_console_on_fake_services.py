"""The console in Chromium, its services the in-memory fake of the spec'd APIs (contracts.md §5, meetings.md
§5-6): a coordinator prepares and locks a meeting, a clinician records outcomes and meets the API's 422.
Writes the README's screenshots of the week, the agenda and the outcome form (docs/console/)."""

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from tests.browser.conftest import loads_next_page, screenshot, sign_in, unlabelled_controls
from tests.support.console_fake import FakeServices
from tests.support.services import TEST_TOKENS

pytestmark = pytest.mark.browser


def item_at(fake: FakeServices, position: int) -> str:
    return next(
        k for k, v in fake.items.items() if v["position"] == position and v["meeting_id"] == fake.first
    )


def flash_text(driver: WebDriver) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, ".flash").text)


def click(driver: WebDriver, by: str, value: str) -> None:
    element = driver.find_element(by, value)
    loads_next_page(driver, element.click)


def test_coordinator_prepares_and_locks_a_meeting_then_a_clinician_records_outcomes(
    browser: WebDriver, fake_console: str, fake: FakeServices
) -> None:
    sign_in(browser, fake_console, "coordinator")
    day = fake.meetings[fake.first]["start"][:10]
    browser.get(f"{fake_console}/week?team=1&day={day}")
    assert "Bone metastases MDT" in browser.find_element(By.TAG_NAME, "h1").text
    assert "18 / 90 min" in browser.find_element(By.CSS_SELECTOR, "table.meetings").text
    assert unlabelled_controls(browser) == []
    countdown = browser.find_element(By.CSS_SELECTOR, "table.worklist time[data-countdown]")
    assert countdown.get_attribute("data-ticked") == "yes"  # the script keeps it counting down
    assert re.fullmatch(r"\d+ d \d+ h left", countdown.text), countdown.text
    screenshot(browser, "week")

    click(browser, By.CSS_SELECTOR, f'a[href="/meetings/{fake.first}"]')
    assert unlabelled_controls(browser) == []
    second, third = item_at(fake, 2), item_at(fake, 3)
    screenshot(browser, "agenda")  # the second item not ready yet
    for key in ("histology", "spine_mri"):
        click(browser, By.CSS_SELECTOR, f'#item-{second} button[data-readiness="{key}"]')
        assert flash_text(browser) == "Readiness changed."
    assert fake.items[second]["readiness"] == {"imaging": True, "histology": True, "spine_mri": True}

    Select(browser.find_element(By.ID, f"move-{third}")).select_by_value(fake.second)
    click(browser, By.CSS_SELECTOR, f'#item-{third} form[action$="/move"] button')
    assert flash_text(browser) == "Item moved to the other meeting."
    assert fake.items[third]["meeting_id"] == fake.second

    first = item_at(fake, 1)
    minutes = browser.find_element(By.ID, f"minutes-{first}")
    minutes.clear()
    loads_next_page(browser, lambda: minutes.send_keys("8", Keys.ENTER))  # Enter sends the row's form
    assert flash_text(browser) == "Item changed." and fake.items[first]["minutes"] == 8

    click(browser, By.LINK_TEXT, "Lock agenda…")
    assert "Lock the agenda?" in browser.find_element(By.TAG_NAME, "h1").text
    assert fake.meetings[fake.first]["status"] == "scheduled"  # nothing happens before the confirmation
    click(browser, By.XPATH, "//button[normalize-space()='Yes, lock the agenda']")
    assert flash_text(browser) == "Agenda locked." and fake.meetings[fake.first]["status"] == "locked"

    sign_in(browser, fake_console, "clinician")
    browser.get(f"{fake_console}/meetings/{fake.first}")
    assert not browser.find_elements(By.LINK_TEXT, "Lock agenda…")
    click(browser, By.CSS_SELECTOR, f'#item-{first} a[href$="/outcome"]')
    assert unlabelled_controls(browser) == []
    Select(browser.find_element(By.ID, "decision-opioid_analgesic")).select_by_value("accepted")
    Select(browser.find_element(By.ID, "decision-surgery")).select_by_value("declined")
    Select(browser.find_element(By.ID, "decision-stereotactic_body_radiotherapy")).select_by_value("deferred")
    Select(browser.find_element(By.ID, "intent")).select_by_value("palliative")
    click(browser, By.CSS_SELECTOR, "form.outcome button[type=submit]")
    error = browser.find_element(By.ID, "error-reason-surgery")
    assert error.text == "a declined decision needs a reason code"
    assert browser.find_element(By.ID, "reason-surgery").get_attribute("aria-invalid") == "true"
    assert fake.outcomes == []
    screenshot(browser, "outcome")

    Select(browser.find_element(By.ID, "reason-surgery")).select_by_value("patient_choice")
    click(browser, By.CSS_SELECTOR, "form.outcome button[type=submit]")
    assert browser.current_url.endswith(f"/meetings/{fake.first}/items/{second}/outcome")
    assert flash_text(browser) == "Outcome recorded (version 1)."
    assert fake.outcomes[0]["recorded_by_role"] == "clinician"

    browser.get(f"{fake_console}/cases/{fake.items[first]['case_id']}")
    assert browser.find_element(By.ID, "case-status").text == "discussed"
    alerts = browser.find_element(By.CSS_SELECTOR, "section.alerts")
    assert alerts.location["y"] < browser.find_element(By.ID, "therapies-title").location["y"]


def test_keyboard_alone_signs_in_and_reaches_the_skip_link_first(
    browser: WebDriver, fake_console: str
) -> None:
    browser.delete_all_cookies()
    browser.get(f"{fake_console}/sign-in")
    assert browser.switch_to.active_element.get_attribute("id") == "token"  # focused on arrival
    field = browser.switch_to.active_element
    loads_next_page(browser, lambda: field.send_keys("not-a-token", Keys.ENTER))
    assert "not valid" in browser.find_element(By.ID, "sign-in-error").text
    field = browser.switch_to.active_element
    loads_next_page(browser, lambda: field.send_keys(TEST_TOKENS["ops"], Keys.ENTER))
    assert browser.current_url.endswith("/week")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    assert browser.switch_to.active_element.text == "Skip to content"
