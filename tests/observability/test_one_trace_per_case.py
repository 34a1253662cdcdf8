"""Ops follow one case through one trace: HTTP -> outbox relay -> eligibility -> scheduler -> booking
event, across three processes, real Kafka and PostgreSQL; and no patient data in spans or logs."""

import itertools
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.cases import a_case
from tests.support.clinic import staff_every_specialty
from tests.support.database import run_database
from tests.support.infrastructure import Infrastructure
from tests.support.otlp import ReceivedSpan, SpanSink, otlp_receiver
from tests.support.polling import eventually
from tests.support.services import Pipeline, auth, free_port, running_pipeline

pytestmark = pytest.mark.e2e

PRODUCER, CONSUMER, SERVER = 4, 5, 2  # OTLP SpanKind numbers


@pytest.fixture(scope="module")
def traced(
    infrastructure: Infrastructure, run_id: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Pipeline, SpanSink]]:
    port = free_port()
    env = {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"http://127.0.0.1:{port}/v1/traces",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
    }
    log_dir: Path = tmp_path_factory.mktemp("traced-logs")
    with (
        otlp_receiver(port) as sink,
        run_database(infrastructure.admin_database_url, f"bonemets_trace_{run_id}") as url,
        running_pipeline(
            url, infrastructure.kafka_bootstrap_servers, f"trace-{run_id}.", log_dir, env
        ) as pipeline,
    ):
        staff_every_specialty(pipeline.url("scheduler"))
        yield pipeline, sink


def spans_of_trace(sink: SpanSink, trace_id: str) -> list[ReceivedSpan]:
    return sorted((s for s in sink.snapshot() if s.trace_id == trace_id), key=lambda s: s.start_ns)


def test_a_submission_is_one_trace_across_all_three_services(traced: tuple[Pipeline, SpanSink]) -> None:
    pipeline, sink = traced
    case = a_case()
    response = httpx.post(f"{pipeline.url('intake')}/v1/cases", json=case, headers=auth("integration"))
    assert response.status_code == 202
    case_id = response.json()["case_id"]

    hop_kinds = [
        ("intake", SERVER, "POST"),
        ("intake", PRODUCER, "case-events"),
        ("eligibility", CONSUMER, "case-events"),
        ("eligibility", PRODUCER, "therapy-recommendations"),
        ("scheduler", CONSUMER, "therapy-recommendations"),
        ("scheduler", PRODUCER, "mdt-bookings"),
    ]

    def hops_of(spans: list[ReceivedSpan]) -> list[ReceivedSpan] | None:
        found = [
            next((s for s in spans if s.service == service and s.kind == kind and part in s.name), None)
            for service, kind, part in hop_kinds
        ]
        return None if None in found else [hop for hop in found if hop is not None]

    def trace_complete() -> tuple[list[ReceivedSpan], list[ReceivedSpan]] | None:
        # Each service exports in its own batches: wait until every hop of the case's trace has arrived.
        roots = {s.trace_id for s in sink.snapshot() if s.attributes.get("case.id") == case_id}
        for trace_id in roots:
            spans = spans_of_trace(sink, trace_id)
            hops = hops_of(spans)
            if hops is not None:
                return spans, hops
        return None

    spans, hops = eventually(trace_complete, timeout=60)
    assert {s.service for s in spans} >= {"intake", "eligibility", "scheduler"}
    database_spans = [
        s
        for s in spans
        if s.attributes.get("db.system") == "postgresql" or s.attributes.get("db.system.name") == "postgresql"
    ]
    assert {s.service for s in database_spans} >= {"intake", "eligibility", "scheduler"}
    starts = [hop.start_ns for hop in hops]
    assert starts == sorted(starts), [h.name for h in hops]
    # Each hop descends from the one before it.
    by_id = {s.span_id: s for s in spans}
    for parent, child in itertools.pairwise(hops):
        ancestor = by_id.get(child.parent_span_id)
        while ancestor is not None and ancestor.span_id != parent.span_id:
            ancestor = by_id.get(ancestor.parent_span_id)
        assert ancestor is not None, f"{child.service}:{child.name} does not descend from {parent.name}"

    consume = hops[2]
    assert consume.attributes["messaging.system"] == "kafka"
    assert consume.attributes["messaging.destination.name"].endswith("case-events")
    assert "messaging.kafka.offset" in consume.attributes
    assert consume.attributes["messaging.consumer.group.name"].endswith("eligibility")
    assert consume.attributes["case.version"] == 1


def test_no_patient_identifying_value_in_spans_or_logs(traced: tuple[Pipeline, SpanSink]) -> None:
    pipeline, sink = traced
    case = a_case()
    case["patient"]["pseudonym"] = "PSEUDO-7f3c2a-SECRET"
    case["patient"]["birth_year"] = 1931
    response = httpx.post(f"{pipeline.url('intake')}/v1/cases", json=case, headers=auth("integration"))
    case_id = response.json()["case_id"]
    eventually(
        lambda: (
            True
            if any(
                s.attributes.get("case.id") == case_id and s.service == "scheduler" for s in sink.snapshot()
            )
            else None
        ),
        timeout=60,
    )
    for span in sink.snapshot():
        assert "PSEUDO-7f3c2a-SECRET" not in repr(span.attributes) + span.name
        assert not any(value in (1931, "1931") for value in span.attributes.values())
        assert not any("birth" in key for key in span.attributes)
    for service in pipeline.services.values():
        log = service.log_path.read_text()
        assert "PSEUDO-7f3c2a-SECRET" not in log
        assert "birth_year" not in log


def test_metrics_show_the_pipeline(traced: tuple[Pipeline, SpanSink]) -> None:
    pipeline, _ = traced
    response = httpx.post(f"{pipeline.url('intake')}/v1/cases", json=a_case(), headers=auth("integration"))
    case_id = response.json()["case_id"]
    eventually(
        lambda: (
            True
            if httpx.get(f"{pipeline.url('intake')}/v1/cases/{case_id}", headers=auth("integration")).json()[
                "status"
            ]
            in ("booked", "listed")
            else None
        ),
        timeout=60,
    )
    intake = httpx.get(f"{pipeline.url('intake')}/metrics").text
    assert 'pipeline_events_written_total{event_type="case.submitted",urgency=""}' in intake
    assert "outbox_pending_events 0.0" in intake
    assert 'case_submission_to_booking_seconds_count{outcome="confirmed"}' in intake
    assert (
        'http_request_duration_seconds_bucket{le="0.005",method="POST",route="/v1/cases",service="intake"}'
        in intake
    )
    eligibility = httpx.get(f"{pipeline.url('eligibility')}/metrics").text
    assert 'pipeline_events_written_total{event_type="recommendation.issued"' in eligibility
    assert 'consumer_records_total{consumer="eligibility"' in eligibility
    assert "consumer_lag_records{" in eligibility
    scheduler = httpx.get(f"{pipeline.url('scheduler')}/metrics").text
    assert 'pipeline_events_written_total{event_type="booking.confirmed"' in scheduler
    assert "scheduler_worklist_size 0.0" in scheduler
