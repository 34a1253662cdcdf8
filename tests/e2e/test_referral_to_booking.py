"""One case from referral to a place at an MDT (a meeting's agenda, or a huddle), through real HTTP, Kafka
and PostgreSQL processes."""

from typing import Any

import httpx
import pytest

from tests.support.cases import a_case
from tests.support.clinic import staff_every_specialty
from tests.support.polling import eventually
from tests.support.services import Pipeline, auth

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def staffed(pipeline: Pipeline) -> Pipeline:
    staff_every_specialty(pipeline.url("scheduler"), per_specialty=2)
    return pipeline


PLACED = ("booked", "listed")  # a huddle booked, or listed on a meeting (meetings.md §4)


def case_view(pipeline: Pipeline, case_id: str) -> dict[str, Any]:
    response = httpx.get(f"{pipeline.url('intake')}/v1/cases/{case_id}", headers=auth("integration"))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_posted_case_is_placed_with_a_clinician_of_every_required_specialty(staffed: Pipeline) -> None:
    case = a_case()
    response = httpx.post(f"{staffed.url('intake')}/v1/cases", json=case, headers=auth("integration"))
    assert response.status_code == 202, response.text
    receipt = response.json()
    assert receipt["case_version"] == 1 and receipt["status"] == "received"

    view = eventually(
        lambda: v if (v := case_view(staffed, receipt["case_id"]))["status"] in PLACED else None, timeout=45
    )
    required = view["recommendation"]["required_specialties"]
    booking = view["booking"]
    assert booking["status"] == "confirmed" and booking["schema_version"] == 2
    specialties = [p["specialty"] for p in booking["participants"]]
    if booking["kind"] == "meeting":  # its expected attendees: at least one of each required specialty
        assert view["status"] == "listed" and set(required) <= set(specialties)
        assert booking["position"] >= 1 and booking["estimated_start"] >= booking["start"]
    else:
        assert view["status"] == "booked" and sorted(specialties) == sorted(required)
        assert len({p["clinician_id"] for p in booking["participants"]}) == len(required)
    assert "radiology" in required
    assert booking["end"] <= booking["deadline"]

    recommendation = httpx.get(
        f"{staffed.url('eligibility')}/v1/recommendations/{receipt['case_id']}", headers=auth("clinician")
    ).json()
    assert recommendation["required_specialties"] == required
    scheduled = httpx.get(
        f"{staffed.url('scheduler')}/v1/bookings",
        params={"case_id": receipt["case_id"]},
        headers=auth("coordinator"),
    ).json()
    assert [b["booking_id"] for b in scheduled] == [booking["booking_id"]]


def test_an_identical_resubmission_changes_nothing_and_a_changed_one_is_a_new_version(
    staffed: Pipeline,
) -> None:
    case = a_case()
    url = f"{staffed.url('intake')}/v1/cases"
    first = httpx.post(url, json=case, headers=auth("integration"))
    again = httpx.post(url, json=case, headers=auth("integration"))
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["case_id"] == first.json()["case_id"] and again.json()["case_version"] == 1

    case["pain"]["score"] = 8
    changed = httpx.post(url, json=case, headers=auth("integration"))
    assert changed.status_code == 202
    assert changed.json() == {**first.json(), "case_version": 2, "status": "received"}
    view = eventually(
        lambda: (
            v
            if (v := case_view(staffed, first.json()["case_id"]))["status"] in PLACED
            and v["booking"]["case_version"] == 2
            else None
        ),
        timeout=45,
    )
    assert view["recommendation"]["case_version"] == 2
    bookings = httpx.get(
        f"{staffed.url('scheduler')}/v1/bookings",
        params={"case_id": first.json()["case_id"], "status": "confirmed"},
        headers=auth("coordinator"),
    ).json()
    assert len(bookings) == 1


def test_a_withdrawn_case_has_its_booking_cancelled(staffed: Pipeline) -> None:
    response = httpx.post(f"{staffed.url('intake')}/v1/cases", json=a_case(), headers=auth("integration"))
    case_id = response.json()["case_id"]
    eventually(lambda: True if case_view(staffed, case_id)["status"] in PLACED else None, timeout=45)
    withdrawn = httpx.delete(f"{staffed.url('intake')}/v1/cases/{case_id}", headers=auth("integration"))
    assert withdrawn.status_code == 202 and withdrawn.json()["status"] == "withdrawn"
    booking = eventually(
        lambda: (
            v["booking"] if (v := case_view(staffed, case_id))["booking"]["status"] == "cancelled" else None
        ),
        timeout=45,
    )
    assert booking["participants"] == []
    assert case_view(staffed, case_id)["status"] == "withdrawn"


def test_an_invalid_case_is_a_problem_json_422_listing_every_field(staffed: Pipeline) -> None:
    case = a_case()
    case["pain"]["score"] = 11
    case["lesions"][1]["spine_level"] = "T4"
    response = httpx.post(f"{staffed.url('intake')}/v1/cases", json=case, headers=auth("integration"))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"pain.score", "lesions[1].spine_level"}


def test_malformed_json_is_a_400(staffed: Pipeline) -> None:
    response = httpx.post(
        f"{staffed.url('intake')}/v1/cases",
        content=b'{"external_id": ',
        headers={**auth("integration"), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["title"] == "Malformed JSON"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong"}, 401),
        (auth("coordinator"), 403),
        (auth("integration"), 422),
    ],
)
def test_intake_needs_the_integration_role(staffed: Pipeline, headers: dict[str, str], status: int) -> None:
    response = httpx.post(f"{staffed.url('intake')}/v1/cases", json={}, headers=headers)
    assert response.status_code == status
