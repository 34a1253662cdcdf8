"""The console's pure reading of recommendations, deadlines, weeks and the outcome form."""

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from services.console.domain import outcome_form
from services.console.domain.reading import (
    inputs_of_ruleset_2027_01,
    on_worklist,
    read_recommendation,
    time_left,
    week_of,
)
from shared.contracts.codes import TherapyCode
from tests.support.console_fake import recommendation

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_time_left_counts_down_and_says_overdue() -> None:
    assert time_left(NOW + timedelta(days=2, hours=4, minutes=5), NOW) == "2 d 4 h left"
    assert time_left(NOW + timedelta(hours=3, minutes=10), NOW) == "3 h 10 min left"
    assert time_left(NOW + timedelta(minutes=9), NOW) == "9 min left"
    assert time_left(NOW - timedelta(hours=5), NOW) == "overdue by 5 h 0 min"


def test_week_is_monday_to_monday_in_the_teams_zone_across_a_clock_change() -> None:
    week = week_of(date(2026, 10, 28), "Europe/London")  # the week after the clocks went back on 25 Oct
    assert week.monday == date(2026, 10, 26)
    assert week.start == datetime(2026, 10, 26, 0, 0, tzinfo=UTC)
    spring = week_of(date(2026, 3, 29), "Europe/London")  # Sunday of the change to summer time
    assert spring.monday == date(2026, 3, 23) and spring.end == datetime(2026, 3, 29, 23, 0, tzinfo=UTC)
    assert (spring.previous, spring.next) == (date(2026, 3, 16), date(2026, 3, 30))


def test_recommendation_reads_alerts_and_every_therapy_in_the_contracts_order() -> None:
    raw = recommendation(uuid4())
    raw["therapies"] = list(reversed(raw["therapies"]))
    reading = read_recommendation(raw)
    assert [t.code for t in reading.therapies] == [c.value for c in TherapyCode]
    assert reading.alerts[0]["code"] == "mscc_suspected"
    assert reading.discussion == "full" and "surgery_consider" in reading.discussion_reasons
    without = read_recommendation({k: v for k, v in raw.items() if not k.startswith("discussion")})
    assert without.discussion is None and without.discussion_reasons == []


def test_prefilled_rows_accept_recommended_and_leave_consider_to_the_meeting() -> None:
    verdicts = {
        "surgery": "consider",
        "opioid_analgesic": "recommended",
        "thermal_ablation": "contraindicated",
    }
    rows = {row.therapy: row for row in outcome_form.prefilled_rows(verdicts)}
    assert list(rows) == ["opioid_analgesic", "surgery", "thermal_ablation"]  # the verdicts', in table order
    assert rows["opioid_analgesic"].decision == "accepted"
    assert rows["surgery"].decision == "" and rows["surgery"].needs_decision
    assert rows["thermal_ablation"].decision == "" and not rows["thermal_ablation"].needs_decision


def test_the_rows_are_the_therapies_of_the_recommendations_ruleset() -> None:
    """2026.12 recommended twelve therapies, 2027.01 fourteen: the form lists those the meeting saw, in the
    contract's order, then any the contract does not know; every therapy when no verdict is known."""
    twelve = {code.value: "not_indicated" for code in list(TherapyCode)[:12]}
    assert [row.therapy for row in outcome_form.prefilled_rows(twelve)] == list(twelve)
    fourteen = {code.value: "not_indicated" for code in reversed(TherapyCode)}
    assert [row.therapy for row in outcome_form.prefilled_rows(fourteen)] == [c.value for c in TherapyCode]
    assert [row.therapy for row in outcome_form.prefilled_rows({})] == [c.value for c in TherapyCode]
    future = outcome_form.prefilled_rows({"surgery": "consider", "cryotherapy_2030": "consider"})
    assert [(row.therapy, row.label) for row in future] == [
        ("surgery", "Surgery (stabilisation, decompression, resection)"),
        ("cryotherapy_2030", "cryotherapy_2030"),
    ]


def test_the_inputs_of_2027_01_read_from_a_submission_with_not_recorded_for_nulls() -> None:
    lines = inputs_of_ruleset_2027_01(
        {
            "lesions": [
                {"id": "S1", "site": "spine", "spine_level": "T5", "posterior_wall": "involved"},
                {"id": "F1", "site": "femur"},
            ],
            "labs": {"inr": 1.0},
            "history": {"dental_assessment": "done"},
            "status": {"metastasis_count": 3},
        }
    )
    assert [(line.label, line.value) for line in lines] == [
        ("Distant metastases at the latest staging", "3"),
        ("Dental assessment before an osteoclast inhibitor", "done"),
        ("INR", "1"),
        ("Posterior wall, lesion S1 (T5)", "involved"),
    ]
    older = inputs_of_ruleset_2027_01({"lesions": [{"id": "S1", "site": "spine", "spine_level": "C2"}]})
    assert {line.value for line in older} == {"not recorded"}


