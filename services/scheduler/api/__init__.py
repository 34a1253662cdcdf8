"""The scheduler's HTTP API, by resource: clinicians, availability, bookings and the worklist
(clinicians_and_bookings.py), teams and series (teams.py), meetings and agendas (meetings.py), MDT outcomes
(outcomes.py)."""

from services.scheduler.api.clinicians_and_bookings import router as scheduling_router
from services.scheduler.api.context import ApiContext
from services.scheduler.api.meetings import router as meetings_router
from services.scheduler.api.outcomes import router as outcomes_router
from services.scheduler.api.teams import router as teams_router

ROUTERS = (scheduling_router, teams_router, meetings_router, outcomes_router)

__all__ = ["ROUTERS", "ApiContext"]
