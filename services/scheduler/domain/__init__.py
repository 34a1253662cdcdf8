"""The scheduler's pure core: slot search over interval sets and weekly availability templates.

No I/O and no framework imports: the service layer loads calendars, calls these functions, and stores the
result. See `slot_search` for the rules and the algorithm.
"""

from services.scheduler.domain.intervals import Interval, covers
from services.scheduler.domain.slot_search import (
    DEFAULT_DURATION,
    GRID,
    NO_COMMON_SLOT_REASON,
    ClinicianCalendar,
    SlotChoice,
    align_up,
    find_earliest_slot,
    find_partial_emergency_slot,
    is_on_grid,
    lacking_specialties,
    list_slot_starts,
)
from services.scheduler.domain.templates import expand_weekly_template

__all__ = [
    "DEFAULT_DURATION",
    "GRID",
    "NO_COMMON_SLOT_REASON",
    "ClinicianCalendar",
    "Interval",
    "SlotChoice",
    "align_up",
    "covers",
    "expand_weekly_template",
    "find_earliest_slot",
    "find_partial_emergency_slot",
    "is_on_grid",
    "lacking_specialties",
    "list_slot_starts",
]
