"""The placement (the booking of contracts.md §6, meetings.md §4) as an Appointment with its participants as
Practitioner references, each Practitioner carrying the clinician's specialty (meetings.md §7)."""

from typing import Any, Final

from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.practitioner import Practitioner

from services.intake.fhir_out.codes import (
    BOOKING_IDENTIFIER_SYSTEM,
    CLINICIAN_IDENTIFIER_SYSTEM,
    SPECIALTY_SYSTEM,
    concept,
    display,
)
from services.intake.fhir_out.references import narrative, reference, resource_id

APPOINTMENT_STATUS: Final = {"confirmed": "booked", "waitlisted": "proposed", "cancelled": "cancelled"}


def practitioner(participant: dict[str, Any]) -> dict[str, Any]:
    clinician_id = participant["clinician_id"]
    resource = {
        "resourceType": "Practitioner",
        "id": resource_id("clinician", clinician_id),
        "identifier": [{"system": CLINICIAN_IDENTIFIER_SYSTEM, "value": str(clinician_id)}],
        "text": narrative(f"{participant['name']}, {display(participant['specialty'])}"),
        "active": True,
        "name": [{"text": participant["name"]}],
        "qualification": [{"code": concept(SPECIALTY_SYSTEM, participant["specialty"])}],
    }
    return Practitioner.model_validate(resource).model_dump(mode="json")


def appointment(
    booking: dict[str, Any], practitioners: list[dict[str, Any]], patient: dict[str, Any] | None
) -> dict[str, Any]:
    """`practitioners` are those of `practitioner()` for booking['participants'], in the same order."""
    status = APPOINTMENT_STATUS.get(booking["status"], "proposed")
    participants: list[dict[str, Any]] = [
        {
            "actor": reference(resource, f"{person['name']} ({person['specialty']})"),
            "required": "required",
            "status": "accepted",
        }
        for person, resource in zip(booking["participants"], practitioners, strict=True)
    ]
    if patient is not None:
        participants.append({"actor": patient, "required": "information-only", "status": "needs-action"})
    resource: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": resource_id("booking", booking["booking_id"]),
        "identifier": [{"system": BOOKING_IDENTIFIER_SYSTEM, "value": str(booking["booking_id"])}],
        "text": narrative(
            f"Bone-metastasis MDT review: {status}"
            + (f", {booking['start']} to {booking['end']}" if booking.get("start") else "")
            + (f" ({booking['reason']})" if booking.get("reason") else "")
            + ".",
            *(f"{person['name']} ({display(person['specialty'])})" for person in booking["participants"]),
        ),
        "status": status,
        "description": "Bone-metastasis MDT review",
        "specialty": [concept(SPECIALTY_SYSTEM, person["specialty"]) for person in booking["participants"]],
        "participant": participants,
    }
    # A booked appointment has its times (app-3); a waitlisted one may have none, and no clinicians yet.
    if booking.get("start") and booking.get("end"):
        resource["start"] = booking["start"]
        resource["end"] = booking["end"]
    if isinstance(booking.get("minutes"), int) and booking["minutes"] > 0:
        resource["minutesDuration"] = booking["minutes"]  # a placement on a meeting (meetings.md §4)
    if booking.get("reason"):
        resource["comment"] = str(booking["reason"])
    if status == "cancelled" and booking.get("reason"):
        resource["cancelationReason"] = {"text": str(booking["reason"])}
    return Appointment.model_validate(resource).model_dump(mode="json")
