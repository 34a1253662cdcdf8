"""Synthetic inputs of the FHIR-out builders: a recommendation (contracts.md §3), bookings of every status
(contracts.md §6) and an outcome (meetings.md §6)."""

from typing import Any

CASE_ID = "0b7e4c1a-2f0d-4e55-9c3a-0d7f7b6f1e21"
PSEUDONYM = "3f2a9c0d1e4b5a6978c8d7e6f5a4b3c2"


def recommendation(*, insufficient: bool = False) -> dict[str, Any]:
    therapies: list[dict[str, Any]] = [
        {
            "code": "external_beam_radiotherapy",
            "status": "recommended",
            "reasons": [{"code": "painful_lesion", "text": "painful bone metastasis", "source": "ASTRO"}],
            "missing": [],
            "eligible_from": None,
        },
        {
            "code": "surgery",
            "status": "insufficient_data" if insufficient else "not_indicated",
            "reasons": [{"code": "sins_unknown", "text": "SINS cannot be computed", "source": "SINS"}],
            "missing": ["lesions[0].spinal_alignment", "labs.platelets_10e9_l"] if insufficient else [],
            "eligible_from": None,
        },
        {
            "code": "radiopharmaceutical",
            "status": "contraindicated",
            "reasons": [],
            "missing": [],
            "eligible_from": None,
        },
    ]
    return {
        "schema_version": 1,
        "case_id": CASE_ID,
        "case_version": 2,
        "ruleset_version": "2026.11",
        "evaluated_at": "2026-11-28T10:15:00.123456+00:00",
        "urgency": "urgent",
        "book_within_hours": 72,
        "required_specialties": ["radiology", "radiation_oncology", "surgery"],
        "therapies": therapies,
        "scores": {},
        "alerts": [],
    }


def booking(status: str) -> dict[str, Any]:
    confirmed = status == "confirmed"
    return {
        "schema_version": 1,
        "booking_id": "9d1f0c1e-0a4b-4c43-8f7e-2b0f7f9a5c11",
        "case_id": CASE_ID,
        "case_version": 2,
        "status": status,
        "start": "2026-11-30T09:00:00+00:00" if confirmed else None,
        "end": "2026-11-30T09:30:00+00:00" if confirmed else None,
        "urgency": "urgent",
        "deadline": "2026-12-01T10:15:00+00:00",
        "participants": (
            [
                {"clinician_id": 1, "name": "Dr Ada Radiology", "specialty": "radiology"},
                {"clinician_id": 7, "name": "Dr Ben Surgery", "specialty": "surgery"},
            ]
            if confirmed
            else []
        ),
        "missing_specialties": [] if confirmed else ["surgery"],
        "partial": False,
        "reason": None if confirmed else "no_quorum",
    }


def outcome() -> dict[str, Any]:
    return {
        "outcome_id": "4c3e1d2a-7b6f-4e0d-9a8b-1c2d3e4f5a6b",
        "version": 1,
        "case_id": CASE_ID,
        "case_version": 2,
        "meeting_id": "m-1",
        "booking_id": None,
        "ruleset_version": "2026.11",
        "recorded_at": "2026-11-30T09:40:00+00:00",
        "recorded_by_role": "clinician",
        "verdicts": {"external_beam_radiotherapy": "recommended", "surgery": "not_indicated"},
        "decisions": [
            {
                "therapy": "external_beam_radiotherapy",
                "decision": "accepted",
                "reason_code": None,
                "note": None,
            },
            {"therapy": "surgery", "decision": "declined", "reason_code": "comorbidity", "note": "free text"},
            {"therapy": "radiopharmaceutical", "decision": "deferred", "reason_code": None, "note": None},
        ],
        "intent": "palliative",
        "decision_to_treat_date": "2026-11-30",
        "attendees": [1, 7],
        "further_investigations": ["bloods"],
    }
