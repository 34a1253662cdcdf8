"""Quorum with core and cover members, and a meeting's transitions with the items they defer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.scheduler.domain.meeting import (
    DeferReason,
    ListedItem,
    MeetingStateError,
    after_absence,
    cancel,
    finish,
    lock,
)
from services.scheduler.domain.quorum import (
    Member,
    Response,
    Role,
    attendance,
    lacking,
    panel,
    windows_cover,
)

START = datetime(2026, 3, 3, 8, tzinfo=UTC)
END = START + timedelta(minutes=90)
ALL_DAY = [(START - timedelta(hours=1), END + timedelta(hours=1))]


def test_windows_must_cover_the_whole_meeting() -> None:
    assert windows_cover(ALL_DAY, START, END)
    assert windows_cover(
        [(START, START + timedelta(minutes=45)), (START + timedelta(minutes=45), END)], START, END
    )
    assert not windows_cover([(START, END - timedelta(minutes=1))], START, END)
    assert not windows_cover([], START, END)


def test_absence_declines_and_cover_counts_only_without_an_expected_core_member() -> None:
    members = [
        Member(1, "surgery", Role.core),
        Member(2, "surgery", Role.cover),
        Member(3, "radiology", Role.cover),
        Member(4, "radiology", Role.core),
    ]
    windows = {1: ALL_DAY, 2: ALL_DAY, 3: ALL_DAY}
    people = attendance(members, windows, absent=[], start=START, end=END)
    assert {a.clinician_id: a.response for a in people} == {
        1: Response.expected,
        2: Response.expected,
        3: Response.expected,
        4: Response.unavailable,
    }
    assert [a.clinician_id for a in panel(people)] == [3, 1]  # radiology cover: no expected core
    people = attendance(members, windows, absent=[1], start=START, end=END)
    assert {a.clinician_id for a in panel(people)} == {2, 3}
    assert not lacking(people, {"surgery", "radiology"})
    people = attendance(members, windows, absent=[1, 2], start=START, end=END)
    assert lacking(people, {"surgery", "radiology", "palliative_care"}) == ["palliative_care", "surgery"]


def _items() -> list[ListedItem]:
    return [
        ListedItem(uuid.uuid4(), True, frozenset({"surgery"})),
        ListedItem(uuid.uuid4(), False, frozenset({"palliative_care"})),
    ]


def test_lock_defers_the_items_not_ready() -> None:
    items = _items()
    status, deferred = lock("scheduled", items)
    assert status == "locked"
    assert [(d.item_id, d.reason) for d in deferred] == [(items[1].item_id, DeferReason.not_ready)]
    with pytest.raises(MeetingStateError):
        lock("locked", items)


def test_finish_and_cancel_defer_every_listed_item() -> None:
    items = _items()
    status, deferred = finish("locked", items)
    assert status == "finished" and {d.reason for d in deferred} == {DeferReason.not_reached}
    status, deferred = cancel("scheduled", items)
    assert status == "cancelled" and len(deferred) == 2
    assert {d.reason for d in deferred} == {DeferReason.meeting_cancelled}
    for closed in ("finished", "cancelled"):
        with pytest.raises(MeetingStateError):
            finish(closed, items)
        with pytest.raises(MeetingStateError):
            cancel(closed, items)


def test_an_absence_defers_the_items_that_lost_their_quorum() -> None:
    items = _items()
    members = [Member(1, "surgery", Role.core), Member(2, "palliative_care", Role.core)]
    people = attendance(members, {1: ALL_DAY, 2: ALL_DAY}, absent=[2], start=START, end=END)
    deferred = after_absence("scheduled", items, people, frozenset({"surgery"}))
    assert [(d.item_id, d.reason) for d in deferred] == [(items[1].item_id, DeferReason.quorum_lost)]


listed_items = st.lists(
    st.builds(
        ListedItem,
        st.uuids(),
        st.booleans(),
        st.frozensets(st.sampled_from(["surgery", "radiology", "palliative_care"]), max_size=2),
    ),
    max_size=12,
    unique_by=lambda i: i.item_id,
)
statuses = st.sampled_from(["scheduled", "locked", "finished", "cancelled"])


@given(statuses, listed_items)
def test_transitions_defer_exactly_what_the_spec_says_or_refuse(status: str, items: list[ListedItem]) -> None:
    for action, allowed, deferred, reason in (
        (lock, {"scheduled"}, [i for i in items if not i.ready], DeferReason.not_ready),
        (finish, {"scheduled", "locked"}, items, DeferReason.not_reached),
        (cancel, {"scheduled", "locked"}, items, DeferReason.meeting_cancelled),
    ):
        if status not in allowed:
            with pytest.raises(MeetingStateError):
                action(status, items)
            continue
        new_status, deferrals = action(status, items)
        assert new_status != status
        assert [d.item_id for d in deferrals] == [i.item_id for i in deferred]
        assert {d.reason for d in deferrals} <= {reason}


@given(listed_items, st.sets(st.integers(1, 4)))
def test_an_absence_defers_exactly_the_items_whose_quorum_is_gone(
    items: list[ListedItem], absent: set[int]
) -> None:
    members = [
        Member(1, "surgery", Role.core),
        Member(2, "surgery", Role.cover),
        Member(3, "radiology", Role.core),
        Member(4, "palliative_care", Role.cover),
    ]
    people = attendance(members, dict.fromkeys(range(1, 5), ALL_DAY), absent, START, END)
    deferred = {d.item_id for d in after_absence("scheduled", items, people, frozenset({"radiology"}))}
    present = {m.specialty for m in members if m.clinician_id not in absent}
    for item in items:
        assert (item.item_id in deferred) == (not (item.required_specialties | {"radiology"}) <= present)
