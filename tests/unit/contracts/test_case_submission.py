"""The case submission contract (contracts.md §2): what is accepted, and what is refused with which path."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from shared.contracts.case import CaseSubmission, field_path
from tests.support.cases import a_case


def failing_paths(document: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        CaseSubmission.model_validate(document)
    return {field_path(e["loc"]): e["msg"] for e in caught.value.errors()}


def test_complete_case_is_accepted() -> None:
    case = CaseSubmission.model_validate(a_case())
    assert case.lesions[0].spine_level == "T8"
    assert case.history.last_chemotherapy_date == "never"


def test_minimal_case_keeps_unknowns_as_null() -> None:
    case = CaseSubmission.model_validate(
        {
            "external_id": "x",
            "patient": {"pseudonym": "p", "sex": "unknown"},
            "primary_tumour": {"site": "lung"},
            "lesions": [{"id": "a", "site": "rib"}],
        }
    )
    assert case.pain.score is None
    assert case.status.myelosuppression is None
    assert case.lesions[0].painful is None


@pytest.mark.parametrize(
    ("mutate", "path", "reason"),
    [
        (lambda c: c["pain"].update(score=11), "pain.score", "less than or equal to 10"),
        (
            lambda c: c["lesions"][1].update(spine_level="T4"),
            "lesions[1].spine_level",
            "only allowed when site is spine",
        ),
        (
            lambda c: c["lesions"][0].pop("spine_level"),
            "lesions[0].spine_level",
            "required when site is spine",
        ),
        (
            lambda c: c["lesions"][0].update(peritrochanteric=True),
            "lesions[0].peritrochanteric",
            "femur only",
        ),
        (
            lambda c: c["lesions"][0].update(cortical_involvement="lt_one_third"),
            "lesions[0].cortical_involvement",
            "long bones",
        ),
        (lambda c: c["lesions"][1].update(escc_grade="2"), "lesions[1].escc_grade", "spine lesions only"),
        (
            lambda c: c["primary_tumour"].update(castration_resistant=True),
            "primary_tumour.castration_resistant",
            "prostate",
        ),
        (lambda c: c["patient"].update(sex="male", pregnant=True), "patient.pregnant", "male"),
        (lambda c: c["primary_tumour"].update(site="myeloma"), "primary_tumour.site", "haematological"),
        (lambda c: c["primary_tumour"].update(site="pancreas"), "primary_tumour.site", "Input should be"),
        (
            lambda c: c.update(referred_at=(datetime.now(UTC) + timedelta(days=2)).isoformat()),
            "referred_at",
            "future",
        ),
        (lambda c: c.update(referred_at="2026-01-01T10:00:00"), "referred_at", "UTC offset"),
        (
            lambda c: c["history"].update(last_chemotherapy_date=str(date.today() + timedelta(days=3))),
            "history.last_chemotherapy_date",
            "future",
        ),
        (lambda c: c.update(lesions=[]), "lesions", "at least 1"),
        (lambda c: c["lesions"][1].update(id="L1"), "lesions", "repeated: L1"),
        (lambda c: c.update(colour="blue"), "colour", "Extra inputs are not permitted"),
        (lambda c: c["status"].update(ecog=5), "status.ecog", "less than or equal to 4"),
        (
            lambda c: c["lesions"][0].update(distance_to_neural_mm=-1),
            "lesions[0].distance_to_neural_mm",
            "greater than or equal to 0",
        ),
        (lambda c: c["patient"].update(pseudonym=""), "patient.pseudonym", "at least 1 character"),
        # The 2027.01 inputs.
        (
            lambda c: c["lesions"][1].update(posterior_wall="intact"),
            "lesions[1].posterior_wall",
            "spine lesions only",
        ),
        (
            lambda c: c["lesions"][0].update(posterior_wall="bulging"),
            "lesions[0].posterior_wall",
            "Input should be",
        ),
        (lambda c: c["labs"].update(inr=0), "labs.inr", "greater than 0"),
        (lambda c: c["labs"].update(inr=20.5), "labs.inr", "less than or equal to 20"),
        (
            lambda c: c["history"].update(dental_assessment="booked"),
            "history.dental_assessment",
            "Input should be",
        ),
        (
            lambda c: c["status"].update(metastasis_count=0),
            "status.metastasis_count",
            "greater than or equal to 1",
        ),
        (
            lambda c: c["status"].update(metastasis_count=1001),
            "status.metastasis_count",
            "less than or equal to 1000",
        ),
        (
            lambda c: c["status"].update(metastasis_count=1),
            "status.metastasis_count",
            "fewer than the 2 lesions listed",
        ),
    ],
)
def test_bad_input_names_the_field_and_the_reason(mutate: Any, path: str, reason: str) -> None:
    case = a_case()
    mutate(case)
    errors = failing_paths(case)
    assert path in errors, errors
    assert reason in errors[path]


def test_every_failing_field_is_reported_not_only_the_first() -> None:
    case = a_case()
    case["pain"]["score"] = 11
    case["patient"]["sex"] = "male"
    case["patient"]["pregnant"] = True
    case["lesions"][1]["spine_level"] = "L2"
    assert {"pain.score", "patient.pregnant", "lesions[1].spine_level"} <= set(failing_paths(case))


def test_the_2027_01_inputs_are_accepted_at_their_bounds() -> None:
    case = a_case()
    case["lesions"][0]["posterior_wall"] = "retropulsed"
    case["labs"]["inr"] = 20
    case["history"]["dental_assessment"] = "not_done"
    case["status"]["metastasis_count"] = len(case["lesions"])
    accepted = CaseSubmission.model_validate(case)
    assert accepted.lesions[0].posterior_wall == "retropulsed"
    assert accepted.labs.inr == 20
    assert accepted.history.dental_assessment == "not_done"
    assert accepted.status.metastasis_count == 2


def test_a_metastasis_count_is_checked_with_every_other_field() -> None:
    case = a_case()
    case["status"]["metastasis_count"] = 1
    case["pain"]["score"] = 11
    assert {"status.metastasis_count", "pain.score"} <= set(failing_paths(case))


def test_more_than_fifty_lesions_is_refused() -> None:
    case = a_case(lesions=[{"id": f"L{i}", "site": "rib"} for i in range(51)])
    assert "lesions" in failing_paths(case)


def test_field_path_uses_the_contract_style() -> None:
    assert field_path(("lesions", 1, "peritrochanteric")) == "lesions[1].peritrochanteric"
    assert field_path(("status", "life_expectancy_months")) == "status.life_expectancy_months"
