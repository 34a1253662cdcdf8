"""Without an exporter nothing is recorded, yet every span still has a trace context that reaches log lines
and the outbox's traceparent; with one, spans are recorded."""

from opentelemetry import trace
from opentelemetry.trace import format_trace_id

from shared.telemetry import attached, build_provider, context_from_headers, current_trace_headers


def test_no_exporter_records_nothing_but_keeps_the_trace_context() -> None:
    tracer = build_provider("intake", {}).get_tracer("test")
    with tracer.start_as_current_span("POST /v1/cases") as request:
        assert not request.is_recording()
        context = request.get_span_context()
        assert context.is_valid
        headers = current_trace_headers()
    assert format_trace_id(context.trace_id) in headers["traceparent"]

    # Downstream, a span started from those headers continues the same trace.
    with (
        attached(context_from_headers(headers)),
        tracer.start_as_current_span("case-events process") as child,
    ):
        assert child.get_span_context().trace_id == context.trace_id
        assert trace.get_current_span() is child


def test_an_exporter_or_an_explicit_sampler_records() -> None:
    for env in ({"OTEL_TRACES_EXPORTER": "console"}, {"OTEL_TRACES_SAMPLER": "always_on"}):
        provider = build_provider("intake", env)
        with provider.get_tracer("test").start_as_current_span("POST /v1/cases") as span:
            assert span.is_recording(), env
        provider.shutdown()
