"""Readiness for the meeting from the case's diagnostics (meetings.md §1)."""

from services.scheduler.domain.readiness import from_case, is_ready, merge


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
