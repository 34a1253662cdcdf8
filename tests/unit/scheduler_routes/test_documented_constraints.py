"""What the OpenAPI document says of `GET /v1/slots`, the availability bodies and the reschedule body is what
the API enforces: input valid by the document's patterns is accepted by the models, and the refusals the
document cannot express (ranges between two fields) are named in it and refused naming the field."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.scheduler import service
from services.scheduler.schemas import (
    GRID_PATTERN,
    INSTANT_PATTERN,
    LOCAL_GRID_TIME,
    SPECIALTY_LIST,
    RescheduleRequest,
    WeeklyWindowCreate,
    WindowCreate,
    check_instant,
    parse_specialties,
)
from shared.contracts.codes import Specialty
from shared.errors import InvalidRequestError
from tests.support.fake_unit_of_work import FakeUnitOfWork
from tests.unit.scheduler_routes.conftest import Api


def _valid_datetime(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("z", "Z").replace("t", "T"))
    except ValueError:
        return False
    return True


async def test_the_document_declares_the_constraints(api: Api) -> None:
    document = (await api.client.get("/openapi.json")).json()
    slots = {p["name"]: p["schema"] for p in document["paths"]["/v1/slots"]["get"]["parameters"]}
    assert slots["specialties"]["pattern"] == SPECIALTY_LIST
    assert slots["from"]["pattern"] == slots["to"]["pattern"] == INSTANT_PATTERN
    assert (slots["duration_minutes"]["minimum"], slots["duration_minutes"]["multipleOf"]) == (15, 15)
    schemas = document["components"]["schemas"]
    for model, field in [("WindowCreate", "start"), ("WindowCreate", "end"), ("RescheduleRequest", "start")]:
        assert schemas[model]["properties"][field]["pattern"] == GRID_PATTERN
    weekly = schemas["WeeklyWindowCreate"]["properties"]
    assert weekly["start_local"]["pattern"] == weekly["end_local"]["pattern"] == LOCAL_GRID_TIME
    assert (
        "366 days" in weekly["to_date"]["description"]
        and "24 hours" in schemas["WindowCreate"]["properties"]["end"]["description"]
    )
    ids = schemas["RescheduleRequest"]["properties"]["clinician_ids"]["anyOf"][0]["items"]
    assert (ids["minimum"], ids["maximum"]) == (1, 2**31 - 1)


@settings(max_examples=100, deadline=None)
@given(st.from_regex(GRID_PATTERN, fullmatch=True).filter(_valid_datetime))
def test_every_start_the_document_allows_is_accepted(start: str) -> None:
    assert RescheduleRequest.model_validate({"start": start}).start.tzinfo is not None


@settings(max_examples=100, deadline=None)
@given(st.from_regex(INSTANT_PATTERN, fullmatch=True).filter(_valid_datetime))
def test_every_instant_the_document_allows_is_in_range(instant: str) -> None:
    check_instant(datetime.fromisoformat(instant.replace("z", "Z").replace("t", "T")))


@settings(max_examples=100, deadline=None)
@given(st.from_regex(LOCAL_GRID_TIME, fullmatch=True), st.from_regex(LOCAL_GRID_TIME, fullmatch=True))
def test_every_local_time_the_document_allows_is_accepted(start: str, end: str) -> None:
    body = {
        "weekday": 1,
        "start_local": start,
        "end_local": end,
        "from_date": "2031-01-01",
        "to_date": "2031-02-01",
    }
    if start[:5] == end[:5]:
        with pytest.raises(ValidationError, match="end_local"):
            WeeklyWindowCreate.model_validate(body)
    else:
        WeeklyWindowCreate.model_validate(body)


@settings(max_examples=100, deadline=None)
@given(st.from_regex(SPECIALTY_LIST, fullmatch=True))
def test_every_specialty_list_the_document_allows_is_parsed(raw: str) -> None:
    assert set(parse_specialties(raw)) <= set(Specialty)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start": "2031-01-06T10:00:00Z", "end": "2031-01-06T09:00:00Z"}, "end"),
        ({"start": "2031-01-06T10:00:00Z", "end": "2031-01-07T10:15:00Z"}, "end"),
    ],
)
def test_a_window_range_refused_names_end(body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        WindowCreate.model_validate(body)
    assert [error["loc"] for error in refused.value.errors()] == [(field,)]


async def test_the_slot_search_refuses_a_range_naming_to_without_a_query() -> None:
    uow = FakeUnitOfWork()
    since = datetime(2031, 1, 6, 10, tzinfo=UTC)
    for until, reason in [(since, "after from"), (since + timedelta(days=91), "90 days")]:
        with pytest.raises(InvalidRequestError, match=reason) as refused:
            await service.search_slots(
                uow, [Specialty.surgery], since=since, until=until, duration=timedelta(minutes=30)
            )
        assert refused.value.field == "to"
    # a range with no grid start that leaves room for the slot has none, and asks nothing of the database
    tiny = await service.search_slots(
        uow,
        [Specialty.surgery],
        since=since + timedelta(seconds=1),
        until=since + timedelta(minutes=20),
        duration=timedelta(minutes=15),
    )
    assert tiny == [] and uow.reads == 0


def test_the_specialty_pattern_is_the_enum() -> None:
    codes = re.findall(r"[a-z_]+", SPECIALTY_LIST)
    assert set(codes) == {s.value for s in Specialty}
