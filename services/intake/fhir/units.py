"""Laboratory units: a reported value and its UCUM code (or printed unit) -> the contract's unit."""

from collections.abc import Callable
from typing import Final

Conversion = Callable[[float], float]


def _same(value: float) -> float:
    return value


def _per_thousand(value: float) -> float:
    return value / 1000.0


def _g_l_to_g_dl(value: float) -> float:
    return value / 10.0


def _hb_mmol_l_to_g_dl(value: float) -> float:
    # Haemoglobin (monomer, 16 114 g/mol): 1 mmol/L = 1.6114 g/dL.
    return value * 1.6114


def _calcium_mg_dl_to_mmol_l(value: float) -> float:
    # Calcium 40.08 g/mol: 1 mmol/L = 4.008 mg/dL.
    return value / 4.008


def _ml_s_to_ml_min(value: float) -> float:
    return value * 60.0


# Per contract field: accepted units (compared case-insensitively, spaces removed) -> conversion.
_CELL_COUNT: Final[dict[str, Conversion]] = {
    "10*9/l": _same,
    "10^9/l": _same,
    "10e9/l": _same,
    "g/l": _same,  # giga per litre, as some European labs print it
    "/nl": _same,
    "10*3/ul": _same,
    "10^3/ul": _same,
    "10e3/ul": _same,
    "k/ul": _same,
    "10*3/mm3": _same,
    "10^3/mm3": _same,
    "thou/ul": _same,
    "/ul": _per_thousand,
    "/mm3": _per_thousand,
    "{cells}/ul": _per_thousand,
}

UNITS: Final[dict[str, dict[str, Conversion]]] = {
    "platelets_10e9_l": _CELL_COUNT,
    "neutrophils_10e9_l": _CELL_COUNT,
    "haemoglobin_g_dl": {"g/dl": _same, "g/l": _g_l_to_g_dl, "mmol/l": _hb_mmol_l_to_g_dl},
    "corrected_calcium_mmol_l": {"mmol/l": _same, "mg/dl": _calcium_mg_dl_to_mmol_l},
    "creatinine_clearance_ml_min": {
        "ml/min": _same,
        "ml/min/{1.73_m2}": _same,
        "ml/min/1.73m2": _same,
        "ml/min/1.73_m2": _same,
        "ml/min/(1.73.m2)": _same,
        "ml/s": _ml_s_to_ml_min,
    },
}


def normalise_unit(unit: str) -> str:
    return unit.replace(" ", "").replace("µ", "u").replace("μ", "u").lower()


def convert(field: str, value: float, unit: str | None) -> float | None:
    """The value in the unit of `field`, or None when the unit is missing or not one we know."""
    if not unit:
        return None
    conversion = UNITS[field].get(normalise_unit(unit))
    return None if conversion is None else round(conversion(value), 4)


def accepted_units(field: str) -> list[str]:
    return sorted(UNITS[field])
