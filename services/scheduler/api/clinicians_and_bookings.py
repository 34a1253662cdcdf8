"""The coordinators' scheduling API for clinicians, availability, bookings and the worklist (contracts.md §5,
scheduler): translates HTTP into calls of `coordination` and `service`; their refusals (404 unknown id, 409
conflict with the reason, 422 invalid request) are answered by the shared problem handler. No SQL and no rules
here."""

from datetime import timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import Response

from services.scheduler import coordination, service
from services.scheduler.adapters.tables import AvailabilityWindowRecord, ClinicianRecord
from services.scheduler.api.context import (
    AUTH,
    CONFLICT_WITH_BODY,
    INVALID,
    NOT_FOUND,
    WITH_BODY,
    Context,
)
from services.scheduler.schemas import (
    SPECIALTY_LIST,
    AuditEntry,
    CancelRequest,
    ClinicianCreate,
    ClinicianPublic,
    ClinicianUpdate,
    Instant,
    RescheduleRequest,
    WeeklyWindowCreate,
    WindowCreate,
    WindowPublic,
    parse_specialties,
)
from services.scheduler.views import WorklistKind
from shared.contracts.booking import Booking, BookingStatus
from shared.contracts.codes import Specialty
from shared.http.dependencies import AnyStaff, Coordinator, UnitOfWorkDep

# Audit filters are entity names and ids: no control characters (PostgreSQL refuses NUL in text).
AUDIT_KEY = r"^[A-Za-z0-9._:-]+$"

router = APIRouter(prefix="/v1", tags=["scheduling"], responses=AUTH)


def _clinician(c: ClinicianRecord) -> ClinicianPublic:
    assert c.id is not None
    return ClinicianPublic(id=c.id, name=c.name, specialty=Specialty(c.specialty), active=c.active)


def _window(w: AvailabilityWindowRecord) -> WindowPublic:
    assert w.id is not None
    return WindowPublic(id=w.id, clinician_id=w.clinician_id, start=w.start, end=w.end)


@router.post("/clinicians", status_code=201, response_model=ClinicianPublic, responses=WITH_BODY)
async def create_clinician(body: ClinicianCreate, who: Coordinator, uow: UnitOfWorkDep) -> ClinicianPublic:
    return _clinician(await coordination.create_clinician(uow, who.token_id, body))


@router.get("/clinicians", response_model=list[ClinicianPublic], responses=INVALID)
async def list_clinicians(
    _: AnyStaff, uow: UnitOfWorkDep, specialty: Specialty | None = None, active: bool | None = None
) -> list[ClinicianPublic]:
    return [_clinician(c) for c in await coordination.list_clinicians(uow, specialty, active)]


@router.get("/clinicians/{clinician_id}", response_model=ClinicianPublic, responses=NOT_FOUND)
async def get_clinician(clinician_id: int, _: AnyStaff, uow: UnitOfWorkDep) -> ClinicianPublic:
    return _clinician(await coordination.find_clinician(uow, clinician_id))


@router.patch("/clinicians/{clinician_id}", response_model=ClinicianPublic, responses=CONFLICT_WITH_BODY)
async def update_clinician(
    clinician_id: int, body: ClinicianUpdate, who: Coordinator, uow: UnitOfWorkDep, context: Context
) -> ClinicianPublic:
    """Deactivating a clinician (or changing their specialty) moves their upcoming bookings: rescheduled,
    or to the worklist with the reason."""
    change = await coordination.update_clinician(uow, who.token_id, clinician_id, body, context.policy)
    if change.availability_grew:
        context.retrier.trigger()
    return _clinician(change.clinician)


@router.post(
    "/clinicians/{clinician_id}/availability",
    status_code=201,
    response_model=WindowPublic,
    responses=CONFLICT_WITH_BODY,
)
async def add_availability(
    clinician_id: int, body: WindowCreate, who: Coordinator, uow: UnitOfWorkDep, context: Context
) -> WindowPublic:
    """A one-off window `[start, end)`; 409 when it overlaps one of the clinician's windows. New
    availability re-tries the worklist."""
    window = await coordination.add_window(uow, who.token_id, clinician_id, body)
    context.retrier.trigger()
    return _window(window)


@router.post(
    "/clinicians/{clinician_id}/availability/weekly",
    status_code=201,
    response_model=list[WindowPublic],
    responses=CONFLICT_WITH_BODY,
)
async def add_weekly_availability(
    clinician_id: int, body: WeeklyWindowCreate, who: Coordinator, uow: UnitOfWorkDep, context: Context
) -> list[WindowPublic]:
    """A recurring weekly template in the clinic's time zone, stored as the one-off windows it expands
    to (UTC, across daylight-saving changes); all or none (409 when any overlaps)."""
    windows = await coordination.add_weekly_windows(
        uow, who.token_id, clinician_id, body, context.clinic_timezone
    )
    context.retrier.trigger()
    return [_window(w) for w in windows]


