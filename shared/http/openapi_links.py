"""OpenAPI links between a service's operations (the Link Object of OpenAPI 3.1), added to the document
FastAPI generates: "the `case_id` of this 202 is the `case_id` of GET /v1/cases/{case_id}". A client (and
schemathesis' stateful phase) follows them to chain calls with real ids.

The routes stay as they are: each service keeps a table of `Link`s naming operationIds, and
`install_links` adds them when the document is first generated. A link whose operation, response,
parameter or runtime expression does not exist in the document is refused with a LinkError naming it, so a
renamed route or a changed response model cannot leave a link pointing nowhere."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
REQUEST_PARAMETER_PREFIX = "$request."
BODY_PREFIXES = {"$request.body": "request", "$response.body": "response"}
CONSTANT_EXPRESSIONS = ("$url", "$method", "$statusCode")


class LinkError(ValueError):
    """A link names something the document does not have."""


@dataclass(frozen=True)
class Link:
    """From the `responses` of operation `source`, link `name` to operation `target`, whose `parameters`
    (name, or `in.name` where names clash) and optionally `request_body` fields take the values of runtime
    expressions (`$response.body#/case_id`, `$request.path.meeting_id`) or constants."""

    source: str
    responses: Sequence[str]
    name: str
    target: str
    parameters: Mapping[str, str] = field(default_factory=dict)
    request_body: Mapping[str, Any] | None = None


def fan_out(
    source: str, responses: Sequence[str], parameters: Mapping[str, str], targets: Mapping[str, str]
) -> list[Link]:
    """One link per `name: target operationId`, each taking the same `parameters`."""
    return [Link(source, responses, name, target, parameters) for name, target in targets.items()]


def install_links(app: FastAPI, links: Iterable[Link]) -> None:
    """Adds `links` to the document when FastAPI first generates it (after every router is included)."""
    table = list(links)
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            try:
                add_links(generate(), table)
            except LinkError:
                app.openapi_schema = None  # every request for the document fails the same way
                raise
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def add_links(document: dict[str, Any], links: Iterable[Link]) -> dict[str, Any]:
    """Checks every link against `document`, then writes them into the source responses' `links`."""
    operations = _operations_by_id(document)
    resolved: list[tuple[dict[str, Any], Link]] = []
    for link in links:
        source = _operation(operations, link.source, link)
        target = _operation(operations, link.target, link)
        for status in link.responses:
            response = source.get("responses", {}).get(status)
            if response is None:
                raise LinkError(f"link {link.name}: {link.source} has no response {status}")
            _check_link(document, link, source, status, target)
            resolved.append((response, link))
    for response, link in resolved:
        existing = response.setdefault("links", {})
        if link.name in existing:
            raise LinkError(f"link {link.name}: {link.source} names it twice for one response")
        existing[link.name] = _link_object(link)
    return document


def _link_object(link: Link) -> dict[str, Any]:
    body: dict[str, Any] = {"operationId": link.target}
    if link.parameters:
        body["parameters"] = dict(link.parameters)
    if link.request_body is not None:
        body["requestBody"] = dict(link.request_body)
    return body


