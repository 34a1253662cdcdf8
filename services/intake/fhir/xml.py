"""A FHIR Bundle posted as XML (`application/fhir+xml`) -> the same JSON the mapping reads, through
fhir.resources' XML support (`model_validate_xml`, lxml), so that an XML Bundle maps exactly as its JSON
form does and fails with the same OperationOutcome issues.

Each entry's resource is parsed on its own, as the JSON path does: one resource that fhir.resources refuses
is an issue naming that entry, not a failure of the whole Bundle. Of the Bundle itself only the elements the
mapping reads are parsed (bundle.py, _BUNDLE_FIELDS)."""

import email.message
from typing import Any, Final

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from lxml import etree
from pydantic import ValidationError

from services.intake.fhir.bundle import validation_issues
from services.intake.fhir.issues import FhirIssue, FhirJsonError, FhirMappingError

FHIR_NS: Final = "http://hl7.org/fhir"
FHIR_XML: Final = "application/fhir+xml"  # also in fhir_http.py, which this package does not import
_SHELL_ELEMENTS: Final = ("id", "identifier", "type", "timestamp")


def is_xml_media_type(content_type: str | None) -> bool:
    """application/fhir+xml, application/xml or text/xml, parameters (charset) ignored."""
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    return message.get_content_type() in (FHIR_XML, "application/xml", "text/xml")


def _parser() -> etree.XMLParser:
    # No DTDs, entities or network: a posted document must not make the service read files or URLs (XXE).
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )


def _name(element: Any) -> str:
    return str(etree.QName(element).localname)


def _in_fhir(element: Any) -> bool:
    return isinstance(element.tag, str) and etree.QName(element).namespace == FHIR_NS


def _value(element: Any, child_name: str) -> str | None:
    for child in element:
        if _in_fhir(child) and _name(child) == child_name:
            value = child.get("value")
            return value if isinstance(value, str) else None
    return None


def _shell(root: Any, issues: list[FhirIssue]) -> dict[str, Any]:
    shell = etree.Element(f"{{{FHIR_NS}}}Bundle", nsmap={None: FHIR_NS})
    for child in root:
        if _in_fhir(child) and _name(child) in _SHELL_ELEMENTS and _name(child) != "id":
            shell.append(_copy(child))
    document: dict[str, Any] = {"resourceType": "Bundle"}
    try:
        parsed = Bundle.model_validate_xml(etree.tostring(shell))
        document.update(parsed.model_dump(mode="json"))
    except ValidationError as error:
        issues.extend(validation_issues(error, None, "Bundle"))
    except (ValueError, TypeError, KeyError) as error:
        issues.append(FhirIssue("structure", f"Bundle: {error}", ["Bundle"]))
    bundle_id = _value(root, "id")
    if bundle_id is not None:
        document["id"] = bundle_id
    return document


def _copy(element: Any) -> Any:
    return etree.fromstring(etree.tostring(element), parser=_parser())


def _resource(index: int, element: Any, issues: list[FhirIssue]) -> dict[str, Any] | None:
    resource_type = _name(element)
    where = f"Bundle.entry[{index}].resource"
    try:
        model = get_fhir_model_class(resource_type)
    except KeyError:
        issues.append(FhirIssue("structure", f"{where}: {resource_type!r} is not a FHIR resource", [where]))
        return None
    try:
        parsed: dict[str, Any] = model.model_validate_xml(etree.tostring(element)).model_dump(mode="json")
        return parsed
    except ValidationError as error:
        label = f"{resource_type} at entry[{index}]"
        for issue in validation_issues(error, None, label):
            element_path = issue.expression[0].removeprefix("Bundle").lstrip(".") if issue.expression else ""
            issues.append(
                FhirIssue(
                    issue.code, issue.diagnostics, [f"{where}.{element_path}" if element_path else where]
                )
            )
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        issues.append(FhirIssue("structure", f"{resource_type} at entry[{index}]: {error}", [where]))
    return None


def decode_bundle_xml(body: bytes) -> tuple[dict[str, Any], list[FhirIssue]]:
    """The posted XML as the Bundle's JSON form, and the issues of the parts fhir.resources refused.
    FhirJsonError (400) when the body is not well-formed XML; FhirMappingError (422) when it is not a Bundle."""
    try:
        root = etree.fromstring(body, parser=_parser())
    except etree.XMLSyntaxError as error:
        raise FhirJsonError(
            [FhirIssue("structure", f"the request body is not well-formed XML: {error}")]
        ) from None
    if root is None or not _in_fhir(root) or _name(root) != "Bundle":
        raise FhirMappingError(
            [
                FhirIssue(
                    "structure",
                    'the request body is not a FHIR Bundle (<Bundle xmlns="http://hl7.org/fhir">)',
                )
            ]
        )
    issues: list[FhirIssue] = []
    document = _shell(root, issues)
    entries: list[dict[str, Any]] = []
    for child in root:
        if not (_in_fhir(child) and _name(child) == "entry"):
            continue
        index = len(entries)
        entry: dict[str, Any] = {}
        full_url = _value(child, "fullUrl")
        if full_url is not None:
            entry["fullUrl"] = full_url
        for part in child:
            if not _in_fhir(part):
                continue
            if _name(part) == "request":
                method = _value(part, "method")
                if method is not None:
                    entry["request"] = {"method": method}
            elif _name(part) == "resource":
                inner = [element for element in part if _in_fhir(element)]
                if inner:
                    resource = _resource(index, inner[0], issues)
                    if resource is not None:
                        entry["resource"] = resource
        entries.append(entry)
    if entries:
        document["entry"] = entries
    return document, issues
