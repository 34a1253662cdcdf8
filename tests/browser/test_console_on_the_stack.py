"""The console as a process on the real stack (intake, eligibility and the scheduler on real Kafka and
PostgreSQL), in Chromium: a clinician reads a case; a coordinator prepares and locks a meeting and a
clinician records its outcome (meetings.md §5-6). Writes the README's screenshot of the case page, and of
the week, agenda and outcome form once the meetings API is there."""

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from uuid import uuid4

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from services.scheduler.domain import align_up
from shared.contracts.codes import Specialty, TherapyCode
from tests.browser.conftest import loads_next_page, screenshot, sign_in
from tests.support.cases import a_case
from tests.support.clinic import staff_every_specialty
from tests.support.polling import eventually
from tests.support.services import Pipeline, RunningService, auth

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def submit(pipeline: Pipeline, case: dict[str, Any]) -> str:
    response = httpx.post(
        f"{pipeline.url('intake')}/v1/cases", json=case, headers=auth("integration"), timeout=30
    )
    assert response.status_code == 202, response.text
    return str(response.json()["case_id"])


def recommended(pipeline: Pipeline, case_id: str) -> dict[str, Any] | None:
    response = httpx.get(
        f"{pipeline.url('eligibility')}/v1/recommendations/{case_id}", headers=auth("clinician"), timeout=10
    )
    return response.json() if response.status_code == 200 else None


def click(driver: WebDriver, by: str, value: str) -> None:
    element = driver.find_element(by, value)
    loads_next_page(driver, element.click)


def test_a_clinician_reads_a_case_with_its_alerts_first(
    browser: WebDriver, pipeline: Pipeline, stack_console: RunningService
) -> None:
    case = a_case()
    case["labs"]["corrected_calcium_mmol_l"] = 3.2  # hypercalcaemia: an alert
    # the inputs of ruleset 2027.01
    case["status"]["metastasis_count"] = 4
    case["history"]["dental_assessment"] = "not_done"
    case["labs"]["inr"] = 1.2
    case["lesions"][0]["posterior_wall"] = "involved"
    case_id = submit(pipeline, case)
    recommendation = eventually(lambda: recommended(pipeline, case_id))

    sign_in(browser, stack_console.url, "clinician")
    browser.get(f"{stack_console.url}/cases/{case_id}")
    alerts = browser.find_element(By.CSS_SELECTOR, "section.alerts")
    assert "hypercalcaemia" in alerts.text.lower() and alerts.get_attribute("role") == "alert"
    assert alerts.location["y"] < browser.find_element(By.ID, "therapies-title").location["y"]
    rows = browser.find_elements(By.CSS_SELECTOR, "table.therapies tbody tr")
    assert len(rows) == len(TherapyCode)
    for row, therapy in zip(rows, recommendation["therapies"], strict=True):
        for reason in therapy["reasons"]:
            assert reason["text"] in row.text and f"[{reason['source']}]" in row.text
        for path in therapy["missing"]:
            assert path in row.text
    assert recommendation["ruleset_version"] in browser.page_source
    assert case["patient"]["pseudonym"] not in browser.page_source  # intake's view is not the clinician's
    screenshot(browser, "case")

    sign_in(browser, stack_console.url, "ops")  # ops reads intake's view: the pipeline status
    browser.get(f"{stack_console.url}/cases/{case_id}")
    assert browser.find_element(By.ID, "case-status").text in ("evaluated", "waitlisted", "booked", "listed")
    assert case["patient"]["pseudonym"] in browser.page_source  # intake's view names the case by pseudonym
    inputs = {
        pair.find_element(By.TAG_NAME, "dt").text: pair.find_element(By.TAG_NAME, "dd").text
        for pair in browser.find_elements(By.CSS_SELECTOR, "dl.inputs > div")
    }
    assert inputs == {
        "Distant metastases at the latest staging": "4",
        "Dental assessment before an osteoclast inhibitor": "not done",
        "INR": "1.2",
        "Posterior wall, lesion L1 (T8)": "involved",
    }


def staff_and_meetings(pipeline: Pipeline) -> None:
    """Clinicians of every specialty, always available, in a team with meetings ahead (the shared helper
    makes the team and meetings with the meetings API; made here when it does not)."""
    scheduler = pipeline.url("scheduler")
    staff = staff_every_specialty(scheduler)
    with httpx.Client(base_url=scheduler, headers=auth("coordinator"), timeout=30) as client:
        teams = client.get("/v1/teams")
        assert teams.status_code == 200, teams.text
        if teams.json():
            return
        team = client.post(
            "/v1/teams",
            json={
                "code": f"browser-{uuid4().hex[:8]}",
                "name": "Browser test MDT",
                "timezone": "Europe/London",
                "quorum_specialties": [Specialty.radiology],
                "listing_cutoff_hours": 0,
            },
        )
        assert team.status_code == 201, team.text
        team_id = int(team.json()["team_id"])
        for clinician_id in staff:
            member = client.put(f"/v1/teams/{team_id}/members/{clinician_id}", json={"role": "core"})
            assert member.status_code == 200, member.text
        for hours in (3, 15, 27):
            start = align_up(datetime.now(UTC) + timedelta(hours=hours))
            meeting = client.post(
                "/v1/meetings", json={"team_id": team_id, "start": start.isoformat(), "duration_minutes": 60}
            )
            assert meeting.status_code == 201, meeting.text


