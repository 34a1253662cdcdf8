"""The server span's name and route (`POST /v1/cases`) are what the FastAPI instrumentation finds, whether
kept from an earlier request of a route without path parameters or found again; nothing is kept per id."""

import uuid
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import _get_default_span_details

from services.intake.main import http_app
from services.intake.settings import IntakeSettings
from shared.http.app import StaticRouteSpanDetails


@asynccontextmanager
async def _nothing(_: FastAPI) -> Any:
    yield


def _app() -> FastAPI:
    return http_app(IntakeSettings(environment="test"), lifespan=_nothing, readiness=dict)


def _scope(app: FastAPI, method: str, path: str, kind: str = "http") -> dict[str, Any]:
    scope: dict[str, Any] = {"type": kind, "path": path, "root_path": "", "app": app, "headers": []}
    if kind == "http":
        scope["method"] = method
    return scope


def test_the_span_details_are_the_instrumentations_and_only_routes_without_parameters_are_kept() -> None:
    app = _app()
    details = StaticRouteSpanDetails(_get_default_span_details)
    requests = [
        ("POST", "/v1/cases"),
        ("POST", "/v1/cases"),
        ("GET", f"/v1/cases/{uuid.uuid4()}"),
        ("GET", f"/v1/cases/{uuid.uuid4()}"),
        ("GET", "/v1/cases"),
        ("BREW", "/v1/cases"),
        ("POST", "/v1/fhir/Bundle"),
        ("GET", "/nowhere"),
    ]
    for method, path in requests * 2:
        scope = _scope(app, method, path)
        assert details(scope) == _get_default_span_details(scope), (method, path)
    assert details(_scope(app, "", "/v1/cases", "websocket")) == _get_default_span_details(
        _scope(app, "", "/v1/cases", "websocket")
    )
    assert details(_scope(app, "POST", "/v1/cases")) == ("POST /v1/cases", {"http.route": "/v1/cases"})
    assert sorted(details._known) == [
        ("http", "GET", "/v1/cases"),
        ("http", "POST", "/v1/cases"),
        ("http", "POST", "/v1/fhir/Bundle"),
    ]


async def test_every_app_names_its_spans_through_it() -> None:
    app = _app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client:
        await client.get("/healthz")
    assert isinstance(app.middleware_stack.app.default_span_details, StaticRouteSpanDetails)  # type: ignore[union-attr]
