"""When a failed delivery is tried again (meetings.md §7): after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h,
then it has failed for good; an endpoint that has failed everything for 5 days is disabled. `scale`
shortens every one of these times alike (WEBHOOK_SCHEDULE_SCALE: for tests and demonstrations)."""

from datetime import datetime, timedelta

RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
DISABLE_AFTER = timedelta(days=5)


def retry_delay(failures: int, scale: float = 1.0) -> timedelta | None:
    """The wait after the `failures`-th failed attempt since the delivery was queued; None: failed for good."""
    if failures < 1:
        raise ValueError("failures counts from 1")
    if failures > len(RETRY_DELAYS):
        return None
    return RETRY_DELAYS[failures - 1] * scale


def disable_after(scale: float = 1.0) -> timedelta:
    return DISABLE_AFTER * scale


def should_disable(failing_since: datetime, now: datetime, scale: float = 1.0) -> bool:
    """Whether an endpoint whose every attempt failed since `failing_since` is now to be disabled."""
    return now - failing_since >= disable_after(scale)
