"""The FastAPI application every service builds on: health, readiness, metrics, problem+json errors,
body limit, HTTP server spans and request metrics."""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.semconv.attributes.http_attributes import HTTP_ROUTE
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.limits import BodySizeLimit
from shared.http.openapi_links import Link, install_links
from shared.http.problems import install_problem_handlers

ReadinessCheck = Callable[[], Awaitable[None]]
UNAUTHENTICATED_PATHS = ("/healthz", "/readyz", "/metrics")

HTTP_REQUESTS = Counter("http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


class RequestMetrics:
    """Request count and latency by route template (never the raw path, which may hold ids). Pure ASGI: the
    decorator form (BaseHTTPMiddleware) costs an extra task and body stream per request."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self._app = app
        self._service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, send_and_note_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            HTTP_LATENCY.labels(self._service, method, route).observe(time.perf_counter() - started)
            HTTP_REQUESTS.labels(self._service, method, route, str(status)).inc()


def create_app(
    *,
    service: str,
    title: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    readiness: Callable[[], dict[str, ReadinessCheck]],
    max_body_bytes: int,
    body_limits: Mapping[str, int] | None = None,
    refresh_metrics: Callable[[], Awaitable[None]] | None = None,
    asyncapi: dict[str, Any] | None = None,
    links: Sequence[Link] = (),
) -> FastAPI:
    """`links` (shared/http/openapi_links.py) are added to the OpenAPI document once every router is in."""
    app = FastAPI(title=title, version="1", lifespan=lifespan)
    install_links(app, links)
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes, path_limits=body_limits)

    app.add_middleware(RequestMetrics, service=service)

    if asyncapi is not None:

        @app.get("/asyncapi.json", include_in_schema=False)
        async def asyncapi_document() -> dict[str, Any]:
            """The AsyncAPI 3.0 document of the topics this service publishes and consumes."""
            return asyncapi

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], responses={503: {"description": "a dependency is not reachable"}})
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in readiness().items():
            try:
                await asyncio.wait_for(check(), 3)
                results[name] = "ok"
            except Exception as error:
                results[name] = f"unavailable: {type(error).__name__}"
        ready = all(value == "ok" for value in results.values())
        return JSONResponse({"ready": ready, "checks": results}, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["ops"], response_class=Response)
    async def metrics() -> Response:
        if refresh_metrics is not None:
            # Gauges read from the database (backlogs) are refreshed on scrape; a failure leaves the last value.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(refresh_metrics(), 2)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    # The server span per request, without the ASGI instrumentation's internal span per body chunk sent or
    # received (two or three more spans a request, which say nothing the server span does not).
    FastAPIInstrumentor.instrument_app(
        app, excluded_urls=",".join(UNAUTHENTICATED_PATHS), exclude_spans=["receive", "send"]
    )
    _remember_static_span_details(app)
    return app


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class StaticRouteSpanDetails:
    """The instrumentation's span name and attributes for a request (its route template), kept for routes
    without path parameters. It finds them by matching the request against every route of the app, on
    every request whether the span is recorded or not: 14 % of the CPU of `POST /v1/cases` in process
    (bench/PROFILE.md section 9). When the route it finds is the request's path itself, the answer depends
    on nothing but the method and the path, so it is kept: one entry per such route and standard method
    (never per path with an id in it, nor per made-up method)."""

    def __init__(self, details: Callable[[Any], tuple[str, dict[str, str]]]) -> None:
        self._details = details
        self._known: dict[tuple[str, str, str], tuple[str, dict[str, str]]] = {}

    def __call__(self, scope: Scope) -> tuple[str, dict[str, str]]:
        key = (scope["type"], scope.get("method", ""), scope["path"])
        known = self._known.get(key)
        if known is None:
            known = self._details(scope)
            if (
                key[0] == "http"
                and key[1] in _METHODS
                and not scope.get("root_path")
                and known[1].get(HTTP_ROUTE) == key[2]
            ):
                self._known[key] = known
        return known[0], dict(known[1])


def _remember_static_span_details(app: FastAPI) -> None:
    build = app.build_middleware_stack

    def build_middleware_stack() -> ASGIApp:
        stack = build()
        tracing = getattr(stack, "app", None)  # the instrumentation's stack: ServerErrorMiddleware(otel(...))
        if isinstance(tracing, OpenTelemetryMiddleware):
            tracing.default_span_details = StaticRouteSpanDetails(tracing.default_span_details)
        return stack

    app.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign]
