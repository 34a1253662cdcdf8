"""The retry schedule of meetings.md §7 and the 5-day disabling, scaled alike by WEBHOOK_SCHEDULE_SCALE."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.intake.webhooks.domain.schedule import retry_delay, should_disable


def test_retries_after_5s_5min_30min_2h_5h_10h_10h_then_failed_for_good() -> None:
    assert [retry_delay(n) for n in range(1, 9)] == [
        timedelta(seconds=5),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=5),
        timedelta(hours=10),
        timedelta(hours=10),
        None,
    ]


def test_failures_count_from_one() -> None:
    with pytest.raises(ValueError):
        retry_delay(0)


@given(st.floats(min_value=1e-6, max_value=1.0), st.integers(min_value=1, max_value=7))
def test_the_scale_shortens_every_wait_alike(scale: float, failures: int) -> None:
    full = retry_delay(failures)
    scaled = retry_delay(failures, scale)
    assert full is not None and scaled is not None
    assert abs(scaled.total_seconds() - full.total_seconds() * scale) < 1e-3
    assert retry_delay(8, scale) is None


def test_an_endpoint_is_disabled_after_five_days_of_failing_everything() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    assert not should_disable(start, start + timedelta(days=5) - timedelta(seconds=1))
    assert should_disable(start, start + timedelta(days=5))
    assert should_disable(start, start + timedelta(seconds=432), scale=0.001)
