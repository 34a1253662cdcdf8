"""meetings.md §6: what an outcome must hold before it is recorded."""

import pytest
from pydantic import ValidationError

from services.scheduler.domain.outcome import outcome_problems
from shared.contracts.codes import Specialty, TherapyCode, Verdict
from shared.contracts.outcome import OutcomeRequest

VERDICTS = {
    TherapyCode.external_beam_radiotherapy: Verdict.recommended,
    TherapyCode.surgery: Verdict.consider,
    TherapyCode.radiopharmaceutical: Verdict.not_indicated,
}
MEMBERS = {1: Specialty.radiology, 2: Specialty.radiation_oncology, 3: Specialty.surgery}
REQUIRED = frozenset({Specialty.radiology, Specialty.radiation_oncology, Specialty.surgery})


def request(decisions: list[dict[str, object]], attendees: list[int] | None = None) -> OutcomeRequest:
    return OutcomeRequest.model_validate(
        {"decisions": decisions, "intent": "palliative", "attendees": attendees or [1, 2, 3]}
    )


def problems(req: OutcomeRequest) -> list[tuple[str, str]]:
    found = outcome_problems(
        req, verdicts=VERDICTS, required_specialties=REQUIRED, eligible_attendees=MEMBERS
    )
    return [(p.field, p.reason) for p in found]


def test_a_complete_outcome_has_no_problem() -> None:
    req = request(
        [
            {"therapy": "external_beam_radiotherapy", "decision": "accepted"},
            {"therapy": "surgery", "decision": "declined", "reason_code": "comorbidity"},
        ]
    )
    assert problems(req) == []


def test_every_recommended_or_consider_therapy_needs_a_decision() -> None:
    req = request([{"therapy": "external_beam_radiotherapy", "decision": "accepted"}])
    assert problems(req) == [
        ("decisions", "no decision for surgery (consider): every recommended or consider therapy needs one")
    ]


def test_a_therapy_the_engine_ruled_out_may_still_be_decided() -> None:
    req = request(
        [
            {"therapy": "external_beam_radiotherapy", "decision": "accepted"},
            {"therapy": "surgery", "decision": "deferred"},
            {"therapy": "radiopharmaceutical", "decision": "accepted"},
        ]
    )
    assert problems(req) == []


@pytest.mark.parametrize("decision", ["declined", "modified"])
def test_declines_and_modifications_need_a_reason_code(decision: str) -> None:
    req = request(
        [
            {"therapy": "external_beam_radiotherapy", "decision": decision, "note": "MARKER-not-quoted"},
            {"therapy": "surgery", "decision": "accepted"},
        ]
    )
    found = problems(req)
    assert found == [("decisions[0].reason_code", f"a {decision} decision needs a reason code")]
    assert "MARKER" not in repr(found)


def test_each_therapy_at_most_once() -> None:
    req = request(
        [
            {"therapy": "external_beam_radiotherapy", "decision": "accepted"},
            {"therapy": "surgery", "decision": "accepted"},
            {"therapy": "surgery", "decision": "deferred"},
        ]
    )
    assert [field for field, _ in problems(req)] == ["decisions[1].therapy", "decisions[2].therapy"]


def test_attendees_must_belong_to_the_team_and_cover_the_required_specialties() -> None:
    req = request(
        [
            {"therapy": "external_beam_radiotherapy", "decision": "accepted"},
            {"therapy": "surgery", "decision": "accepted"},
        ],
        attendees=[1, 2, 98, 99],
    )
    assert problems(req) == [
        ("attendees", "not members of the meeting's team (or the huddle's participants): 98, 99"),
        ("attendees", "no attendee covers the required specialties: surgery"),
    ]


def test_unknown_therapy_codes_and_long_notes_are_refused_by_the_contract() -> None:
    with pytest.raises(ValidationError) as unknown:
        request([{"therapy": "homeopathy", "decision": "accepted"}])
    assert unknown.value.errors()[0]["loc"] == ("decisions", 0, "therapy")
    with pytest.raises(ValidationError) as long_note:
        request([{"therapy": "surgery", "decision": "accepted", "note": "x" * 501}])
    assert long_note.value.errors()[0]["loc"] == ("decisions", 0, "note")


# A 2026.12 snapshot lists the twelve therapies before those of 2027.01; a 2027.01 one all fourteen.
TWELVE = {code: Verdict.not_indicated for code in list(TherapyCode)[:12]} | {
    TherapyCode.external_beam_radiotherapy: Verdict.recommended
}
FOURTEEN = TWELVE | {
    TherapyCode.stereotactic_body_radiotherapy: Verdict.consider,
    TherapyCode.vertebral_augmentation: Verdict.not_indicated,
}


def test_a_2026_12_snapshot_needs_no_decision_for_the_therapies_of_2027_01() -> None:
    req = request([{"therapy": "external_beam_radiotherapy", "decision": "accepted"}])
    found = outcome_problems(req, verdicts=TWELVE, required_specialties=REQUIRED, eligible_attendees=MEMBERS)
    assert found == []


def test_a_2027_01_snapshot_needs_a_decision_for_stereotactic_body_radiotherapy_when_consider() -> None:
    req = request([{"therapy": "external_beam_radiotherapy", "decision": "accepted"}])
    found = outcome_problems(
        req, verdicts=FOURTEEN, required_specialties=REQUIRED, eligible_attendees=MEMBERS
    )
    assert [(p.field, p.reason) for p in found] == [
        (
            "decisions",
            "no decision for stereotactic_body_radiotherapy (consider): every recommended or consider therapy "
            "needs one",
        )
    ]
    decided = request(
        [
            {"therapy": "external_beam_radiotherapy", "decision": "accepted"},
            {
                "therapy": "stereotactic_body_radiotherapy",
                "decision": "declined",
                "reason_code": "resource_constraint",
            },
        ]
    )
    assert (
        outcome_problems(
            decided, verdicts=FOURTEEN, required_specialties=REQUIRED, eligible_attendees=MEMBERS
        )
        == []
    )
