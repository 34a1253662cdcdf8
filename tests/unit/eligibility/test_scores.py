"""SINS (Fisher 2010) and Mirels (1989) against the published tables, component by component."""

from typing import Any

import pytest

from services.eligibility.domain.scores import mirels, mirels_components, sins, sins_band, sins_components
from shared.contracts.case import Lesion

# Published SINS location: junctional (occiput-C2, C7-T2, T11-L1, L5-S1) 3, mobile (C3-C6, L2-L4) 2,
# semi-rigid (T3-T10) 1, rigid (S2-S5) 0.
SINS_LOCATION = {
    **dict.fromkeys(["C1", "C2", "C7", "T1", "T2", "T11", "T12", "L1", "L5", "S1"], 3),
    **dict.fromkeys(["C3", "C4", "C5", "C6", "L2", "L3", "L4"], 2),
    **dict.fromkeys([f"T{n}" for n in range(3, 11)], 1),
    **dict.fromkeys(["S2", "S3", "S4", "S5"], 0),
}
FULL_SPINE: dict[str, Any] = {
    "id": "S",
    "site": "spine",
    "spine_level": "T5",
    "pain_pattern": "none",
    "lesion_type": "blastic",
    "spinal_alignment": "normal",
    "vertebral_body_collapse": "none",
    "posterolateral_involvement": "none",
}  # 1 + 0 + 0 + 0 + 0 + 0 = 1


def spine_lesion(**fields: Any) -> Lesion:
    return Lesion.model_validate({**FULL_SPINE, **fields})


@pytest.mark.parametrize(("level", "points"), sorted(SINS_LOCATION.items()))
def test_sins_location(level: str, points: int) -> None:
    assert len(SINS_LOCATION) == 29
    assert sins_components(spine_lesion(spine_level=level))["location"] == points


@pytest.mark.parametrize(
    ("component", "field", "value", "points"),
    [
        ("pain", "pain_pattern", "mechanical", 3),
        ("pain", "pain_pattern", "mild", 1),
        ("pain", "pain_pattern", "moderate", 1),
        ("pain", "pain_pattern", "functional", 1),
        ("pain", "pain_pattern", "none", 0),
        ("lesion", "lesion_type", "lytic", 2),
        ("lesion", "lesion_type", "mixed", 1),
        ("lesion", "lesion_type", "blastic", 0),
        ("alignment", "spinal_alignment", "subluxation_translation", 4),
        ("alignment", "spinal_alignment", "de_novo_deformity", 2),
        ("alignment", "spinal_alignment", "normal", 0),
        ("collapse", "vertebral_body_collapse", "gt_50pct", 3),
        ("collapse", "vertebral_body_collapse", "lt_50pct", 2),
        ("collapse", "vertebral_body_collapse", "none_gt_50pct_involved", 1),
        ("collapse", "vertebral_body_collapse", "none", 0),
        ("posterolateral", "posterolateral_involvement", "bilateral", 3),
        ("posterolateral", "posterolateral_involvement", "unilateral", 1),
        ("posterolateral", "posterolateral_involvement", "none", 0),
    ],
)
def test_sins_component(component: str, field: str, value: str, points: int) -> None:
    lesion = spine_lesion(**{field: value})
    assert sins_components(lesion)[component] == points
    score = sins(lesion, 0)
    assert score is not None
    assert score.value == 1 + points  # T5 location 1, everything else 0
    assert score.origin == "components"


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0, "stable"),
        (6, "stable"),
        (7, "indeterminate"),
        (12, "indeterminate"),
        (13, "unstable"),
        (18, "unstable"),
    ],
)
def test_sins_bands(score: int, band: str) -> None:
    assert sins_band(score) == band


def test_sins_maximum_is_18() -> None:
    lesion = spine_lesion(
        spine_level="C1",
        pain_pattern="mechanical",
        lesion_type="lytic",
        spinal_alignment="subluxation_translation",
        vertebral_body_collapse="gt_50pct",
        posterolateral_involvement="bilateral",
    )
    score = sins(lesion, 0)
    assert score is not None and score.value == 18