def _operations_by_id(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for item in document.get("paths", {}).values():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is not None and "operationId" in operation:
                # A shallow copy: its `responses` are the document's own, where the links are written.
                found[operation["operationId"]] = {**operation, "parameters": _parameters(item, operation)}
    return found


def _parameters(item: Mapping[str, Any], operation: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [*item.get("parameters", []), *operation.get("parameters", [])]


def _operation(operations: Mapping[str, dict[str, Any]], operation_id: str, link: Link) -> dict[str, Any]:
    try:
        return operations[operation_id]
    except KeyError:
        raise LinkError(f"link {link.name}: no operation {operation_id!r} in the document") from None


def _check_link(
    document: Mapping[str, Any], link: Link, source: Mapping[str, Any], status: str, target: Mapping[str, Any]
) -> None:
    where = f"link {link.name} ({link.source} {status} -> {link.target})"
    given: set[tuple[str, str]] = set()
    for key, expression in link.parameters.items():
        location, _, name = key.rpartition(".")
        matches = [
            p for p in target["parameters"] if p["name"] == name and (not location or p["in"] == location)
        ]
        if len(matches) != 1:
            raise LinkError(
                f"{where}: {link.target} has {'no' if not matches else 'several'} parameter {key!r}"
            )
        given.add((matches[0]["in"], name))
        _check_expression(document, where, expression, source, status)
    missing = sorted(
        p["name"] for p in target["parameters"] if p["in"] == "path" and ("path", p["name"]) not in given
    )
    if missing:
        raise LinkError(f"{where}: gives no value for the path parameters {missing} of {link.target}")
    if link.request_body is not None:
        schema = _json_schema(document, target.get("requestBody", {}))
        if schema is None:
            raise LinkError(f"{where}: {link.target} takes no JSON request body")
        for name, value in link.request_body.items():
            if not _resolves(document, schema, [name]):
                raise LinkError(f"{where}: the request body of {link.target} has no field {name!r}")
            _check_expression(document, where, value, source, status)


def _check_expression(
    document: Mapping[str, Any], where: str, expression: Any, source: Mapping[str, Any], status: str
) -> None:
    if (
        not isinstance(expression, str)
        or not expression.startswith("$")
        or expression in CONSTANT_EXPRESSIONS
    ):
        return
    head, _, pointer = expression.partition("#")
    if head in BODY_PREFIXES:
        holder = (
            source["responses"][status]
            if BODY_PREFIXES[head] == "response"
            else source.get("requestBody", {})
        )
        schema = _json_schema(document, holder)
        if schema is None:
            raise LinkError(f"{where}: {expression}: that {BODY_PREFIXES[head]} has no JSON body")
        if not pointer.startswith("/") or not _resolves(document, schema, _tokens(pointer)):
            raise LinkError(
                f"{where}: {expression} does not resolve in the {BODY_PREFIXES[head]} body schema"
            )
        return
    if expression.startswith(REQUEST_PARAMETER_PREFIX) and not pointer:
        location, _, name = expression.removeprefix(REQUEST_PARAMETER_PREFIX).partition(".")
        if any(p["in"] == location and p["name"].lower() == name.lower() for p in source["parameters"]):
            return
        raise LinkError(f"{where}: {expression}: the source operation has no {location} parameter {name!r}")
    if expression.startswith("$response.header.") and not pointer:
        headers = {h.lower() for h in source["responses"][status].get("headers", {})}
        if expression.removeprefix("$response.header.").lower() in headers:
            return
        raise LinkError(f"{where}: {expression}: the response documents no such header")
    raise LinkError(f"{where}: {expression} is not a runtime expression this table understands")


def _json_schema(document: Mapping[str, Any], holder: Mapping[str, Any]) -> Mapping[str, Any] | None:
    content = holder.get("content", {})
    media = content.get("application/json") or next(
        (value for key, value in content.items() if key.endswith("+json")), None
    )
    if media is None or "schema" not in media:
        return None
    return _dereference(document, media["schema"])


def _tokens(pointer: str) -> list[str]:
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer.split("/")[1:]]


def _dereference(document: Mapping[str, Any], schema: Mapping[str, Any]) -> Mapping[str, Any]:
    seen: set[str] = set()
    while "$ref" in schema:
        reference = schema["$ref"]
        if not reference.startswith("#/") or reference in seen:
            raise LinkError(f"cannot follow the schema reference {reference!r}")
        seen.add(reference)
        node: Any = document
        for token in _tokens(reference[1:]):
            node = node[token]
        schema = node
    return schema


def _resolves(document: Mapping[str, Any], schema: Mapping[str, Any], tokens: list[str]) -> bool:
    """Whether a value valid against `schema` can have something at the JSON pointer `tokens`."""
    schema = _dereference(document, schema)
    if not tokens:
        return True
    for keyword in ("anyOf", "oneOf", "allOf"):
        if any(_resolves(document, branch, tokens) for branch in schema.get(keyword, [])):
            return True
    head, rest = tokens[0], tokens[1:]
    if head in schema.get("properties", {}):
        return _resolves(document, schema["properties"][head], rest)
    if head.isdigit() and isinstance(schema.get("items"), Mapping):
        return _resolves(document, schema["items"], rest)
    additional = schema.get("additionalProperties")
    if additional is True:
        return True
    if isinstance(additional, Mapping):
        return _resolves(document, additional, rest)
    return False
