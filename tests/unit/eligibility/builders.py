"""Builders of complete case submissions for the eligibility unit tests.

BASE is a complete case (every field known): a 66-year-old woman, breast primary, a painful lytic rib lesion
and a painless pelvic one among 8 distant metastases at the latest staging (not oligometastatic), moderate
pain (5), normal labs (INR 1.0), no cord compression, a dental assessment done.
"""

import copy
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.eligibility.domain import evaluate
from shared.contracts.case import CaseSubmission
from shared.contracts.recommendation import Recommendation

EVALUATED_AT = datetime(2026, 6, 1, 10, 30, tzinfo=UTC)
EVAL_DATE = date(2026, 6, 1)


def days_ago(days: int) -> str:
    return (EVAL_DATE - timedelta(days=days)).isoformat()


def rib(**fields: Any) -> dict[str, Any]:
    lesion = {
        "id": "R1",
        "site": "rib",
        "painful": True,
        "pain_pattern": "moderate",
        "pathological_fracture": False,
        "lesion_type": "lytic",
        "percutaneously_accessible": True,
        "adjacent_critical_structure": False,
        "prior_radiotherapy": False,
        "pain_persists_after_radiotherapy": False,
    }
    return {**lesion, **fields}


def pelvis(**fields: Any) -> dict[str, Any]:
    lesion = {
        "id": "P1",
        "site": "pelvis",
        "painful": False,
        "pain_pattern": "none",
        "pathological_fracture": False,
        "lesion_type": "blastic",
        "percutaneously_accessible": True,
        "adjacent_critical_structure": False,
        "prior_radiotherapy": False,
        "pain_persists_after_radiotherapy": False,
    }
    return {**lesion, **fields}


def spine(
    level: str, pain: str, kind: str, alignment: str, collapse: str, posterolateral: str, **fields: Any
) -> dict[str, Any]:
    lesion = {
        "id": "S1",
        "site": "spine",
        "spine_level": level,
        "painful": False,
        "pain_pattern": pain,
        "pathological_fracture": False,
        "lesion_type": kind,
        "spinal_alignment": alignment,
        "vertebral_body_collapse": collapse,
        "posterolateral_involvement": posterolateral,
        "escc_grade": "0",
        "posterior_wall": "intact",
        "distance_to_neural_mm": 15.0,
        "percutaneously_accessible": True,
        "adjacent_critical_structure": False,
        "prior_radiotherapy": False,
        "pain_persists_after_radiotherapy": False,
    }
    return {**lesion, **fields}


def long_bone(site: str, pain: str, kind: str, size: str | None, **fields: Any) -> dict[str, Any]:
    lesion = {
        "id": "F1",
        "site": site,
        "painful": False,
        "pain_pattern": pain,
        "pathological_fracture": False,
        "lesion_type": kind,
        "cortical_involvement": size,
        "percutaneously_accessible": True,
        "adjacent_critical_structure": False,
        "prior_radiotherapy": False,
        "pain_persists_after_radiotherapy": False,
    }
    if site == "femur":
        lesion["peritrochanteric"] = False
    return {**lesion, **fields}


BASE: dict[str, Any] = {
    "external_id": "vignette",
    "patient": {
        "pseudonym": "p-001",
        "birth_year": 1960,
        "sex": "female",
        "pregnant": False,
        "breastfeeding": False,
    },
    "primary_tumour": {"site": "breast"},
    "visceral_metastases": False,
    "lesions": [rib(), pelvis()],
    "pain": {
        "score": 5,
        "neuropathic": False,
        "refractory_to_analgesics": False,
        "current_analgesics": ["non_opioid"],
    },
    "neurology": {"spinal_cord_compression": "none", "neurological_deficit": False},
    "labs": {
        "creatinine_clearance_ml_min": 80.0,
        "platelets_10e9_l": 220.0,
        "neutrophils_10e9_l": 4.0,
        "haemoglobin_g_dl": 12.5,
        "corrected_calcium_mmol_l": 2.40,
        "inr": 1.0,
    },
    "history": {
        "last_chemotherapy_date": "never",
        "last_bisphosphonate_date": "never",
        "on_osteoclast_inhibitor": False,
        "dental_assessment": "done",
    },
    "status": {
        "ecog": 1,
        "life_expectancy_months": 12.0,
        "bone_scan_positive": True,
        "renal_failure": "none",
        "myelosuppression": False,
        "can_tolerate_anaesthesia": True,
        "uncorrectable_bleeding": False,
        "active_infection": False,
        "metastasis_count": 8,
    },
}

_STEP = re.compile(r"([a-z0-9_]+)(?:\[(\d+)\])?")


def set_path(doc: dict[str, Any], path: str, value: Any) -> None:
    """set_path(doc, "lesions[1].painful", None)."""
    steps = path.split(".")
    node: Any = doc
    for i, step in enumerate(steps):
        match = _STEP.fullmatch(step)
        assert match, step
        key, index = match.group(1), match.group(2)
        last = i == len(steps) - 1
        if index is None:
            if last:
                node[key] = value
            else:
                node = node[key]
        else:
            if last:
                node[key][int(index)] = value
            else:
                node = node[key][int(index)]


def make_case(changes: dict[str, Any] | None = None) -> CaseSubmission:
    doc = copy.deepcopy(BASE)
    for path, value in (changes or {}).items():
        set_path(doc, path, value)
    return CaseSubmission.model_validate(doc)


def run(case: CaseSubmission) -> Recommendation:
    return evaluate(case, case_id=None, case_version=0, evaluated_at=EVALUATED_AT)
