"""Without an exporter nothing is recorded, yet every span still has a trace context that reaches log lines
and the outbox's traceparent; with one, spans are recorded."""

from opentelemetry import trace
from opentelemetry.trace import format_trace_id

from shared.telemetry import (
    attached,
    build_provider,
    context_from_headers,
    current_trace_headers,
    trace_id_from_headers,
    unit_of_work,
)


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


def test_trace_id_from_headers() -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    assert trace_id_from_headers({"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"}) == trace_id
    for broken in ({}, {"traceparent": "garbage"}, {"traceparent": f"00-{'0' * 32}-00f067aa0ba902b7-01"}):
        assert trace_id_from_headers(broken) is None
    assert trace_id_from_headers({"traceparent": f"00-{'z' * 32}-00f067aa0ba902b7-01"}) is None


def test_a_unit_of_work_is_a_root_span_linked_to_what_triggered_it() -> None:
    provider = build_provider("scheduler", {"OTEL_TRACES_SAMPLER": "always_on"})
    tracer = provider.get_tracer("test")
    with (
        tracer.start_as_current_span("POST /v1/clinicians") as request,
        unit_of_work("worklist retry", {"entries": 2}, tracer=tracer) as work,
    ):
        assert work.is_recording()
        assert work.get_span_context().trace_id != request.get_span_context().trace_id
        assert work.parent is None  # type: ignore[attr-defined]
        assert [link.context for link in work.links] == [request.get_span_context()]  # type: ignore[attr-defined]
    with unit_of_work("mdt-meeting reminders", tracer=tracer) as idle_started:
        assert idle_started.links == ()  # type: ignore[attr-defined]
    provider.shutdown()
