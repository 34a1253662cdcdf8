"""The coordinators' scheduling API for clinicians, availability, bookings and the worklist (contracts.md §5,
scheduler): translates HTTP into calls of
`coordination` and `service`, and their errors into problem+json (404 unknown id, 409 conflict with the
reason, 422 invalid request). No SQL and no rules here."""

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from services.scheduler import coordination, service, views
from services.scheduler.adapters.tables import AvailabilityWindowRecord, ClinicianRecord
from services.scheduler.coordination import ConflictError, InvalidRequestError, NotFoundError
from services.scheduler.schemas import (
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
)
from services.scheduler.service import BookingPolicy
from services.scheduler.views import WorklistKind
from services.scheduler.worklist import WorklistRetrier
from shared.auth import Principal, Role, TokenTable, require_roles
from shared.contracts.booking import Booking, BookingStatus
from shared.contracts.codes import Specialty
from shared.db.engine import SessionFactory
from shared.http.problems import ProblemError, problem_responses

MAX_SLOT_RANGE = timedelta(days=90)
# Audit filters are entity names and ids: no control characters (PostgreSQL refuses NUL in text).
AUDIT_KEY = r"^[A-Za-z0-9._:-]+$"
Responses = dict[int | str, dict[str, Any]]
INVALID: Responses = problem_responses(422, s422="invalid request: the failing fields are listed")
NOT_FOUND: Responses = {**problem_responses(404, s404="unknown id"), **INVALID}
CONFLICT: Responses = {**NOT_FOUND, **problem_responses(409, s409="conflict; `detail` gives the reason")}
MALFORMED: Responses = problem_responses(400, s400="the body is not valid JSON")
WITH_BODY: Responses = {**INVALID, **MALFORMED}
CONFLICT_WITH_BODY: Responses = {**CONFLICT, **MALFORMED}


def _clinician(c: ClinicianRecord) -> ClinicianPublic:
    assert c.id is not None
    return ClinicianPublic(id=c.id, name=c.name, specialty=Specialty(c.specialty), active=c.active)


def _window(w: AvailabilityWindowRecord) -> WindowPublic:
    assert w.id is not None
    return WindowPublic(id=w.id, clinician_id=w.clinician_id, start=w.start, end=w.end)


def _invalid(field: str, reason: str) -> ProblemError:
    return ProblemError(422, "Invalid request", reason, errors=[{"field": field, "reason": reason}])


def _parse_specialties(raw: str) -> list[Specialty]:
    try:
        wanted = sorted({Specialty(part.strip()) for part in raw.split(",") if part.strip()})
    except ValueError:
        wanted = []
    if not wanted:
        raise _invalid("specialties", f"comma-separated, each one of {[s.value for s in Specialty]}")
    return wanted


def translate(error: Exception) -> ProblemError:
    if isinstance(error, NotFoundError):
        return ProblemError(404, "Not found", str(error))
    if isinstance(error, InvalidRequestError):
        return _invalid(error.field, error.reason)
    return ProblemError(409, "Conflict", str(error))


FAILURES = (NotFoundError, ConflictError, InvalidRequestError)


