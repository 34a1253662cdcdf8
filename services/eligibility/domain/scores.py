"""SINS (spine) and Mirels (long bones) for one lesion, from their components or the reported score."""

from dataclasses import dataclass
from typing import Literal, TypeVar

from services.eligibility.domain import thresholds as t
from shared.contracts.case import Lesion
from shared.contracts.codes import LONG_BONES, LesionSite

SinsBand = Literal["stable", "indeterminate", "unstable"]


@dataclass(frozen=True, slots=True)
class Score:
    """A score, the points of each component (None when that component is unknown), where the value
    came from, and - when the value is null - the paths of the nulls that kept it from being computed."""

    value: int | None
    components: dict[str, int | None]
    origin: Literal["components", "reported"] | None
    missing: frozenset[str]


def _path(index: int, field: str) -> str:
    return f"lesions[{index}].{field}"


def _settle(
    components: dict[str, int | None], reported: int | None, null_paths: list[str], score_path: str
) -> Score:
    values = list(components.values())
    if all(value is not None for value in values):
        return Score(sum(v for v in values if v is not None), components, "components", frozenset())
    if reported is not None:
        return Score(reported, components, "reported", frozenset())
    return Score(None, components, None, frozenset([*null_paths, score_path]))


K = TypeVar("K")


def _pick(table: dict[K, int], key: K | None) -> int | None:
    return None if key is None else table[key]


def sins_components(lesion: Lesion) -> dict[str, int | None]:
    return {
        "location": _pick(t.SINS_LOCATION_POINTS, lesion.spine_level),
        "pain": _pick(t.SINS_PAIN_POINTS, lesion.pain_pattern),
        "lesion": _pick(t.SINS_LESION_POINTS, lesion.lesion_type),
        "alignment": _pick(t.SINS_ALIGNMENT_POINTS, lesion.spinal_alignment),
        "collapse": _pick(t.SINS_COLLAPSE_POINTS, lesion.vertebral_body_collapse),
        "posterolateral": _pick(t.SINS_POSTEROLATERAL_POINTS, lesion.posterolateral_involvement),
    }


_SINS_FIELDS = {
    "location": "spine_level",
    "pain": "pain_pattern",
    "lesion": "lesion_type",
    "alignment": "spinal_alignment",
    "collapse": "vertebral_body_collapse",
    "posterolateral": "posterolateral_involvement",
}


def sins(lesion: Lesion, index: int) -> Score | None:
    """SINS for a spine lesion (None for any other site)."""
    if lesion.site != LesionSite.spine:
        return None
    components = sins_components(lesion)
    nulls = [_path(index, _SINS_FIELDS[name]) for name, points in components.items() if points is None]
    return _settle(components, lesion.sins_score, nulls, _path(index, "sins_score"))


def sins_band(score: int | None) -> SinsBand | None:
    if score is None:
        return None
    for low, high, band in t.SINS_BANDS:
        if low <= score <= high:
            return band  # type: ignore[return-value]
    raise ValueError(f"SINS {score} is outside 0-18")


def mirels_site_points(lesion: Lesion) -> int | None:
    if lesion.site == LesionSite.femur:
        if lesion.peritrochanteric is None:
            return None
        if lesion.peritrochanteric:
            return t.MIRELS_PERITROCHANTERIC_POINTS
    return t.MIRELS_SITE_POINTS.get(lesion.site)


def mirels_components(lesion: Lesion) -> dict[str, int | None]:
    return {
        "site": mirels_site_points(lesion),
        "pain": _pick(t.MIRELS_PAIN_POINTS, lesion.pain_pattern),
        "lesion": _pick(t.MIRELS_LESION_POINTS, lesion.lesion_type),
        "size": _pick(t.MIRELS_SIZE_POINTS, lesion.cortical_involvement),
    }


_MIRELS_FIELDS = {
    "site": "peritrochanteric",
    "pain": "pain_pattern",
    "lesion": "lesion_type",
    "size": "cortical_involvement",
}


def mirels(lesion: Lesion, index: int) -> Score | None:
    """Mirels for a long-bone lesion (None for any other site)."""
    if lesion.site not in LONG_BONES:
        return None
    components = mirels_components(lesion)
    nulls = [_path(index, _MIRELS_FIELDS[name]) for name, points in components.items() if points is None]
    return _settle(components, lesion.mirels_score, nulls, _path(index, "mirels_score"))
