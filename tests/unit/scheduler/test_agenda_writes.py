"""The refusal the placement path reads from a locked meeting row before listing, without a savepoint: it
must be what the agenda trigger (migration 0004_meetings) would refuse."""

import pytest

from services.scheduler.adapters import agenda_writes
from services.scheduler.adapters.agenda_writes import Refused


@pytest.mark.parametrize(
    ("status", "used", "urgency", "refused"),
    [
        ("scheduled", 84, "routine", None),
        ("scheduled", 85, "routine", Refused.capacity),  # 85 + 6 > 90
        ("locked", 0, "urgent", None),
        ("locked", 0, "routine", Refused.closed),
        ("finished", 0, "urgent", Refused.closed),
        ("cancelled", 90, "urgent", Refused.capacity),  # the trigger's capacity check comes first
    ],
)
def test_a_locked_meeting_refuses_a_listing_as_the_agenda_trigger_does(
    status: str, used: int, urgency: str, refused: Refused | None
) -> None:
    meeting = {"status": status, "used_minutes": used, "capacity_minutes": 90, "start": None}
    assert agenda_writes.refusal(meeting, urgency, 6) == refused
    assert agenda_writes.refusal(None, urgency, 6) == Refused.closed  # the meeting is gone
