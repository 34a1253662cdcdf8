"""FHIR Bundles written as XML by fhir.resources at test time (never stored in the repository)."""

from typing import Any

from fhir.resources.R4B.bundle import Bundle, BundleEntry
from pydantic import ValidationError


def as_xml(bundle: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
    """The Bundle as XML by fhir.resources, and the JSON that XML stands for. Entries the library refuses
    cannot be written as XML and are left out of both; so is a Bundle.id outside FHIR's id pattern (some corpus
    bundles use '_'; the mapping only shows it as the source of external_id)."""
    entries = []
    for raw in bundle.get("entry", []):
        try:
            BundleEntry.model_validate(raw)
        except ValidationError:
            continue
        entries.append(raw)
    kept: dict[str, Any] = {
        key: bundle[key] for key in ("id", "identifier", "type", "timestamp") if key in bundle
    }
    try:
        model = Bundle.model_validate({"resourceType": "Bundle", **kept, "entry": entries})
    except ValidationError:
        kept.pop("id", None)
        model = Bundle.model_validate({"resourceType": "Bundle", **kept, "entry": entries})
    json_form = {"resourceType": "Bundle", **kept, "entry": entries}
    xml = model.model_dump_xml()  # typed str, returns bytes (lxml's tostring)
    return xml if isinstance(xml, bytes) else xml.encode(), json_form