def test_outcome_request_leaves_out_undecided_rows_and_blank_values() -> None:
    rows = outcome_form.rows_from_form(
        {"surgery": "consider", "opioid_analgesic": "recommended"},
        {
            "decision-surgery": "declined",
            "reason-surgery": "comorbidity",
            "note-surgery": "  ",
            "decision-opioid_analgesic": "accepted",
            "reason-opioid_analgesic": "made-up",
        },
    )
    body = outcome_form.outcome_request(
        rows,
        intent="",
        decision_to_treat_date="",
        attendees=["3", "x", "1"],
        further_investigations=["imaging", "?"],
    )
    assert body == {
        "decisions": [
            {"therapy": "opioid_analgesic", "decision": "accepted", "reason_code": None, "note": None},
            {"therapy": "surgery", "decision": "declined", "reason_code": "comorbidity", "note": None},
        ],
        "intent": None,
        "decision_to_treat_date": None,
        "attendees": [3, 1],
        "further_investigations": ["imaging"],
    }


def test_form_errors_name_the_row_of_the_decision_the_api_names() -> None:
    request = {"decisions": [{"therapy": "opioid_analgesic"}, {"therapy": "surgery"}]}
    errors = outcome_form.form_errors(
        request,
        [
            {"field": "decisions[1].reason_code", "reason": "a declined decision needs a reason code"},
            {"field": "decisions[0].note", "reason": "too long"},
            {"field": "decisions", "reason": "no decision for x"},
            {"field": "attendees", "reason": "lacking surgery"},
            {"field": "further_investigations[0]", "reason": "bad"},
            {"field": "body", "reason": "odd"},
            {"field": "decisions[7].therapy", "reason": "beyond the list"},
        ],
    )
    assert errors == {
        "reason-surgery": ["a declined decision needs a reason code"],
        "note-opioid_analgesic": ["too long"],
        "decisions": ["no decision for x"],
        "attendees": ["lacking surgery"],
        "further_investigations": ["bad"],
        outcome_form.GENERAL: ["body: odd", "decisions[7].therapy: beyond the list"],
    }


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["decisions", "decisions[0].reason_code", "intent", "x.y", ""]),
            st.text(max_size=5),
        )
    )
)
def test_form_errors_never_lose_an_error(errors: list[tuple[str, str]]) -> None:
    mapped = outcome_form.form_errors(
        {"decisions": [{"therapy": "surgery"}]}, [{"field": f, "reason": r} for f, r in errors]
    )
    assert sum(len(v) for v in mapped.values()) == len(errors)


def test_next_item_is_the_next_listed_in_agenda_order() -> None:
    agenda = [
        {"item_id": "c", "position": 3, "status": "listed"},
        {"item_id": "a", "position": 1, "status": "listed"},
        {"item_id": "b", "position": 2, "status": "discussed"},
    ]
    assert outcome_form.next_item(agenda, "a") == agenda[0]
    assert outcome_form.next_item(agenda, "c") is None
    assert outcome_form.expected_attendees(
        [{"clinician_id": 1, "response": "expected"}, {"clinician_id": 2, "response": "declined"}]
    ) == [1]


def test_worklist_kinds_are_read_from_each_entrys_own_fields() -> None:
    soon = (NOW + timedelta(hours=20)).isoformat()
    later = (NOW + timedelta(hours=30)).isoformat()
    waitlisted_soon = {"status": "waitlisted", "deadline": soon}
    assert on_worklist("deadline_at_risk", waitlisted_soon, NOW) and on_worklist(
        "waitlisted", waitlisted_soon, NOW
    )
    assert not on_worklist("deadline_at_risk", {"status": "waitlisted", "deadline": later}, NOW)
    listed = {"status": "confirmed", "deadline": later, "late": True, "ready": False}
    assert on_worklist("late", listed, NOW) and on_worklist("not_ready", listed, NOW)
    assert not on_worklist("waitlisted", listed, NOW)
    # A scheduler without meetings answers waitlisted bookings (no `late`, no `ready`) for every kind.
    assert not on_worklist("late", waitlisted_soon, NOW) and not on_worklist(
        "not_ready", waitlisted_soon, NOW
    )
