"""Whether a case is ready for its MDT meeting (meetings.md §1, Agenda item).

`imaging` and `histology` are required for every case; `spine_mri` only when a lesion is in the spine or
there is (suspected or confirmed) cord compression, and otherwise not listed. Each value is true, false or
null (not known); the item is `ready` when every required value is true. Values come from the case
submission's `diagnostics.*` (contracts.md §2); a later case version's true or false replaces them, its null
does not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FIELDS = {"imaging": "imaging_reviewed", "histology": "histology_confirmed", "spine_mri": "spine_mri_done"}


def spine_mri_required(case: Mapping[str, Any]) -> bool:
    lesions = case.get("lesions") or []
    in_spine = any(isinstance(lesion, Mapping) and lesion.get("site") == "spine" for lesion in lesions)
    compression = (case.get("neurology") or {}).get("spinal_cord_compression") in ("suspected", "confirmed")
    return in_spine or compression


def from_case(case: Mapping[str, Any]) -> dict[str, bool | None]:
    """The readiness facts of a case submission (its `diagnostics`, all optional)."""
    diagnostics = case.get("diagnostics") or {}
    keys = ["imaging", "histology"] + (["spine_mri"] if spine_mri_required(case) else [])
    result: dict[str, bool | None] = {}
    for key in keys:
        value = diagnostics.get(FIELDS[key]) if isinstance(diagnostics, Mapping) else None
        result[key] = value if isinstance(value, bool) else None
    return result


def merge(current: Mapping[str, bool | None], newer: Mapping[str, bool | None]) -> dict[str, bool | None]:
    """`current` updated by a later version's facts: its true/false win, its null keeps the current value;
    the keys are the later version's (spine_mri comes and goes with the spine lesions)."""
    base = {"imaging": None, "histology": None} if not newer else {}
    keys = list(newer) or list(base)
    return {k: newer[k] if newer.get(k) is not None else current.get(k) for k in keys}


def is_ready(readiness: Mapping[str, bool | None]) -> bool:
    required = readiness if readiness else {"imaging": None, "histology": None}
    return all(value is True for value in required.values())