def another_meeting(pipeline: Pipeline, meeting: dict[str, Any]) -> str:
    """A later scheduled meeting of the same team, to move an item to."""
    meetings = httpx.get(
        f"{pipeline.url('scheduler')}/v1/meetings",
        params={"team": meeting["team_id"], "from": meeting["end"], "status": "scheduled"},
        headers=auth("coordinator"),
        timeout=10,
    )
    assert meetings.status_code == 200, meetings.text
    return str(meetings.json()[0]["meeting_id"])


def listing(pipeline: Pipeline, case_id: str) -> dict[str, Any] | None:
    response = httpx.get(
        f"{pipeline.url('scheduler')}/v1/bookings",
        params={"case_id": case_id},
        headers=auth("coordinator"),
        timeout=10,
    )
    found = [b for b in response.json() if b.get("kind") == "meeting" and b.get("status") == "confirmed"]
    return found[0] if found else None


def test_a_coordinator_prepares_and_locks_a_meeting_and_a_clinician_records_the_outcome(
    browser: WebDriver, pipeline: Pipeline, stack_console: RunningService
) -> None:
    staff_and_meetings(pipeline)
    cases = [submit(pipeline, a_case()) for _ in range(2)]
    listed = [eventually(partial(listing, pipeline, case_id), timeout=60) for case_id in cases]
    first = listed[0]["meeting_id"]
    assert listed[1]["meeting_id"] == first
    kept, moved = (entry["item_id"] for entry in listed)
    meeting = httpx.get(
        f"{pipeline.url('scheduler')}/v1/meetings/{first}", headers=auth("ops"), timeout=10
    ).json()
    second = another_meeting(pipeline, meeting)

    sign_in(browser, stack_console.url, "coordinator")
    browser.get(f"{stack_console.url}/week?team={meeting['team_id']}&day={meeting['start'][:10]}")
    assert browser.find_element(By.CSS_SELECTOR, f'a[href="/meetings/{first}"]')
    screenshot(browser, "week")

    click(browser, By.CSS_SELECTOR, f'a[href="/meetings/{first}"]')
    screenshot(browser, "agenda")
    for key in ("imaging", "histology", "spine_mri"):
        buttons = browser.find_elements(By.CSS_SELECTOR, f'#item-{kept} button[data-readiness="{key}"]')
        if buttons and buttons[0].text.endswith(("no", "?")):
            loads_next_page(browser, buttons[0].click)
            assert browser.find_element(By.CSS_SELECTOR, ".flash").text == "Readiness changed."
    assert "ready" in browser.find_element(By.ID, f"item-{kept}").text

    Select(browser.find_element(By.ID, f"move-{moved}")).select_by_value(second)
    click(browser, By.CSS_SELECTOR, f'#item-{moved} form[action$="/move"] button')
    assert browser.find_element(By.CSS_SELECTOR, ".flash").text == "Item moved to the other meeting."
    assert not browser.find_elements(By.ID, f"item-{moved}")

    click(browser, By.LINK_TEXT, "Lock agenda…")
    click(browser, By.XPATH, "//button[normalize-space()='Yes, lock the agenda']")
    assert browser.find_element(By.CSS_SELECTOR, ".flash").text == "Agenda locked."
    assert "locked" in browser.find_element(By.TAG_NAME, "h1").find_element(By.XPATH, "..").text

    sign_in(browser, stack_console.url, "clinician")
    browser.get(f"{stack_console.url}/meetings/{first}/items/{kept}/outcome")
    for select in browser.find_elements(By.CSS_SELECTOR, "tr.needs select[id^=decision-]"):
        if not Select(select).first_selected_option.get_attribute("value"):
            Select(select).select_by_value("accepted")
    Select(browser.find_element(By.ID, "decision-surgery")).select_by_value("declined")
    Select(browser.find_element(By.ID, "intent")).select_by_value("palliative")
    click(browser, By.CSS_SELECTOR, "form.outcome button[type=submit]")
    assert "reason code" in browser.find_element(By.ID, "error-reason-surgery").text
    screenshot(browser, "outcome")

    Select(browser.find_element(By.ID, "reason-surgery")).select_by_value("clinical_judgement")
    click(browser, By.CSS_SELECTOR, "form.outcome button[type=submit]")
    assert browser.current_url.endswith(f"/meetings/{first}")  # no item left to discuss
    assert browser.find_element(By.CSS_SELECTOR, ".flash").text.startswith("Outcome recorded")

    browser.get(f"{stack_console.url}/cases/{cases[0]}")
    assert browser.find_element(By.ID, "case-status").text == "discussed"

    sign_in(browser, stack_console.url, "ops")  # intake's own status, from the outcome event

    def discussed() -> bool | None:
        browser.get(f"{stack_console.url}/cases/{cases[0]}")
        return True if browser.find_element(By.ID, "case-status").text == "discussed" else None

    eventually(discussed, timeout=30)
