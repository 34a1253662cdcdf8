"""Readiness for the meeting from the case's diagnostics (meetings.md §1)."""

from typing import Any

import pytest

from services.scheduler.domain.readiness import from_case, is_ready, merge
from services.scheduler.placing import case_facts
from shared.contracts.case import CaseSubmission
from tests.support.cases import a_case


def test_spine_mri_is_required_only_for_spine_lesions_or_cord_compression() -> None:
    femur = {"lesions": [{"site": "femur"}], "diagnostics": {"imaging_reviewed": True}}
    assert from_case(femur) == {"imaging": True, "histology": None}
    spine = {"lesions": [{"site": "spine"}], "diagnostics": {"spine_mri_done": False}}
    assert from_case(spine) == {"imaging": None, "histology": None, "spine_mri": False}
    compression = {"lesions": [{"site": "rib"}], "neurology": {"spinal_cord_compression": "suspected"}}
    assert "spine_mri" in from_case(compression)


def test_ready_needs_every_required_value_true() -> None:
    assert not is_ready({"imaging": True, "histology": None})
    assert is_ready({"imaging": True, "histology": True})
    assert not is_ready({"imaging": True, "histology": True, "spine_mri": False})
    assert not is_ready({})


def test_a_later_versions_true_or_false_replaces_and_its_null_keeps() -> None:
    current = {"imaging": True, "histology": False}
    assert merge(current, {"imaging": None, "histology": True}) == {"imaging": True, "histology": True}
    assert merge(current, {"imaging": False, "histology": None, "spine_mri": None}) == {
        "imaging": False,
        "histology": False,
        "spine_mri": None,
    }


@pytest.mark.parametrize(
    ("lesions", "neurology", "diagnostics"),
    [
        ([{"id": "a", "site": "femur"}], {}, {}),
        ([{"id": "a", "site": "femur"}], {}, {"imaging_reviewed": True, "histology_confirmed": False}),
        ([{"id": "a", "site": "spine", "spine_level": "T10"}], {}, {"spine_mri_done": True}),
        ([{"id": "a", "site": "rib"}], {"spinal_cord_compression": "confirmed"}, {"imaging_reviewed": True}),
        ([{"id": "a", "site": "rib"}], {"spinal_cord_compression": "none"}, {"histology_confirmed": True}),
    ],
)
def test_the_consumer_reads_the_same_readiness_from_the_parsed_case_as_from_its_json(
    lesions: list[dict[str, Any]], neurology: dict[str, Any], diagnostics: dict[str, Any]
) -> None:
    case = CaseSubmission.model_validate(
        a_case(lesions=lesions, neurology=neurology, diagnostics=diagnostics)
    )
    assert from_case(case_facts(case)) == from_case(case.model_dump(mode="json"))