@router.get("/clinicians/{clinician_id}/availability", response_model=list[WindowPublic], responses=NOT_FOUND)
async def list_availability(clinician_id: int, _: AnyStaff, uow: UnitOfWorkDep) -> list[WindowPublic]:
    return [_window(w) for w in await coordination.list_windows(uow, clinician_id)]


@router.delete("/clinicians/{clinician_id}/availability/{window_id}", status_code=204, responses=NOT_FOUND)
async def delete_availability(
    clinician_id: int, window_id: int, who: Coordinator, uow: UnitOfWorkDep, context: Context
) -> Response:
    """A booking the window carried moves (rescheduled, or to the worklist with the reason) unless the
    clinician's other windows still cover it."""
    await coordination.delete_window(uow, who.token_id, clinician_id, window_id, context.policy)
    return Response(status_code=204)


@router.get("/slots", response_model=list[Instant], responses=INVALID)
async def list_slots(
    _: AnyStaff,
    uow: UnitOfWorkDep,
    specialties: Annotated[
        str, Query(pattern=SPECIALTY_LIST, description="comma-separated specialty codes, at least one")
    ],
    from_: Annotated[Instant, Query(alias="from")],
    to: Annotated[Instant, Query(description="after `from`, at most 90 days after it")],
    duration_minutes: Annotated[int, Query(ge=15, le=480, multiple_of=15)] = 30,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[Instant]:
    """Grid starts in `[from, to)` at which one clinician of every listed specialty is free for the whole
    duration (the slot ends by `to`); at most 90 days, earliest first."""
    return await service.search_slots(
        uow,
        parse_specialties(specialties),
        since=from_,
        until=to,
        duration=timedelta(minutes=duration_minutes),
        limit=limit,
    )


@router.get("/bookings", response_model=list[Booking], responses=INVALID)
async def list_bookings(
    _: AnyStaff,
    uow: UnitOfWorkDep,
    status: BookingStatus | None = None,
    case_id: UUID | None = None,
    from_: Annotated[Instant | None, Query(alias="from")] = None,
    to: Annotated[Instant | None, Query(description="after `from` when both are given")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[Booking]:
    return await coordination.list_bookings(
        uow, status=status, case_id=case_id, from_=from_, to=to, limit=limit
    )


@router.get("/bookings/{booking_id}", response_model=Booking, responses=NOT_FOUND)
async def get_booking(booking_id: UUID, _: AnyStaff, uow: UnitOfWorkDep) -> Booking:
    return await coordination.find_booking(uow, booking_id)


@router.post("/bookings/{booking_id}/cancel", response_model=Booking, responses=CONFLICT_WITH_BODY)
async def cancel_booking(
    booking_id: UUID,
    who: Coordinator,
    uow: UnitOfWorkDep,
    context: Context,
    body: CancelRequest | None = None,
) -> Booking:
    """409 when it is already cancelled."""
    reason = (body or CancelRequest()).reason
    view = await coordination.cancel_booking(uow, who.token_id, booking_id, reason, context.policy)
    context.retrier.trigger()  # the freed clinicians may serve a waitlisted case
    return view


@router.post("/bookings/{booking_id}/reschedule", response_model=Booking, responses=CONFLICT_WITH_BODY)
async def reschedule_booking(
    booking_id: UUID, body: RescheduleRequest, who: Coordinator, uow: UnitOfWorkDep, context: Context
) -> Booking:
    """To the given start (on the grid, not in the past), optionally with the given clinicians; 409 when
    anyone needed is busy or unavailable, or the booking is cancelled. Works for waitlisted cases too."""
    view = await coordination.reschedule_booking(uow, who.token_id, booking_id, body, context.policy)
    context.retrier.trigger()  # the old slot's clinicians are free again
    return view


@router.get("/worklist", response_model=list[Booking], responses=INVALID)
async def get_worklist(_: AnyStaff, uow: UnitOfWorkDep, kind: WorklistKind | None = None) -> list[Booking]:
    """Without `kind`: waitlisted cases, emergency first, then by deadline (contracts.md §5). With `kind`
    (meetings.md §5): `waitlisted`, `late` (listed after its deadline), `not_ready` (listed, not ready,
    within 72 h of its meeting), `deadline_at_risk` (no place, deadline within 24 h); most urgent
    first, then by deadline."""
    return await coordination.worklist(uow, kind)


@router.get("/audit", response_model=list[AuditEntry], responses=INVALID)
async def get_audit(
    _: AnyStaff,
    uow: UnitOfWorkDep,
    entity: Annotated[str | None, Query(max_length=64, pattern=AUDIT_KEY)] = None,
    entity_id: Annotated[str | None, Query(max_length=64, pattern=AUDIT_KEY)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditEntry]:
    """Every change made by a coordinator: who (a digest of the token), when, what; newest first."""
    rows = await coordination.audit_entries(uow, entity=entity, entity_id=entity_id, limit=limit)
    return [
        AuditEntry(
            at=r.at,
            actor=r.actor,
            action=r.action,
            entity=r.entity,
            entity_id=r.entity_id,
            details=r.details,
        )
        for r in rows
        if r.at is not None
    ]
