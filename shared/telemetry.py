"""OpenTelemetry set-up, configured through the standard OTEL_* variables, and W3C context helpers.

No trace without work: a background loop (a relay, a consumer's poll, a timer) records nothing while it finds
nothing to do (database statements are spans only inside traced work, shared/db/tracing.py); once it has
work, it continues the trace the work came with (an outbox row's or a record's traceparent) or opens
`unit_of_work(name)`, a root span named for that work.

OTEL_SERVICE_NAME names the service (default: the service's own name); OTEL_TRACES_EXPORTER is
`otlp` (OTLP over HTTP, endpoint from OTEL_EXPORTER_OTLP_ENDPOINT), `console` or `none` (default: context
is propagated, nothing is recorded).
"""

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from opentelemetry import context, trace
from opentelemetry.context import Context
from opentelemetry.propagate import extract, inject
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import Link, Span, SpanKind, Tracer

_provider: TracerProvider | None = None


def setup_tracing(default_service_name: str) -> TracerProvider:
    """Idempotent: the first call installs the global provider, later calls return it."""
    global _provider
    if _provider is None:
        _provider = build_provider(default_service_name, os.environ)
        trace.set_tracer_provider(_provider)
    return _provider


def build_provider(default_service_name: str, env: Mapping[str, str]) -> TracerProvider:
    attributes = {} if env.get("OTEL_SERVICE_NAME") else {"service.name": default_service_name}
    exporter = env.get("OTEL_TRACES_EXPORTER", "none").strip().lower()
    # Nothing exported: spans are not recorded either (their cost is in every request and statement); the
    # trace context still flows through HTTP, the outbox and Kafka, so log lines keep their trace ids.
    # OTEL_TRACES_SAMPLER, when set, decides instead (the SDK reads it).
    sampler = ALWAYS_OFF if exporter == "none" and not env.get("OTEL_TRACES_SAMPLER") else None
    provider = TracerProvider(resource=Resource.create(attributes), sampler=sampler)
    if exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    elif exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    return provider


def current_trace_headers() -> dict[str, str]:
    """The W3C `traceparent` / `tracestate` of the active span, for an outbox row or a record."""
    carrier: dict[str, str] = {}
    inject(carrier)
    return carrier


def trace_id_from_headers(headers: Mapping[str, str]) -> str | None:
    """The trace id (32 hex digits) of a W3C `traceparent`, None when there is none or it is malformed."""
    parts = headers.get("traceparent", "").split("-")
    if len(parts) == 4 and len(parts[1]) == 32 and parts[1] != "0" * 32:
        try:
            int(parts[1], 16)
        except ValueError:
            return None
        return parts[1].lower()
    return None


def context_from_headers(headers: Mapping[str, str] | Sequence[tuple[str, bytes]] | None) -> Context:
    if headers is None:
        return extract({})
    if isinstance(headers, Mapping):
        return extract(dict(headers))
    return extract({key: value.decode("latin-1") for key, value in headers})


@contextmanager
def unit_of_work(
    name: str, attributes: Mapping[str, str | int] | None = None, *, tracer: Tracer | None = None
) -> Iterator[Span]:
    """A root span named for work a background loop found (e.g. `mdt-meeting reminders`), linked to the span
    that was current, if any (the trace that triggered it); its statements and events are its children."""
    current = trace.get_current_span().get_span_context()
    with (tracer or trace.get_tracer(__name__)).start_as_current_span(
        name,
        context=Context(),
        kind=SpanKind.INTERNAL,
        links=[Link(current)] if current.is_valid else None,
        attributes=dict(attributes or {}),
    ) as span:
        yield span


@contextmanager
def attached(ctx: Context) -> Iterator[None]:
    token = context.attach(ctx)
    try:
        yield
    finally:
        context.detach(token)
