"""The coordinators' scheduling API (contracts.md §5, scheduler)."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlmodel import col, select

from services.scheduler import coordination, service
from services.scheduler.adapters.calendars import load_calendars
from services.scheduler.adapters.tables import (
    AuditRecord,
    AvailabilityWindowRecord,
    BookingRecord,
    ClinicianRecord,
)
from services.scheduler.coordination import ConflictError, NotFoundError
from services.scheduler.domain import align_up, list_slot_starts
from services.scheduler.schemas import (
    AuditEntry,
    CancelRequest,
    ClinicianCreate,
    ClinicianPublic,
    ClinicianUpdate,
    RescheduleRequest,
    WindowCreate,
    WindowPublic,
)
from services.scheduler.service import BookingPolicy
from services.scheduler.worklist import WorklistRetrier
from shared.auth import Principal, Role, TokenTable, require_roles
from shared.contracts.booking import Booking, BookingStatus
from shared.contracts.codes import Specialty
from shared.db.engine import SessionFactory
from shared.http.problems import ProblemError

MAX_SLOT_RANGE = timedelta(days=90)
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "unknown id"}}
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"description": "conflict, with the reason"}}


def _clinician(c: ClinicianRecord) -> ClinicianPublic:
    assert c.id is not None
    return ClinicianPublic(id=c.id, name=c.name, specialty=Specialty(c.specialty), active=c.active)


def _window(w: AvailabilityWindowRecord) -> WindowPublic:
    assert w.id is not None
    return WindowPublic(id=w.id, clinician_id=w.clinician_id, start=w.start, end=w.end)


def _parse_specialties(raw: str) -> list[Specialty]:
    try:
        return sorted({Specialty(part.strip()) for part in raw.split(",") if part.strip()})
    except ValueError:
        raise ProblemError(
            422,
            "Invalid request",
            "unknown specialty",
            errors=[
                {"field": "specialties", "reason": f"each must be one of {[s.value for s in Specialty]}"}
            ],
        ) from None


def _range_error(field: str, reason: str) -> ProblemError:
    return ProblemError(422, "Invalid request", reason, errors=[{"field": field, "reason": reason}])


def build_router(
    sessions: SessionFactory,
    tokens: TokenTable,
    policy: BookingPolicy,
    retrier: WorklistRetrier,
    on_commit: Callable[[], None],
) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["scheduling"])
    Writer = Annotated[Principal, Depends(require_roles(tokens, Role.coordinator))]
    Reader = Annotated[Principal, Depends(require_roles(tokens, Role.coordinator, Role.clinician, Role.ops))]

    def translate(error: Exception) -> ProblemError:
        if isinstance(error, NotFoundError):
            return ProblemError(404, "Not found", str(error))
        return ProblemError(409, "Conflict", str(error))

    @router.post("/clinicians", status_code=201, response_model=ClinicianPublic)
    async def create_clinician(body: ClinicianCreate, who: Writer) -> ClinicianPublic:
        async with sessions() as session, session.begin():
            clinician = await coordination.create_clinician(session, who.token_id, body)
        return _clinician(clinician)

    @router.get("/clinicians", response_model=list[ClinicianPublic])
    async def list_clinicians(
        _: Reader, specialty: Specialty | None = None, active: bool | None = None
    ) -> list[ClinicianPublic]:
        query = select(ClinicianRecord).order_by(col(ClinicianRecord.id))
        if specialty is not None:
            query = query.where(col(ClinicianRecord.specialty) == specialty.value)
        if active is not None:
            query = query.where(col(ClinicianRecord.active) == active)
        async with sessions() as session:
            return [_clinician(c) for c in (await session.execute(query)).scalars()]

    @router.get("/clinicians/{clinician_id}", response_model=ClinicianPublic, responses=NOT_FOUND)
    async def get_clinician(clinician_id: int, _: Reader) -> ClinicianPublic:
        async with sessions() as session:
            try:
                return _clinician(await coordination.get_clinician(session, clinician_id))
            except NotFoundError as error:
                raise translate(error) from None

    @router.patch("/clinicians/{clinician_id}", response_model=ClinicianPublic, responses=NOT_FOUND)
    async def update_clinician(clinician_id: int, body: ClinicianUpdate, who: Writer) -> ClinicianPublic:
        try:
            async with sessions() as session, session.begin():
                clinician = await coordination.update_clinician(
                    session, who.token_id, clinician_id, body, policy
                )
        except (NotFoundError, ConflictError) as error:
            raise translate(error) from None
        on_commit()
        return _clinician(clinician)

    @router.post(
        "/clinicians/{clinician_id}/availability",
        status_code=201,
        response_model=WindowPublic,
        responses=NOT_FOUND,
    )
    async def add_availability(clinician_id: int, body: WindowCreate, who: Writer) -> WindowPublic:
        try:
            async with sessions() as session, session.begin():
                window = await coordination.add_window(session, who.token_id, clinician_id, body)
        except NotFoundError as error:
            raise translate(error) from None
        retrier.trigger()
        return _window(window)

    @router.get(
        "/clinicians/{clinician_id}/availability", response_model=list[WindowPublic], responses=NOT_FOUND
    )
    async def list_availability(clinician_id: int, _: Reader) -> list[WindowPublic]:
        async with sessions() as session:
            try:
                await coordination.get_clinician(session, clinician_id)
            except NotFoundError as error:
                raise translate(error) from None
            rows = await session.execute(
                select(AvailabilityWindowRecord)
                .where(col(AvailabilityWindowRecord.clinician_id) == clinician_id)
                .order_by(col(AvailabilityWindowRecord.start))
            )
            return [_window(w) for w in rows.scalars()]

    @router.delete(
        "/clinicians/{clinician_id}/availability/{window_id}", status_code=204, responses=NOT_FOUND
    )
    async def delete_availability(clinician_id: int, window_id: int, who: Writer) -> Response:
        try:
            async with sessions() as session, session.begin():
                await coordination.delete_window(session, who.token_id, clinician_id, window_id, policy)
        except NotFoundError as error:
            raise translate(error) from None
        on_commit()
        return Response(status_code=204)

    @router.get("/slots", response_model=list[datetime])
    async def list_slots(
        _: Reader,
        specialties: Annotated[str, Query(min_length=1, description="comma-separated specialty codes")],
        from_: Annotated[datetime, Query(alias="from")],
        to: datetime,
        duration_minutes: Annotated[int, Query(ge=15, le=480, multiple_of=15)] = 30,
    ) -> list[datetime]:
        wanted = _parse_specialties(specialties)
        if from_.tzinfo is None or to.tzinfo is None:
            raise _range_error("from", "from and to need a UTC offset")
        if to <= from_:
            raise _range_error("to", "to must be after from")
        if to - from_ > MAX_SLOT_RANGE:
            raise _range_error("to", "the range may span 90 days at most")
        async with sessions() as session:
            calendars = await load_calendars(session, wanted, since=align_up(from_), until=to)
        return list_slot_starts(
            calendars, wanted, not_before=from_, until=to, duration=timedelta(minutes=duration_minutes)
        )

    @router.get("/bookings", response_model=list[Booking])
    async def list_bookings(
        _: Reader,
        status: BookingStatus | None = None,
        case_id: UUID | None = None,
        from_: Annotated[datetime | None, Query(alias="from")] = None,
        to: datetime | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> list[Booking]:
        query = (
            select(BookingRecord)
            .order_by(col(BookingRecord.start), col(BookingRecord.created_at))
            .limit(limit)
        )
        if status is not None:
            query = query.where(col(BookingRecord.status) == status.value)
        if case_id is not None:
            query = query.where(col(BookingRecord.case_id) == case_id)
        if from_ is not None:
            query = query.where(col(BookingRecord.end) > from_)
        if to is not None:
            query = query.where(col(BookingRecord.start) < to)
        async with sessions() as session:
            return [await service.booking_view(session, b) for b in (await session.execute(query)).scalars()]

    @router.get("/bookings/{booking_id}", response_model=Booking, responses=NOT_FOUND)
    async def get_booking(booking_id: UUID, _: Reader) -> Booking:
        async with sessions() as session:
            try:
                return await service.booking_view(
                    session, await coordination.get_booking(session, booking_id)
                )
            except NotFoundError as error:
                raise translate(error) from None

    @router.post("/bookings/{booking_id}/cancel", response_model=Booking, responses={**NOT_FOUND, **CONFLICT})
    async def cancel_booking(booking_id: UUID, who: Writer, body: CancelRequest | None = None) -> Booking:
        reason = (body or CancelRequest()).reason
        try:
            async with sessions() as session, session.begin():
                booking = await coordination.cancel_booking(session, who.token_id, booking_id, reason, policy)
                view = await service.booking_view(session, booking)
        except (NotFoundError, ConflictError) as error:
            raise translate(error) from None
        on_commit()
        retrier.trigger()  # the freed clinicians may serve a waitlisted case
        return view

    @router.post(
        "/bookings/{booking_id}/reschedule", response_model=Booking, responses={**NOT_FOUND, **CONFLICT}
    )
    async def reschedule_booking(booking_id: UUID, body: RescheduleRequest, who: Writer) -> Booking:
        try:
            async with sessions() as session, session.begin():
                booking = await coordination.reschedule_booking(
                    session, who.token_id, booking_id, body, policy
                )
                view = await service.booking_view(session, booking)
        except (NotFoundError, ConflictError) as error:
            raise translate(error) from None
        on_commit()
        return view

    @router.get("/worklist", response_model=list[Booking])
    async def get_worklist(_: Reader) -> list[Booking]:
        async with sessions() as session:
            return [await service.booking_view(session, b) for b in await service.worklist(session)]

    @router.get("/audit", response_model=list[AuditEntry])
    async def get_audit(_: Reader, limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[AuditEntry]:
        async with sessions() as session:
            rows = await session.execute(
                select(AuditRecord).order_by(col(AuditRecord.id).desc()).limit(limit)
            )
            return [
                AuditEntry(
                    at=r.at,
                    actor=r.actor,
                    action=r.action,
                    entity=r.entity,
                    entity_id=r.entity_id,
                    details=r.details,
                )
                for r in rows.scalars()
                if r.at is not None
            ]

    return router
