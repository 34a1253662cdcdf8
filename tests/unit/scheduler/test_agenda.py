"""Agenda order (meetings.md §2): total, 1-based, gap-free; moves renumber; inserts respect moves."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.scheduler.domain.agenda import (
    AgendaEntry,
    estimated_starts,
    insert,
    move,
    order_key,
    positions,
)

T0 = datetime(2026, 3, 3, 8, tzinfo=UTC)


def item(
    mode: str = "full", urgency: str = "routine", deadline_h: int = 100, listed_h: int = 0
) -> AgendaEntry:
    return AgendaEntry(
        uuid.uuid4(), mode, urgency, T0 + timedelta(hours=deadline_h), T0 + timedelta(hours=listed_h), 6
    )


def build(items: list[AgendaEntry]) -> list[AgendaEntry]:
    agenda: list[AgendaEntry] = []
    for i in items:
        agenda = insert(agenda, i)
    return agenda


def test_full_before_standard_of_care_urgent_before_routine_then_deadline_then_listing() -> None:
    soc = item("standard_of_care", "urgent", 10)
    routine_early = item(deadline_h=50)
    routine_late = item(deadline_h=90)
    urgent = item(urgency="urgent", deadline_h=70)
    tie_later = item(deadline_h=50, listed_h=5)
    agenda = build([soc, routine_late, tie_later, urgent, routine_early])
    assert [i.item_id for i in agenda] == [
        urgent.item_id,
        routine_early.item_id,
        tie_later.item_id,
        routine_late.item_id,
        soc.item_id,
    ]


def test_a_moved_item_keeps_its_neighbours_when_later_items_come() -> None:
    a, b, c = item(deadline_h=10), item(deadline_h=20), item(deadline_h=30)
    agenda = move(build([a, b, c]), c.item_id, 1)
    assert [i.item_id for i in agenda] == [c.item_id, a.item_id, b.item_id]
    d = item(deadline_h=5)
    agenda = insert(agenda, d)
    assert [i.item_id for i in agenda] == [c.item_id, d.item_id, a.item_id, b.item_id]


def test_estimated_starts_add_up_the_minutes_before() -> None:
    a, b = item(deadline_h=10), item("standard_of_care")
    agenda = build([b, a])
    starts = estimated_starts(T0, agenda)
    assert starts[a.item_id] == T0 and starts[b.item_id] == T0 + timedelta(minutes=6)


def test_a_position_outside_the_agenda_is_refused() -> None:
    agenda = build([item(), item()])
    for bad in (0, 3):
        try:
            move(agenda, agenda[0].item_id, bad)
        except ValueError:
            continue
        raise AssertionError(f"position {bad} accepted")


entries = st.builds(
    item,
    st.sampled_from(["full", "standard_of_care"]),
    st.sampled_from(["urgent", "routine"]),
    st.integers(0, 20),
    st.integers(0, 3),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(entries, max_size=15), st.lists(st.tuples(st.integers(0, 14), st.integers(1, 15)), max_size=4)
)
def test_order_is_total_and_gap_free(items: list[AgendaEntry], moves: list[tuple[int, int]]) -> None:
    agenda = build(items)
    assert [order_key(i) for i in agenda] == sorted(order_key(i) for i in items)
    for index, position in moves:
        if agenda and index < len(agenda) and position <= len(agenda):
            agenda = move(agenda, agenda[index].item_id, position)
            assert agenda[position - 1].moved
    numbers = positions(agenda)
    assert sorted(numbers.values()) == list(range(1, len(items) + 1))
    assert set(numbers) == {i.item_id for i in items}