def test_sins_components_win_over_reported_score() -> None:
    score = sins(spine_lesion(sins_score=15), 0)
    assert score is not None and score.value == 1 and score.origin == "components"


def test_sins_reported_score_when_a_component_is_null() -> None:
    score = sins(spine_lesion(lesion_type=None, sins_score=9), 3)
    assert score is not None and score.value == 9 and score.origin == "reported"


def test_sins_unknown_names_null_components_and_score() -> None:
    score = sins(spine_lesion(lesion_type=None, posterolateral_involvement=None), 2)
    assert score is not None and score.value is None
    assert sorted(score.missing) == [
        "lesions[2].lesion_type",
        "lesions[2].posterolateral_involvement",
        "lesions[2].sins_score",
    ]


def test_no_sins_outside_the_spine() -> None:
    assert sins(Lesion(id="F", site="femur"), 0) is None


FULL_LONG_BONE: dict[str, Any] = {
    "id": "F",
    "site": "humerus",
    "pain_pattern": "none",
    "lesion_type": "blastic",
    "cortical_involvement": "lt_one_third",
}  # 1 + 1 + 1 + 1 = 4


def long_bone(**fields: Any) -> Lesion:
    return Lesion.model_validate({**FULL_LONG_BONE, **fields})


@pytest.mark.parametrize(
    ("fields", "points"),
    [
        ({"site": "humerus"}, 1),
        ({"site": "radius_ulna"}, 1),
        ({"site": "femur", "peritrochanteric": False}, 2),
        ({"site": "tibia"}, 2),
        ({"site": "fibula"}, 2),
        ({"site": "femur", "peritrochanteric": True}, 3),
        ({"site": "femur", "peritrochanteric": None}, None),
    ],
)
def test_mirels_site(fields: dict[str, Any], points: int | None) -> None:
    assert mirels_components(long_bone(**fields))["site"] == points


@pytest.mark.parametrize(
    ("component", "field", "value", "points"),
    [
        ("pain", "pain_pattern", "none", 1),
        ("pain", "pain_pattern", "mild", 1),
        ("pain", "pain_pattern", "moderate", 2),
        ("pain", "pain_pattern", "functional", 3),
        ("pain", "pain_pattern", "mechanical", 3),
        ("lesion", "lesion_type", "blastic", 1),
        ("lesion", "lesion_type", "mixed", 2),
        ("lesion", "lesion_type", "lytic", 3),
        ("size", "cortical_involvement", "lt_one_third", 1),
        ("size", "cortical_involvement", "one_third_to_two_thirds", 2),
        ("size", "cortical_involvement", "gt_two_thirds", 3),
    ],
)
def test_mirels_component(component: str, field: str, value: str, points: int) -> None:
    lesion = long_bone(**{field: value})
    assert mirels_components(lesion)[component] == points
    score = mirels(lesion, 0)
    assert score is not None and score.value == 3 + points  # the three other components score 1 each


def test_mirels_range_4_to_12() -> None:
    low = mirels(long_bone(), 0)
    high = mirels(
        long_bone(
            site="femur",
            peritrochanteric=True,
            pain_pattern="functional",
            lesion_type="lytic",
            cortical_involvement="gt_two_thirds",
        ),
        0,
    )
    assert low is not None and low.value == 4
    assert high is not None and high.value == 12


def test_mirels_femur_without_peritrochanteric_falls_back_to_reported_score() -> None:
    score = mirels(long_bone(site="femur", mirels_score=8), 1)
    assert score is not None and score.value == 8 and score.origin == "reported"


def test_mirels_unknown_names_peritrochanteric_and_score() -> None:
    score = mirels(long_bone(site="femur"), 1)
    assert score is not None and score.value is None
    assert sorted(score.missing) == ["lesions[1].mirels_score", "lesions[1].peritrochanteric"]


def test_no_mirels_outside_long_bones() -> None:
    assert mirels(Lesion(id="P", site="pelvis"), 0) is None
