"""FHIR XML in: every Bundle of the shared corpus, written as XML by fhir.resources at test time (never
stored), maps to the same case and sources, or fails with the same issues, as its JSON form."""

import json
from pathlib import Path
from typing import Any

import pytest

from services.intake.fhir import FhirJsonError, FhirMappingError, map_bundle_with_sources, map_posted_bundle
from services.intake.fhir.xml import decode_bundle_xml, is_xml_media_type
from tests.support.fhir_xml import as_xml

from .conftest import CORPUS, EXAMPLE, KEY, TODAY, load

BUNDLES = [*sorted(CORPUS.glob("*.json")), EXAMPLE]


def outcome(document: dict[str, Any]) -> Any:
    try:
        return map_bundle_with_sources(document, pseudonym_key=KEY, today=TODAY)
    except FhirMappingError as error:
        return [(issue.code, issue.diagnostics, issue.expression) for issue in error.issues]


@pytest.mark.parametrize("path", BUNDLES, ids=lambda path: path.name)
def test_an_xml_bundle_maps_as_its_json_form(path: Path) -> None:
    xml, json_form = as_xml(load(path))
    document, issues = decode_bundle_xml(xml)
    assert issues == []
    assert outcome(document) == outcome(json_form)


def test_the_example_maps_from_xml_with_sources() -> None:
    xml, _ = as_xml(load(EXAMPLE))
    document, _ = decode_bundle_xml(xml)
    case, sources = map_bundle_with_sources(document, pseudonym_key=KEY, today=TODAY)
    assert case.lesions[0].spine_level == "T7"
    assert sources["lesions[0].site"].resource_type == "Condition"


def test_a_resource_the_library_refuses_is_an_issue_naming_its_entry() -> None:
    xml, _ = as_xml(load(EXAMPLE))
    broken = xml.replace(b'<birthDate value="1956-03-14"/>', b'<birthDate value="14 March 1956"/>', 1)
    assert broken != xml
    _, issues = decode_bundle_xml(broken)
    assert issues and issues[0].expression[0].startswith("Bundle.entry[0].resource")


def test_malformed_xml_is_a_syntax_error() -> None:
    with pytest.raises(FhirJsonError):
        decode_bundle_xml(b"<Bundle xmlns='http://hl7.org/fhir'>")


@pytest.mark.parametrize("body", [b"<Patient xmlns='http://hl7.org/fhir'/>", b"<Bundle/>"])
def test_xml_that_is_not_a_fhir_bundle_is_refused(body: bytes) -> None:
    with pytest.raises(FhirMappingError) as raised:
        decode_bundle_xml(body)
    assert not isinstance(raised.value, FhirJsonError)


def test_entities_are_not_expanded() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE b [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<Bundle xmlns='http://hl7.org/fhir'><type value='&x;'/></Bundle>"
    )
    try:
        document, _ = decode_bundle_xml(body)
    except FhirMappingError:
        return
    assert "root:" not in str(document)


def test_xml_media_types() -> None:
    assert is_xml_media_type("application/fhir+xml; charset=utf-8")
    assert is_xml_media_type("application/xml")
    assert not is_xml_media_type("application/fhir+json")
    assert not is_xml_media_type(None)


def test_a_posted_xml_bundle_with_a_refused_resource_lists_it_with_the_mapping_issues() -> None:
    bundle = load(EXAMPLE)
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
    xml, _ = as_xml(bundle)
    broken = xml.replace(b'<birthDate value="1956-03-14"/>', b'<birthDate value="14 March 1956"/>', 1)
    with pytest.raises(FhirMappingError) as raised:
        map_posted_bundle(broken, xml=True, pseudonym_key=KEY, today=TODAY)
    expressions = [issue.expression[0] if issue.expression else "" for issue in raised.value.issues]
    assert expressions[0].startswith("Bundle.entry[0].resource")
    assert any("no Patient resource" in issue.diagnostics for issue in raised.value.issues)


def test_a_posted_bundle_maps_the_same_as_json_or_xml() -> None:
    xml, json_form = as_xml(load(EXAMPLE))
    from_xml = map_posted_bundle(xml, xml=True, pseudonym_key=KEY, today=TODAY)
    from_json = map_posted_bundle(json.dumps(json_form).encode(), xml=False, pseudonym_key=KEY, today=TODAY)
    assert from_xml == from_json
