"""The console's routes in process (httpx ASGI), the services replaced by an httpx.MockTransport fake:
sign-in and out, CSRF, role rules, the API's 422 next to its fields, a recommendation with alerts first."""

import re

import httpx
import pytest
from pydantic import ValidationError

from services.console.settings import ConsoleSettings
from tests.support.console_fake import FakeServices
from tests.support.services import TEST_TOKENS
from tests.unit.console.conftest import csrf_of, sign_in


def upstream_writes(fake: FakeServices) -> list[tuple[str, str, str]]:
    return [(role, method, path) for role, method, path, _ in fake.calls if method != "GET"]


async def test_sign_in_sets_a_strict_http_only_cookie_and_sign_out_clears_it(
    console: httpx.AsyncClient,
) -> None:
    assert (await console.get("/week")).headers["location"] == "/sign-in?next=%2Fweek"
    page = await console.get("/sign-in")
    response = await console.post(
        "/sign-in",
        data={"token": TEST_TOKENS["coordinator"], "csrf_token": csrf_of(page.text), "next": "/week"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/week"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert TEST_TOKENS["coordinator"] not in response.headers["set-cookie"]  # base64 in a signed cookie
    week = await console.get("/week")
    assert week.status_code == 200 and "Signed in as <strong>coordinator</strong>" in week.text
    out = await console.post("/sign-out", data={"csrf_token": csrf_of(week.text)})
    assert out.headers["location"] == "/sign-in"
    assert (await console.get("/week")).status_code == 303


@pytest.mark.parametrize(
    ("token", "message"),
    [(TEST_TOKENS["integration"], "integration role"), ("not-a-token", "not valid"), ("", "not valid")],
)
async def test_integration_role_and_unknown_tokens_are_refused(
    console: httpx.AsyncClient, token: str, message: str
) -> None:
    page = await console.get("/sign-in")
    response = await console.post("/sign-in", data={"token": token, "csrf_token": csrf_of(page.text)})
    assert response.status_code == 401 and message in response.text
    assert (await console.get("/week")).status_code == 303


async def test_forms_without_the_session_csrf_token_are_refused(
    console: httpx.AsyncClient, fake: FakeServices
) -> None:
    await console.get("/sign-in")
    refused = await console.post(
        "/sign-in", data={"token": TEST_TOKENS["coordinator"], "csrf_token": "forged"}
    )
    assert refused.status_code == 403 and "security token" in refused.text
    await sign_in(console, "coordinator")
    for data in ({}, {"csrf_token": "forged", "confirm": "yes"}):
        response = await console.post(f"/meetings/{fake.first}/lock", data=data)
        assert response.status_code == 403
    assert upstream_writes(fake) == []
    assert fake.meetings[fake.first]["status"] == "scheduled"


async def test_next_after_sign_in_stays_on_this_site(console: httpx.AsyncClient) -> None:
    page = await console.get("/sign-in")
    response = await console.post(
        "/sign-in",
        data={"token": TEST_TOKENS["ops"], "csrf_token": csrf_of(page.text), "next": "//evil.example/x"},
    )
    assert response.headers["location"] == "/week"


async def test_lock_asks_for_confirmation_then_locks_with_the_users_token(
    console: httpx.AsyncClient, fake: FakeServices
) -> None:
    csrf = await sign_in(console, "coordinator")
    asked = await console.post(f"/meetings/{fake.first}/lock", data={"csrf_token": csrf})
    assert asked.headers["location"] == f"/meetings/{fake.first}/confirm/lock"
    confirm = await console.get(asked.headers["location"])
    assert "1 item(s) are not ready and will be deferred" in confirm.text
    assert upstream_writes(fake) == []
    done = await console.post(f"/meetings/{fake.first}/lock", data={"csrf_token": csrf, "confirm": "yes"})
    assert done.status_code == 303
    assert upstream_writes(fake) == [("coordinator", "POST", f"/v1/meetings/{fake.first}/lock")]
    agenda = await console.get(done.headers["location"])
    assert "Agenda locked." in agenda.text and "status-locked" in agenda.text


@pytest.mark.parametrize("role", ["clinician", "ops"])
async def test_only_coordinators_change_agendas(
    console: httpx.AsyncClient, fake: FakeServices, role: str
) -> None:
    csrf = await sign_in(console, role)
    agenda = await console.get(f"/meetings/{fake.first}")
    assert (
        agenda.status_code == 200 and "Lock agenda" not in agenda.text and "Record absence" not in agenda.text
    )
    item = next(iter(fake.items))
    for path, data in [
        (f"/meetings/{fake.first}/lock", {"confirm": "yes"}),
        (f"/meetings/{fake.first}/absences/1", {"absent": "yes"}),
        (f"/meetings/{fake.first}/items/{item}/move", {"to_meeting": fake.second}),
        (f"/meetings/{fake.first}/items/{item}/readiness", {"key": "imaging", "value": "false"}),
    ]:
        response = await console.post(path, data={**data, "csrf_token": csrf})
        assert response.status_code == 403, path
    assert upstream_writes(fake) == []


async def test_ops_reads_but_does_not_record_outcomes(console: httpx.AsyncClient, fake: FakeServices) -> None:
    csrf = await sign_in(console, "ops")
    item = next(iter(fake.items))
    assert "Record outcome" not in (await console.get(f"/meetings/{fake.first}")).text
    assert (await console.get(f"/meetings/{fake.first}/items/{item}/outcome")).status_code == 403
    posted = await console.post(f"/meetings/{fake.first}/items/{item}/outcome", data={"csrf_token": csrf})
    assert posted.status_code == 403 and fake.outcomes == []


async def test_week_shows_minutes_quorum_and_worklist_countdown(
    console: httpx.AsyncClient, fake: FakeServices
) -> None:
    await sign_in(console, "coordinator")
    fake.meetings[fake.first]["absent"].add(3)  # the only surgeon
    day = fake.meetings[fake.first]["start"][:10]
    page = await console.get(f"/week?team=1&day={day}")
    assert page.status_code == 200
    assert "18 / 90 min" in page.text
    assert "lacking: surgery" in page.text and "Dr Chloe Martin" in page.text
    assert re.search(r"Not ready \(meeting within 72 h\) <span class=\"count\">1</span>", page.text)
    assert re.search(r"\d+ (d|h) \d+ (h|min) left", page.text)


async def test_readiness_toggle_sends_the_items_other_values_as_they_are(
    console: httpx.AsyncClient, fake: FakeServices
) -> None:
    csrf = await sign_in(console, "coordinator")
    item_id, item = next((k, v) for k, v in fake.items.items() if v["position"] == 2)
    response = await console.post(
        f"/meetings/{fake.first}/items/{item_id}/readiness",
        data={
            "csrf_token": csrf,
            "now-imaging": "true",
            "now-histology": "null",
            "now-spine_mri": "false",
            "key": "histology",
            "value": "true",
        },
    )
    assert response.status_code == 303
    assert fake.calls[-1][3] == {"readiness": {"imaging": True, "histology": True, "spine_mri": False}}
    assert item["readiness"]["histology"] is True


async def test_move_refused_by_the_scheduler_shows_its_reason(
    console: httpx.AsyncClient, fake: FakeServices
) -> None:
    csrf = await sign_in(console, "coordinator")
    fake.meetings[fake.second]["status"] = "cancelled"
    item_id = next(iter(fake.items))
    response = await console.post(
        f"/meetings/{fake.first}/items/{item_id}/move", data={"csrf_token": csrf, "to_meeting": fake.second}
    )
    page = await console.get(response.headers["location"])
    assert "Could not move the item" in page.text and "is cancelled" in page.text


async def test_a_declined_therapy_without_reason_shows_the_422_next_to_its_reason_field(
    console: httpx.AsyncClient, fake: FakeServices
) -> None:
    csrf = await sign_in(console, "clinician")
    item_id = next(k for k, v in fake.items.items() if v["position"] == 1)
    form = await console.get(f"/meetings/{fake.first}/items/{item_id}/outcome")
    assert form.status_code == 200
    # Prefilled: a recommended therapy accepted, a `consider` one waiting, attendees the expected ones.
    assert re.search(
        r'name="decision-non_opioid_analgesic".*?<option value="accepted" selected', form.text, re.S
    )
    assert form.text.count('name="attendees"') == 6 and form.text.count("checked") == 6
    data = {
        "csrf_token": csrf,
        "decision-non_opioid_analgesic": "accepted",
        "decision-external_beam_radiotherapy": "accepted",
        "decision-opioid_analgesic": "accepted",
        "decision-surgery": "declined",
        "decision-stereotactic_body_radiotherapy": "deferred",
        "intent": "palliative",
        "attendees": ["1", "2", "3", "4", "5"],
    }
    refused = await console.post(f"/meetings/{fake.first}/items/{item_id}/outcome", data=data)
    assert refused.status_code == 422
    assert re.search(r'id="reason-surgery" name="reason-surgery" aria-invalid="true"', refused.text)
    assert re.search(r'id="error-reason-surgery">a declined decision needs a reason code<', refused.text)
    assert 'value="declined" selected' in refused.text  # what was typed is kept
    assert fake.outcomes == []

    saved = await console.post(
        f"/meetings/{fake.first}/items/{item_id}/outcome", data={**data, "reason-surgery": "patient_choice"}
    )
    following = next(k for k, v in fake.items.items() if v["position"] == 2)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/meetings/{fake.first}/items/{following}/outcome"
    assert fake.outcomes[0]["decisions"][3] == {
        "therapy": "surgery",
        "decision": "declined",
        "reason_code": "patient_choice",
        "note": None,
    }
    assert "Outcome recorded (version 1)" in (await console.get(saved.headers["location"])).text


async def test_missing_decisions_and_attendees_are_shown_above_their_fieldsets(
    console: httpx.AsyncClient, fake: FakeServices
) -> None:
    csrf = await sign_in(console, "coordinator")
    item_id = next(iter(fake.items))
    refused = await console.post(
        f"/meetings/{fake.first}/items/{item_id}/outcome",
        data={"csrf_token": csrf, "intent": "palliative", "attendees": ["1"]},
    )
    assert refused.status_code == 422
    assert re.search(r'id="error-decisions">no decision for [^<]*surgery \(consider\)', refused.text)
    assert re.search(
        r'id="error-attendees">no attendee covers the required specialties: surgery', refused.text
    )


async def test_case_page_puts_alerts_first_with_every_verdict_reason_and_source(
    console: httpx.AsyncClient, fake: FakeServices
) -> None:
    await sign_in(console, "clinician")
    page = await console.get(f"/cases/{fake.cases[0]}")
    assert page.status_code == 200
    text = page.text
    alert = text.index("Suspected spinal cord compression")
    assert alert < text.index('id="therapies-title"') and 'role="alert"' in text[:alert]
    for label in (
        "Thermal ablation",
        "Contraindicated",
        "Insufficient data",
        "[SINS]",
        "status.life_expectancy_months",
    ):
        assert label in text
    assert "urgency urgent, alert mscc suspected, surgery consider" in text
    assert 'id="case-status">listed<' in text  # from the scheduler: intake's view is not the clinician's
    assert "Record outcome" in text


async def test_case_page_shows_discussed_once_an_outcome_is_recorded(
    console: httpx.AsyncClient, fake: FakeServices
) -> None:
    await sign_in(console, "clinician")
    item = next(v for v in fake.items.values() if v["case_id"] == str(fake.cases[0]))
    item["status"] = "discussed"
    page = await console.get(f"/cases/{fake.cases[0]}")
    assert 'id="case-status">discussed<' in page.text


async def test_a_401_from_a_service_sends_the_user_back_to_sign_in(
    console: httpx.AsyncClient, fake: FakeServices
) -> None:
    await sign_in(console, "coordinator")
    fake.revoked.add(TEST_TOKENS["coordinator"])
    response = await console.get("/week")
    assert response.status_code == 303 and response.headers["location"] == "/sign-in"
    assert "please sign in again" in (await console.get("/sign-in")).text
    assert (await console.get("/week")).status_code == 303


async def test_upstream_problem_detail_is_shown(console: httpx.AsyncClient) -> None:
    await sign_in(console, "clinician")
    page = await console.get("/meetings/00000000-0000-0000-0000-000000000000")
    assert page.status_code == 404 and "scheduler answered 404" in page.text and "unknown id" in page.text


async def test_pages_carry_security_headers(console: httpx.AsyncClient) -> None:
    page = await console.get("/sign-in")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("environment", ["test", "production"])
def test_placeholder_session_secret_is_refused_outside_development(
    environment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CONSOLE_SESSION_SECRET", raising=False)  # make test's local secret
    with pytest.raises(ValidationError, match="CONSOLE_SESSION_SECRET"):
        ConsoleSettings(environment=environment)
    with pytest.raises(ValidationError, match="CONSOLE_SESSION_SECRET"):
        ConsoleSettings(environment=environment, console_session_secret="short")
    assert ConsoleSettings(environment="development").console_session_secret.get_secret_value()


async def test_intake_is_asked_for_the_case_only_by_the_roles_it_serves(
    console: httpx.AsyncClient, fake: FakeServices
) -> None:
    await sign_in(console, "clinician")
    await console.get(f"/cases/{fake.cases[0]}")
    assert not [call for call in fake.calls if call[2].startswith("/v1/cases/")]
    await sign_in(console, "ops")
    page = await console.get(f"/cases/{fake.cases[0]}")
    assert ("ops", "GET", f"/v1/cases/{fake.cases[0]}") in [call[:3] for call in fake.calls]
    assert 'id="case-status">listed<' in page.text and "Record outcome" not in page.text


async def test_an_item_evaluated_under_2026_12_has_its_twelve_therapies_and_needs_no_new_decision(
    console: httpx.AsyncClient, fake: FakeServices
) -> None:
    """A recommendation issued under 2026.12 stays as it was: its outcome form lists its twelve therapies
    (neither 2027.01 therapy), and the outcome is recorded without a decision for them."""
    csrf = await sign_in(console, "clinician")
    item_id = next(k for k, v in fake.items.items() if v["position"] == 3)
    assert fake.recommendations[fake.items[item_id]["case_id"]]["ruleset_version"] == "2026.12"
    form = await console.get(f"/meetings/{fake.first}/items/{item_id}/outcome")
    assert form.status_code == 200
    assert form.text.count('name="decision-') == 12
    assert "Thermal ablation" in form.text and "Stereotactic body radiotherapy" not in form.text
    saved = await console.post(
        f"/meetings/{fake.first}/items/{item_id}/outcome",
        data={
            "csrf_token": csrf,
            "decision-non_opioid_analgesic": "accepted",
            "decision-external_beam_radiotherapy": "accepted",
            "decision-opioid_analgesic": "accepted",
            "decision-surgery": "accepted",
            "intent": "palliative",
            "attendees": ["1", "2", "3", "4", "5"],
        },
    )
    assert saved.status_code == 303
    assert [d["therapy"] for d in fake.outcomes[0]["decisions"]] == [
        "non_opioid_analgesic",
        "opioid_analgesic",
        "external_beam_radiotherapy",
        "surgery",
    ]


async def test_the_case_page_shows_the_inputs_of_ruleset_2027_01_to_the_roles_intake_serves(
    console: httpx.AsyncClient, fake: FakeServices
) -> None:
    await sign_in(console, "ops")
    page = await console.get(f"/cases/{fake.cases[0]}")
    section = page.text[page.text.index('id="inputs-title"') :]
    for label, value in (
        ("Distant metastases at the latest staging", "not recorded"),
        ("Dental assessment before an osteoclast inhibitor", "not done"),
        ("INR", "1.6"),
        ("Posterior wall, lesion L1 (T8)", "retropulsed"),
        ("Posterior wall, lesion L2 (L2)", "not recorded"),
    ):
        assert re.search(
            rf"<dt>{re.escape(label)}</dt><dd>(<span class=\"muted\">)?{re.escape(value)}<", section
        )
    assert "lesion L3" not in section  # a femur has no posterior wall
    assert "Stereotactic body radiotherapy (SBRT / SABR)" in page.text
    await sign_in(console, "clinician")  # intake's view, and so the submission, is not the clinician's
    assert 'id="inputs-title"' not in (await console.get(f"/cases/{fake.cases[0]}")).text


async def test_a_huddle_outcome_is_recorded_from_the_case_page_with_its_participants_prefilled(
    console: httpx.AsyncClient, fake: FakeServices
) -> None:
    csrf = await sign_in(console, "clinician")
    case_page = await console.get(f"/cases/{fake.huddle_case}")
    booking_id = fake.huddle["booking_id"]
    assert f'href="/bookings/{booking_id}/outcome"' in case_page.text
    form = await console.get(f"/bookings/{booking_id}/outcome")
    assert form.status_code == 200 and form.text.count('name="attendees"') == 4
    assert form.text.count("checked") == 4
    data = {
        "csrf_token": csrf,
        "decision-non_opioid_analgesic": "accepted",
        "decision-external_beam_radiotherapy": "accepted",
        "decision-opioid_analgesic": "deferred",
        "decision-surgery": "modified",
        "reason-surgery": "clinical_judgement",
        "note-surgery": "fixation first",
        "decision-stereotactic_body_radiotherapy": "declined",
        "reason-stereotactic_body_radiotherapy": "clinical_judgement",
        "intent": "palliative",
        "decision_to_treat_date": "2026-12-01",
        "attendees": ["1", "2", "3", "4"],
        "further_investigations": ["spine_mri"],
    }
    saved = await console.post(f"/bookings/{booking_id}/outcome", data=data)
    assert saved.status_code == 303 and saved.headers["location"] == f"/cases/{fake.huddle_case}"
    outcome = fake.outcomes[0]
    assert outcome["booking_id"] == booking_id and outcome["decision_to_treat_date"] == "2026-12-01"
    assert outcome["further_investigations"] == ["spine_mri"] and outcome["attendees"] == [1, 2, 3, 4]


async def test_absences_are_recorded_and_taken_back(console: httpx.AsyncClient, fake: FakeServices) -> None:
    csrf = await sign_in(console, "coordinator")
    recorded = await console.post(
        f"/meetings/{fake.first}/absences/3", data={"csrf_token": csrf, "absent": "yes"}
    )
    assert recorded.headers["location"] == f"/meetings/{fake.first}#attendance"
    page = await console.get(f"/meetings/{fake.first}")
    assert "Absence recorded" in page.text and "quorum lacking: surgery" in page.text
    assert 'Take back absence<span class="visually-hidden"> of Dr Chloe Martin' in page.text
    await console.post(f"/meetings/{fake.first}/absences/3", data={"csrf_token": csrf, "absent": "no"})
    assert fake.meetings[fake.first]["absent"] == set()
    assert ("coordinator", "DELETE", f"/v1/meetings/{fake.first}/absences/3") in [c[:3] for c in fake.calls]


async def test_week_shows_the_worklist_when_the_scheduler_has_no_meetings_api(
    console: httpx.AsyncClient, fake: FakeServices
) -> None:
    await sign_in(console, "coordinator")
    fake.no_teams = True
    page = await console.get("/week")
    assert page.status_code == 200 and "No MDT team is set up yet" in page.text
    assert "Not ready (meeting within 72 h)" in page.text
