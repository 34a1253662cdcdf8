"""Case submissions for tests: a complete, valid one to start from, with unique external ids."""

import copy
import uuid
from typing import Any

_BASE: dict[str, Any] = {
    "external_id": "to-be-replaced",
    "patient": {"pseudonym": "PSN-TEST-0001", "birth_year": 1957, "sex": "female"},
    "primary_tumour": {"site": "breast"},
    "visceral_metastases": False,
    "lesions": [
        {
            "id": "L1",
            "site": "spine",
            "spine_level": "T8",
            "painful": True,
            "pain_pattern": "mechanical",
            "pathological_fracture": False,
            "lesion_type": "lytic",
            "spinal_alignment": "normal",
            "vertebral_body_collapse": "lt_50pct",
            "posterolateral_involvement": "unilateral",
            "escc_grade": "1b",
            "prior_radiotherapy": False,
        },
        {
            "id": "L2",
            "site": "femur",
            "painful": False,
            "pain_pattern": "mild",
            "pathological_fracture": False,
            "lesion_type": "blastic",
            "cortical_involvement": "lt_one_third",
            "peritrochanteric": False,
            "prior_radiotherapy": False,
        },
    ],
    "pain": {
        "score": 5,
        "neuropathic": False,
        "refractory_to_analgesics": False,
        "current_analgesics": ["non_opioid"],
    },
    "neurology": {"spinal_cord_compression": "none", "neurological_deficit": False},
    "labs": {
        "creatinine_clearance_ml_min": 80,
        "platelets_10e9_l": 250,
        "neutrophils_10e9_l": 4.0,
        "haemoglobin_g_dl": 12.5,
        "corrected_calcium_mmol_l": 2.4,
    },
    "history": {
        "last_chemotherapy_date": "never",
        "last_bisphosphonate_date": "never",
        "on_osteoclast_inhibitor": False,
    },
    "status": {
        "ecog": 1,
        "life_expectancy_months": 24,
        "bone_scan_positive": True,
        "renal_failure": "none",
        "myelosuppression": False,
        "can_tolerate_anaesthesia": True,
        "uncorrectable_bleeding": False,
        "active_infection": False,
    },
    "referred_at": "2026-11-01T09:30:00+00:00",
}


def a_case(**overrides: Any) -> dict[str, Any]:
    case = copy.deepcopy(_BASE)
    case["external_id"] = f"test-{uuid.uuid4().hex[:12]}"
    case.update(overrides)
    return case
