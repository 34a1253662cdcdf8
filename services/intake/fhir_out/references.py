"""Ids and references of the resources in a case's FHIR Bundle: a uuid5 of the case and what the resource
stands for, so that the same recommendation or booking is the same resource on every GET, and entries
reference each other by their `urn:uuid:` fullUrl (a Bundle of type collection has no server to resolve
relative references against)."""

import html
import uuid
from typing import Any, Final

from services.intake.fhir_out.codes import PSEUDONYM_SYSTEM

_NAMESPACE: Final = uuid.UUID("5f0c8f0e-5b7e-4d8c-9a56-6c1c7d1e2b10")


def resource_id(*parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(str(part) for part in parts)))


def full_url(identifier: str) -> str:
    return f"urn:uuid:{identifier}"


def reference(resource: dict[str, Any], display: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"reference": full_url(resource["id"]), "type": resource["resourceType"]}
    if display:
        found["display"] = display
    return found


def patient_reference(pseudonym: str | None) -> dict[str, Any] | None:
    """A logical reference to the patient by the pseudonym intake holds (no Patient resource is kept)."""
    if not pseudonym:
        return None
    return {"type": "Patient", "identifier": {"system": PSEUDONYM_SYSTEM, "value": pseudonym}}


def narrative(*lines: str) -> dict[str, str]:
    """A generated narrative (Resource.text) of a few lines: what a person reading the record sees (dom-6)."""
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{paragraphs}</div>'}
