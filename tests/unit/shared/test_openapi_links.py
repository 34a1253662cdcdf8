"""OpenAPI links (shared/http/openapi_links.py): each service's table resolves in the document its app
generates (operationIds, responses, parameters, runtime expressions), schemathesis reads every link as a
transition, and a link naming something the document lacks is refused with the reason."""

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from pydantic import BaseModel
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.stateful import collect_transitions

from services.eligibility.main import create_application as eligibility_app
from services.eligibility.openapi_links import ELIGIBILITY_LINKS
from services.intake.main import create_application as intake_app
from services.intake.openapi_links import INTAKE_LINKS
from services.scheduler.main import create_application as scheduler_app
from services.scheduler.openapi_links import SCHEDULER_LINKS
from shared.http.openapi_links import Link, LinkError, add_links, install_links

SERVICES: dict[str, tuple[Callable[[], FastAPI], tuple[Link, ...]]] = {
    "intake": (intake_app, INTAKE_LINKS),
    "eligibility": (eligibility_app, ELIGIBILITY_LINKS),
    "scheduler": (scheduler_app, SCHEDULER_LINKS),
}


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


async def _service_document(build: Callable[[], FastAPI]) -> dict[str, Any]:
    app = build()
    try:
        return app.openapi()
    finally:
        await app.state.runtime.producer.current.stop()  # made with the app, never started


@pytest.mark.parametrize("service", list(SERVICES))
async def test_every_link_of_a_service_is_in_its_document_and_resolves(service: str) -> None:
    build, links = SERVICES[service]
    document = await _service_document(build)  # add_links refuses a link that does not resolve
    by_id = {operation["operationId"]: operation for _, _, operation in _operations(document)}
    for link in links:
        for status in link.responses:
            written = by_id[link.source]["responses"][status]["links"][link.name]
            assert written["operationId"] == link.target
            assert written.get("parameters", {}) == dict(link.parameters)
    written_count = sum(
        len(response.get("links", {}))
        for _, _, operation in _operations(document)
        for response in operation["responses"].values()
    )
    assert written_count == sum(len(link.responses) for link in links)


@pytest.mark.parametrize("service", list(SERVICES))
async def test_schemathesis_reads_every_link_as_a_transition(service: str) -> None:
    build, links = SERVICES[service]
    schema = schemathesis.openapi.from_dict(await _service_document(build))
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    assert len(operations) == len(list(_operations(schema.raw_schema)))
    transitions = collect_transitions(operations)  # raises InvalidStateMachine naming a broken link
    found = {
        (link.source.definition.raw["operationId"], link.status_code, link.name, link.target.label)
        for entry in transitions.operations.values()
        for link in entry.outgoing
    }
    labels = {operation.definition.raw["operationId"]: operation.label for operation in operations}
    expected = {
        (link.source, status, link.name, labels[link.target]) for link in links for status in link.responses
    }
    assert found == expected


# ---------------------------------------------------------------------------------------------------------
# The checks, on a small app


class Thing(BaseModel):
    thing_id: int
    tags: list[str]


class Part(BaseModel):
    name: str


def _things_app() -> FastAPI:
    app = FastAPI()

    @app.post("/things", status_code=201)
    async def create_thing(part: Part) -> Thing:
        return Thing(thing_id=1, tags=[part.name])

    @app.get("/things/{thing_id}")
    async def get_thing(thing_id: int) -> Thing:
        return Thing(thing_id=thing_id, tags=[])

    @app.post("/things/{thing_id}/parts", status_code=201)
    async def add_part(thing_id: int, part: Part) -> Part:
        return part

    return app


CREATE, GET, ADD_PART = (
    "create_thing_things_post",
    "get_thing_things__thing_id__get",
    "add_part_things__thing_id__parts_post",
)
READ_IT = Link(CREATE, ("201",), "GetThing", GET, {"thing_id": "$response.body#/thing_id"})


def test_a_link_is_written_into_its_source_response() -> None:
    document = add_links(
        _things_app().openapi(),
        [
            READ_IT,
            Link(
                GET,
                ("200",),
                "AddPart",
                ADD_PART,
                {"path.thing_id": "$request.path.thing_id"},
                request_body={"name": "$response.body#/tags/0"},
            ),
        ],
    )
    assert document["paths"]["/things"]["post"]["responses"]["201"]["links"] == {
        "GetThing": {"operationId": GET, "parameters": {"thing_id": "$response.body#/thing_id"}}
    }
    assert document["paths"]["/things/{thing_id}"]["get"]["responses"]["200"]["links"]["AddPart"] == {
        "operationId": ADD_PART,
        "parameters": {"path.thing_id": "$request.path.thing_id"},
        "requestBody": {"name": "$response.body#/tags/0"},
    }


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        (Link("create_thing", ("201",), "X", GET, {"thing_id": "1"}), "no operation 'create_thing'"),
        (Link(CREATE, ("201",), "X", "get_thing", {"thing_id": "1"}), "no operation 'get_thing'"),
        (Link(CREATE, ("200",), "X", GET, {"thing_id": "1"}), "has no response 200"),
        (Link(CREATE, ("201",), "X", GET, {"id": "$response.body#/thing_id"}), "no parameter 'id'"),
        (Link(CREATE, ("201",), "X", GET, {"query.thing_id": "1"}), "no parameter 'query.thing_id'"),
        (Link(CREATE, ("201",), "X", GET), "no value for the path parameters ['thing_id']"),
        (Link(CREATE, ("201",), "X", GET, {"thing_id": "$response.body#/id"}), "does not resolve"),
        (Link(CREATE, ("201",), "X", GET, {"thing_id": "$response.body#/tags/x"}), "does not resolve"),
        (Link(CREATE, ("201",), "X", GET, {"thing_id": "$response.body"}), "does not resolve"),
        (Link(CREATE, ("201",), "X", GET, {"thing_id": "$request.path.thing_id"}), "no path parameter"),
        (Link(CREATE, ("201",), "X", GET, {"thing_id": "$response.header.Location"}), "no such header"),
        (Link(CREATE, ("201",), "X", GET, {"thing_id": "$request.body#/nom"}), "does not resolve"),
        (Link(CREATE, ("201",), "X", GET, {"thing_id": "$responses.body#/thing_id"}), "not a runtime"),
        (
            Link(CREATE, ("201",), "X", ADD_PART, {"thing_id": "1"}, request_body={"nom": "a"}),
            "has no field 'nom'",
        ),
        (Link(CREATE, ("201",), "X", GET, {"thing_id": "1"}, request_body={"a": "b"}), "takes no JSON"),
    ],
)
def test_a_link_naming_what_the_document_lacks_is_refused_with_the_reason(link: Link, reason: str) -> None:
    with pytest.raises(LinkError, match=f"link X.*{re.escape(reason)}"):
        add_links(_things_app().openapi(), [link])


def test_a_link_named_twice_for_one_response_is_refused() -> None:
    with pytest.raises(LinkError, match="names it twice"):
        add_links(_things_app().openapi(), [READ_IT, READ_IT])


async def test_the_served_document_carries_the_links_and_a_broken_table_fails_every_time() -> None:
    app = _things_app()
    install_links(app, [READ_IT])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        served = (await client.get("/openapi.json")).json()
    assert "GetThing" in served["paths"]["/things"]["post"]["responses"]["201"]["links"]

    broken = _things_app()
    install_links(broken, [Link(CREATE, ("201",), "X", "get_thing", {"thing_id": "1"})])
    for _ in range(2):
        with pytest.raises(LinkError, match="no operation 'get_thing'"):
            broken.openapi()
