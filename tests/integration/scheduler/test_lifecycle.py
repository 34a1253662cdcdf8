"""A booking's life through the service layer on a real database: the worklist re-tried when availability
grows (emergency first, then by deadline), a new recommendation keeping or moving a booking, withdrawal,
a clinician or a window lost under a booking, and emergencies without a full panel. Each step's
mdt-bookings event is checked in the outbox (the relay publishing it is tested in tests/integration)."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.scheduler import coordination, service
from services.scheduler.adapters.tables import AvailabilityWindowRecord
from services.scheduler.schemas import ClinicianUpdate
from services.scheduler.service import BookingPolicy
from services.scheduler.worklist import WorklistRetrier
from shared.contracts.codes import Specialty, Urgency
from shared.contracts.events import EventEnvelope, EventType
from shared.db.engine import SessionFactory
from shared.db.unit_of_work import SessionUnitOfWork
from tests.integration.scheduler.support import (
    PANEL,
    POLICY,
    TOPIC,
    add_clinician,
    book_recommendation,
    booking_events,
    next_hour,
    on_case_changed,
    open_booking,
    participants,
    recommendation,
    staff,
    withdrawal,
)
from tests.support.cases import a_case

pytestmark = pytest.mark.integration
THIRTY = timedelta(minutes=30)


async def book(
    sessions: SessionFactory, case_id: uuid.UUID, policy: BookingPolicy = POLICY, **kw: object
) -> None:
    async with sessions() as session, session.begin():
        await book_recommendation(session, recommendation(case_id, **kw), policy)  # type: ignore[arg-type]


async def test_new_availability_retries_the_worklist_emergency_first_then_by_deadline(
    sessions: SessionFactory,
) -> None:
    now = datetime.now(UTC)
    cases: dict[str, tuple[uuid.UUID, dict[str, Any]]] = {
        "routine": (uuid.uuid4(), {"urgency": Urgency.routine}),
        "urgent-late": (uuid.uuid4(), {"urgency": Urgency.urgent}),
        "urgent-early": (
            uuid.uuid4(),
            {"urgency": Urgency.urgent, "evaluated_at": now - timedelta(hours=10)},
        ),
        "emergency": (uuid.uuid4(), {"urgency": Urgency.emergency}),
    }
    async with sessions() as session, session.begin():
        clinicians = {s: await add_clinician(session, s) for s in PANEL}  # nobody available yet
    for case_id, kw in cases.values():
        await book(sessions, case_id, **kw)
    async with sessions() as session:
        assert [b.case_id for b in await service.worklist(session)] == [
            cases[k][0] for k in ("emergency", "urgent-early", "urgent-late", "routine")
        ]
        assert (await open_booking(session, cases["routine"][0])).missing_specialties == sorted(
            s.value for s in PANEL
        )

    retrier = WorklistRetrier(SessionUnitOfWork(sessions), POLICY)
    booked_order = []
    start = next_hour()
    for n in range(4):  # one more slot each time: the worklist is served in its order
        async with sessions() as session, session.begin():
            for clinician_id in clinicians.values():
                session.add(
                    AvailabilityWindowRecord(
                        clinician_id=clinician_id, start=start + n * THIRTY, end=start + (n + 1) * THIRTY
                    )
                )
        assert await retrier.retry_all() == 1
        async with sessions() as session:
            for name, (case_id, _) in cases.items():
                booking = await open_booking(session, case_id)
                if booking.status == "confirmed" and name not in booked_order:
                    booked_order.append(name)
                    assert booking.start == start + n * THIRTY
                    events = [e for e, _ in await booking_events(session, case_id)]
                    assert events == ["booking.waitlisted", "booking.confirmed"]
    assert booked_order == ["emergency", "urgent-early", "urgent-late", "routine"]


async def test_a_new_recommendation_keeps_a_booking_that_still_fits_and_frees_who_is_not_needed(
    sessions: SessionFactory,
) -> None:
    async with sessions() as session, session.begin():
        await staff(session, PANEL, 1, next_hour(), 8)
    case_id = uuid.uuid4()
    await book(sessions, case_id)
    await book(sessions, case_id, version=2, specialties=[Specialty.radiology, Specialty.surgery])
    async with sessions() as session:
        booking = await open_booking(session, case_id)
        events = await booking_events(session, case_id)
        assert [e for e, _ in events] == ["booking.confirmed", "booking.confirmed"]
        assert events[1][1]["case_version"] == 2 and events[1][1]["start"] == events[0][1]["start"]
        assert events[1][1]["booking_id"] == events[0][1]["booking_id"] == str(booking.booking_id)
        assert sorted(p.specialty for p in await participants(session, booking.booking_id)) == [
            "radiology",
            "surgery",
        ]


async def test_a_new_recommendation_that_no_longer_fits_is_rescheduled_or_waitlisted(
    sessions: SessionFactory,
) -> None:
    start = next_hour()
    async with sessions() as session, session.begin():
        await staff(session, PANEL, 1, start, 8)
        await add_clinician(session, Specialty.palliative_care, [(start + 2 * THIRTY, start + 3 * THIRTY)])
    case_id = uuid.uuid4()
    await book(sessions, case_id)
    # One more specialty: the old slot lacks it; the one slot where palliative care is free is taken.
    await book(sessions, case_id, version=2, specialties=[*PANEL, Specialty.palliative_care])
    # A specialty nobody has: the worklist, with what is lacking.
    await book(sessions, case_id, version=3, specialties=[*PANEL, Specialty.physiatry])
    async with sessions() as session:
        events = await booking_events(session, case_id)
        assert [e for e, _ in events] == ["booking.confirmed", "booking.rescheduled", "booking.waitlisted"]
        rescheduled = events[1][1]
        assert datetime.fromisoformat(rescheduled["start"]) == start + 2 * THIRTY
        assert "palliative_care" in [p["specialty"] for p in rescheduled["participants"]]
        waitlisted = events[2][1]
        assert waitlisted["status"] == "waitlisted" and waitlisted["participants"] == []
        assert waitlisted["missing_specialties"] == ["physiatry"] and "physiatry" in waitlisted["reason"]
    await book(sessions, case_id, version=1)  # a stale version changes nothing
    async with sessions() as session:
        assert len(await booking_events(session, case_id)) == 3


async def test_a_withdrawn_case_has_its_booking_cancelled_and_later_recommendations_ignored(
    sessions: SessionFactory,
) -> None:
    async with sessions() as session, session.begin():
        await staff(session, PANEL, 1, next_hour(), 8)
    case_id = uuid.uuid4()
    await book(sessions, case_id)
    async with sessions() as session, session.begin():
        await service.cancel_for_withdrawal(session, withdrawal(case_id), POLICY)
    await book(sessions, case_id)  # a late redelivery of the recommendation
    async with sessions() as session:
        events = await booking_events(session, case_id)
        assert [e for e, _ in events] == ["booking.confirmed", "booking.cancelled"]
        assert events[1][1]["status"] == "cancelled" and events[1][1]["reason"]
        booking_id = uuid.UUID(events[0][1]["booking_id"])
        assert await participants(session, booking_id) == []


async def test_a_changed_resubmission_reopens_a_withdrawn_case_and_an_older_one_does_not(
    sessions: SessionFactory,
) -> None:
    async with sessions() as session, session.begin():
        await staff(session, PANEL, 1, next_hour(), 8)
    case_id = uuid.uuid4()
    await book(sessions, case_id)
    async with sessions() as session, session.begin():
        await service.cancel_for_withdrawal(session, withdrawal(case_id), POLICY)
        await on_case_changed(session, changed_case(case_id, version=1))  # not newer: stays
    await book(sessions, case_id, version=1)
    async with sessions() as session, session.begin():
        await on_case_changed(session, changed_case(case_id, version=2))
    await book(sessions, case_id, version=2)
    async with sessions() as session:
        events = await booking_events(session, case_id)
    assert [(e, p["case_version"]) for e, p in events] == [
        ("booking.confirmed", 1),
        ("booking.cancelled", 1),
        ("booking.confirmed", 2),
    ]


def changed_case(case_id: uuid.UUID, version: int) -> EventEnvelope:
    return EventEnvelope(
        event_type=EventType.case_updated, case_id=case_id, case_version=version, payload=a_case()
    )


@pytest.mark.parametrize("spare", [True, False], ids=["rescheduled", "waitlisted"])
async def test_a_clinician_made_inactive_moves_their_bookings(sessions: SessionFactory, spare: bool) -> None:
    start = next_hour()
    async with sessions() as session, session.begin():
        staff_ids = await staff(session, PANEL, 1, start, 8)
        if spare:
            await add_clinician(session, Specialty.surgery, [(start + 4 * THIRTY, start + 5 * THIRTY)])
    case_id = uuid.uuid4()
    await book(sessions, case_id)
    surgeon = staff_ids[Specialty.surgery][0]
    change = await coordination.update_clinician(
        SessionUnitOfWork(sessions), "coordinator-1", surgeon, ClinicianUpdate(active=False), POLICY
    )
    async with sessions() as session:
        booking = await open_booking(session, case_id)
        events = await booking_events(session, case_id)
        assert booking.reason and f"clinician {surgeon} made inactive" in booking.reason
        people = await participants(session, booking.booking_id)
        if spare:
            assert change.moved == {booking.booking_id: "booking.rescheduled"}
            assert [e for e, _ in events] == ["booking.confirmed", "booking.rescheduled"]
            assert booking.start == start + 4 * THIRTY and surgeon not in [p.clinician_id for p in people]
        else:
            assert [e for e, _ in events] == ["booking.confirmed", "booking.waitlisted"]
            assert booking.status == "waitlisted" and people == []
            assert booking.missing_specialties == ["surgery"]


async def test_deleting_the_window_under_a_booking_moves_it_and_other_windows_leave_it(
    sessions: SessionFactory,
) -> None:
    start = next_hour()
    async with sessions() as session, session.begin():
        await staff(session, [Specialty.radiology, Specialty.radiation_oncology], 1, start, 8)
        # The surgeon's day is two touching windows; the booking (first slot) lies in the first.
        surgeon = await add_clinician(
            session,
            Specialty.surgery,
            [(start, start + 4 * THIRTY), (start + 4 * THIRTY, start + 8 * THIRTY)],
        )
    case_id = uuid.uuid4()
    await book(sessions, case_id)
    uow = SessionUnitOfWork(sessions)
    windows = await coordination.list_windows(uow, surgeon)
    first, second = (w.id for w in windows)
    assert first is not None and second is not None
    assert await coordination.delete_window(uow, "c", surgeon, second, POLICY) == {}
    moved = await coordination.delete_window(uow, "c", surgeon, first, POLICY)
    async with sessions() as session:
        booking = await open_booking(session, case_id)
        assert moved == {booking.booking_id: "booking.waitlisted"}
        assert booking.status == "waitlisted" and booking.missing_specialties == ["surgery"]
        assert (
            booking.reason
            and f"availability window {first} of clinician {surgeon} withdrawn" in booking.reason
        )
        events = await booking_events(session, case_id)
        assert [e for e, _ in events] == ["booking.confirmed", "booking.waitlisted"]
        assert events[1][1]["reason"] == booking.reason


async def test_an_emergency_without_a_full_panel_gets_the_earliest_core_slot_flagged_partial(
    sessions: SessionFactory,
) -> None:
    start = next_hour()
    async with sessions() as session, session.begin():
        core = await staff(session, [Specialty.surgery, Specialty.radiation_oncology], 1, start, 4)
        radiologist = await add_clinician(
            session, Specialty.radiology, [(start + 2 * THIRTY, start + 3 * THIRTY)]
        )
        await add_clinician(
            session, Specialty.palliative_care, [(start + timedelta(hours=30), start + timedelta(hours=32))]
        )
    case_id = uuid.uuid4()
    required = [
        Specialty.surgery,
        Specialty.radiation_oncology,
        Specialty.radiology,
        Specialty.palliative_care,
    ]
    await book(sessions, case_id, urgency=Urgency.emergency, specialties=required)
    async with sessions() as session:
        booking = await open_booking(session, case_id)
        assert booking.status == "confirmed" and booking.partial
        assert booking.start == start  # the earliest with the core, not the one with the most specialties
        assert booking.missing_specialties == ["palliative_care", "radiology"]
        assert (
            booking.reason
            and "without a full panel" in booking.reason
            and "palliative_care" in booking.reason
        )
        people = {p.clinician_id for p in await participants(session, booking.booking_id)}
        assert people == {core[Specialty.surgery][0], core[Specialty.radiation_oncology][0]}
        assert radiologist not in people
        ((event, payload),) = await booking_events(session, case_id)
        assert event == "booking.confirmed" and payload["partial"] is True
        assert payload["missing_specialties"] == ["palliative_care", "radiology"]


async def test_an_emergency_with_a_full_panel_within_24_hours_is_not_partial(
    sessions: SessionFactory,
) -> None:
    start = next_hour()
    async with sessions() as session, session.begin():
        await staff(session, [Specialty.surgery, Specialty.radiation_oncology], 1, start, 10)
        await add_clinician(session, Specialty.radiology, [(start + 6 * THIRTY, start + 7 * THIRTY)])
    case_id = uuid.uuid4()
    await book(sessions, case_id, urgency=Urgency.emergency, specialties=PANEL)
    async with sessions() as session:
        booking = await open_booking(session, case_id)
        assert (booking.status, booking.partial, booking.start) == ("confirmed", False, start + 6 * THIRTY)


async def test_the_minimum_lead_time_applies_to_routine_but_not_to_emergency(
    sessions: SessionFactory,
) -> None:
    start = next_hour(0)
    policy = BookingPolicy(duration=THIRTY, booking_topic=TOPIC, min_lead=timedelta(hours=2))
    async with sessions() as session, session.begin():
        await staff(session, PANEL, 2, start, 6)
    routine, emergency = uuid.uuid4(), uuid.uuid4()
    await book(sessions, routine, policy, urgency=Urgency.routine)
    await book(sessions, emergency, policy, urgency=Urgency.emergency)
    async with sessions() as session:
        routine_start = (await open_booking(session, routine)).start
        emergency_start = (await open_booking(session, emergency)).start
    assert routine_start is not None and emergency_start is not None
    assert routine_start >= datetime.now(UTC) + timedelta(hours=2) - timedelta(minutes=1)
    assert emergency_start < datetime.now(UTC) + timedelta(minutes=15)


async def test_each_event_shows_the_booking_as_the_database_holds_it(sessions: SessionFactory) -> None:
    """The events of a new booking and of a moved one carry what the service just wrote (not read back):
    they must equal the booking's view read from the database, participants' names included."""
    first = next_hour()
    async with sessions() as session, session.begin():
        staffed = await staff(session, PANEL, 2, first, 3)
    case_id = uuid.uuid4()
    await book(sessions, case_id)
    async with sessions() as session, session.begin():
        booking = await open_booking(session, case_id)
        view = await service.booking_view(session, booking)
        people = {p.clinician_id for p in await participants(session, booking.booking_id)}
    [(event, payload)] = await _events(sessions, case_id)
    assert event == "booking.confirmed"
    assert payload == view.model_dump(mode="json")
    assert {p["clinician_id"] for p in payload["participants"]} == people
    # A participant made inactive: the booking is moved, and the event shows where.
    gone = next(iter(people & set(staffed[Specialty.surgery])))
    await coordination.update_clinician(
        SessionUnitOfWork(sessions), "test", gone, ClinicianUpdate(active=False), POLICY
    )
    async with sessions() as session:
        view = await service.booking_view(session, await open_booking(session, case_id))
    event, payload = (await _events(sessions, case_id))[-1]
    assert event == "booking.rescheduled"
    assert payload == view.model_dump(mode="json")
    assert gone not in {p["clinician_id"] for p in payload["participants"]}


async def _events(sessions: SessionFactory, case_id: uuid.UUID) -> list[tuple[str, dict[str, Any]]]:
    async with sessions() as session:
        return await booking_events(session, case_id)