def build_router(
    sessions: SessionFactory,
    tokens: TokenTable,
    policy: BookingPolicy,
    retrier: WorklistRetrier,
    on_commit: Callable[[], None],
    clinic_timezone: str,
) -> APIRouter:
    router = APIRouter(
        prefix="/v1",
        tags=["scheduling"],
        responses=problem_responses(
            401, 403, s401="no or invalid bearer token", s403="the token's role may not do this"
        ),
    )
    Writer = Annotated[Principal, Depends(require_roles(tokens, Role.coordinator))]
    Reader = Annotated[Principal, Depends(require_roles(tokens, Role.coordinator, Role.clinician, Role.ops))]

    @router.post("/clinicians", status_code=201, response_model=ClinicianPublic, responses=WITH_BODY)
    async def create_clinician(body: ClinicianCreate, who: Writer) -> ClinicianPublic:
        async with sessions() as session, session.begin():
            clinician = await coordination.create_clinician(session, who.token_id, body)
        return _clinician(clinician)

    @router.get("/clinicians", response_model=list[ClinicianPublic], responses=INVALID)
    async def list_clinicians(
        _: Reader, specialty: Specialty | None = None, active: bool | None = None
    ) -> list[ClinicianPublic]:
        async with sessions() as session:
            return [_clinician(c) for c in await coordination.list_clinicians(session, specialty, active)]

    @router.get("/clinicians/{clinician_id}", response_model=ClinicianPublic, responses=NOT_FOUND)
    async def get_clinician(clinician_id: int, _: Reader) -> ClinicianPublic:
        async with sessions() as session:
            try:
                return _clinician(await coordination.get_clinician(session, clinician_id))
            except FAILURES as error:
                raise translate(error) from None

    @router.patch("/clinicians/{clinician_id}", response_model=ClinicianPublic, responses=CONFLICT_WITH_BODY)
    async def update_clinician(clinician_id: int, body: ClinicianUpdate, who: Writer) -> ClinicianPublic:
        """Deactivating a clinician (or changing their specialty) moves their upcoming bookings: rescheduled,
        or to the worklist with the reason."""
        try:
            async with sessions() as session, session.begin():
                change = await coordination.update_clinician(
                    session, who.token_id, clinician_id, body, policy
                )
        except FAILURES as error:
            raise translate(error) from None
        on_commit()
        if change.availability_grew:
            retrier.trigger()
        return _clinician(change.clinician)

    @router.post(
        "/clinicians/{clinician_id}/availability",
        status_code=201,
        response_model=WindowPublic,
        responses=CONFLICT_WITH_BODY,
    )
    async def add_availability(clinician_id: int, body: WindowCreate, who: Writer) -> WindowPublic:
        """A one-off window `[start, end)`; 409 when it overlaps one of the clinician's windows. New
        availability re-tries the worklist."""
        try:
            async with sessions() as session, session.begin():
                window = await coordination.add_window(session, who.token_id, clinician_id, body)
        except FAILURES as error:
            raise translate(error) from None
        retrier.trigger()
        return _window(window)

    @router.post(
        "/clinicians/{clinician_id}/availability/weekly",
        status_code=201,
        response_model=list[WindowPublic],
        responses=CONFLICT_WITH_BODY,
    )
    async def add_weekly_availability(
        clinician_id: int, body: WeeklyWindowCreate, who: Writer
    ) -> list[WindowPublic]:
        """A recurring weekly template in the clinic's time zone, stored as the one-off windows it expands
        to (UTC, across daylight-saving changes); all or none (409 when any overlaps)."""
        try:
            async with sessions() as session, session.begin():
                windows = await coordination.add_weekly_windows(
                    session, who.token_id, clinician_id, body, clinic_timezone
                )
        except FAILURES as error:
            raise translate(error) from None
        retrier.trigger()
        return [_window(w) for w in windows]

    @router.get(
        "/clinicians/{clinician_id}/availability", response_model=list[WindowPublic], responses=NOT_FOUND
    )
    async def list_availability(clinician_id: int, _: Reader) -> list[WindowPublic]:
        async with sessions() as session:
            try:
                return [_window(w) for w in await coordination.list_windows(session, clinician_id)]
            except FAILURES as error:
                raise translate(error) from None

    @router.delete(
        "/clinicians/{clinician_id}/availability/{window_id}", status_code=204, responses=NOT_FOUND
    )
    async def delete_availability(clinician_id: int, window_id: int, who: Writer) -> Response:
        """A booking the window carried moves (rescheduled, or to the worklist with the reason) unless the
        clinician's other windows still cover it."""
        try:
            async with sessions() as session, session.begin():
                await coordination.delete_window(session, who.token_id, clinician_id, window_id, policy)
        except FAILURES as error:
            raise translate(error) from None
        on_commit()
        return Response(status_code=204)

    @router.get("/slots", response_model=list[Instant], responses=INVALID)
    async def list_slots(
        _: Reader,
        specialties: Annotated[str, Query(min_length=1, description="comma-separated specialty codes")],
        from_: Annotated[Instant, Query(alias="from")],
        to: Instant,
        duration_minutes: Annotated[int, Query(ge=15, le=480, multiple_of=15)] = 30,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> list[Instant]:
        """Grid starts in `[from, to)` at which one clinician of every listed specialty is free for the whole
        duration (the slot ends by `to`); at most 90 days, earliest first."""
        wanted = _parse_specialties(specialties)
        if to <= from_:
            raise _invalid("to", "to must be after from")
        if to - from_ > MAX_SLOT_RANGE:
            raise _invalid("to", "the range may span 90 days at most")
        async with sessions() as session:
            return await service.search_slots(
                session,
                wanted,
                since=from_,
                until=to,
                duration=timedelta(minutes=duration_minutes),
                limit=limit,
            )

    @router.get("/bookings", response_model=list[Booking], responses=INVALID)
    async def list_bookings(
        _: Reader,
        status: BookingStatus | None = None,
        case_id: UUID | None = None,
        from_: Annotated[Instant | None, Query(alias="from")] = None,
        to: Instant | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> list[Booking]:
        if from_ is not None and to is not None and to <= from_:
            raise _invalid("to", "to must be after from")
        async with sessions() as session:
            bookings = await coordination.list_bookings(
                session, status=status, case_id=case_id, from_=from_, to=to, limit=limit
            )
            return [await service.booking_view(session, b) for b in bookings]

    @router.get("/bookings/{booking_id}", response_model=Booking, responses=NOT_FOUND)
    async def get_booking(booking_id: UUID, _: Reader) -> Booking:
        async with sessions() as session:
            try:
                return await service.booking_view(
                    session, await coordination.get_booking(session, booking_id)
                )
            except FAILURES as error:
                raise translate(error) from None

    @router.post("/bookings/{booking_id}/cancel", response_model=Booking, responses=CONFLICT_WITH_BODY)
    async def cancel_booking(booking_id: UUID, who: Writer, body: CancelRequest | None = None) -> Booking:
        """409 when it is already cancelled."""
        reason = (body or CancelRequest()).reason
        try:
            async with sessions() as session, session.begin():
                booking = await coordination.cancel_booking(session, who.token_id, booking_id, reason, policy)
                view = await service.booking_view(session, booking)
        except FAILURES as error:
            raise translate(error) from None
        on_commit()
        retrier.trigger()  # the freed clinicians may serve a waitlisted case
        return view

    @router.post("/bookings/{booking_id}/reschedule", response_model=Booking, responses=CONFLICT_WITH_BODY)
    async def reschedule_booking(booking_id: UUID, body: RescheduleRequest, who: Writer) -> Booking:
        """To the given start (on the grid, not in the past), optionally with the given clinicians; 409 when
        anyone needed is busy or unavailable, or the booking is cancelled. Works for waitlisted cases too."""
        try:
            async with sessions() as session, session.begin():
                booking = await coordination.reschedule_booking(
                    session, who.token_id, booking_id, body, policy
                )
                view = await service.booking_view(session, booking)
        except FAILURES as error:
            raise translate(error) from None
        on_commit()
        retrier.trigger()  # the old slot's clinicians are free again
        return view

    @router.get("/worklist", response_model=list[Booking], responses=INVALID)
    async def get_worklist(_: Reader, kind: WorklistKind | None = None) -> list[Booking]:
        """Without `kind`: waitlisted cases, emergency first, then by deadline (contracts.md §5). With `kind`
        (meetings.md §5): `waitlisted`, `late` (listed after its deadline), `not_ready` (listed, not ready,
        within 72 h of its meeting), `deadline_at_risk` (no place, deadline within 24 h); most urgent
        first, then by deadline."""
        async with sessions() as session:
            if kind is None:
                entries = await service.worklist(session)
            else:
                entries = await views.worklist(session, kind, service.now_utc())
            return [await service.booking_view(session, b) for b in entries]

    @router.get("/audit", response_model=list[AuditEntry], responses=INVALID)
    async def get_audit(
        _: Reader,
        entity: Annotated[str | None, Query(max_length=64, pattern=AUDIT_KEY)] = None,
        entity_id: Annotated[str | None, Query(max_length=64, pattern=AUDIT_KEY)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> list[AuditEntry]:
        """Every change made by a coordinator: who (a digest of the token), when, what; newest first."""
        async with sessions() as session:
            rows = await coordination.audit_entries(session, entity=entity, entity_id=entity_id, limit=limit)
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

    return router
