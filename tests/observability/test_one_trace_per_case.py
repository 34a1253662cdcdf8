"""Ops follow one case through one trace: HTTP -> outbox relay -> eligibility -> scheduler -> booking
event, across three processes, real Kafka and PostgreSQL, with database spans named by their tables; the
idle stack exports no span; and no patient data in spans or logs."""

import asyncio
import itertools
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml  # type: ignore[import-untyped]
from aiokafka.admin import AIOKafkaAdminClient

from tests.support.cases import a_case
from tests.support.clinic import staff_every_specialty
from tests.support.database import run_database
from tests.support.infrastructure import Infrastructure
from tests.support.kafka import read_topic
from tests.support.otlp import ReceivedSpan, SpanSink, otlp_receiver
from tests.support.polling import eventually
from tests.support.services import Pipeline, auth, free_port, running_pipeline
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.e2e
PROMETHEUS_CONFIG = Path(__file__).parents[2] / "deploy" / "prometheus" / "prometheus.yaml"

INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER = 1, 2, 3, 4, 5  # OTLP SpanKind numbers
IDLE_SECONDS = 30


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


def settled(sink: SpanSink, quiet_seconds: float = 3, timeout: float = 60) -> int:
    """Waits until no span has arrived for `quiet_seconds` (exports of finished work have landed)."""
    deadline = time.monotonic() + timeout
    count, since = len(sink.snapshot()), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = len(sink.snapshot())
        if now != count:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_seconds:
            return count
    latest = sorted({(s.service, s.name) for s in sink.snapshot()[-50:]})
    raise AssertionError(f"spans kept arriving for {timeout} s, lately: {latest}")


def test_the_idle_stack_exports_no_span(traced: tuple[Pipeline, SpanSink]) -> None:
    """Relays, consumers' polls and leader locks run all the time; with nothing to do they trace nothing.
    (First in this module: no case has been posted yet, only the clinicians set up.)"""
    _, sink = traced
    before = settled(sink)
    time.sleep(IDLE_SECONDS)
    new = sink.snapshot()[before:]
    assert not new, f"{len(new)} spans while idle: {sorted({(s.service, s.name) for s in new})[:20]}"


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

    # Database spans say what they wrote, by the semantic conventions: `{operation} {table}`, never a value.
    names = {(s.service, s.name) for s in database_spans}
    assert ("intake", "INSERT intake.cases intake.case_versions intake.outbox") in names, names
    assert any(service == "eligibility" and " eligibility." in name for service, name in names), names
    assert any(service == "scheduler" and " scheduler." in name for service, name in names), names
    for span in database_spans:
        assert span.kind == CLIENT and span.parent_span_id, span
        assert span.attributes["db.system.name"] == "postgresql"
        assert span.attributes["db.query.summary"] == span.name
        assert span.attributes["db.namespace"].startswith("bonemets_trace_")
        assert span.name.split()[0] not in {"BEGIN", "BEGIN;", "COMMIT", "COMMIT;", "WITH", "ROLLBACK"}
        assert "db.statement.parameters" not in span.attributes
        assert "db.statement" not in span.attributes

    # The ops role sees the trace id on the case view; the integration engine does not.
    url = f"{pipeline.url('intake')}/v1/cases/{case_id}"
    assert httpx.get(url, headers=auth("ops")).json()["trace_id"] == hops[0].trace_id
    assert "trace_id" not in httpx.get(url, headers=auth("integration")).json()


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


def test_a_webhook_delivery_is_a_client_span_in_the_cases_trace(traced: tuple[Pipeline, SpanSink]) -> None:
    pipeline, sink = traced
    client_kind = 3
    with WebhookReceiver().start() as receiver:
        headers = {**auth("integration"), "X-Client-Id": "traced-hospital"}
        subscribed = httpx.post(
            f"{pipeline.url('intake')}/v1/webhooks",
            json={"url": receiver.url, "event_types": ["booking.confirmed"]},
            headers=headers,
        )
        assert subscribed.status_code == 201, subscribed.text
        response = httpx.post(f"{pipeline.url('intake')}/v1/cases", json=a_case(), headers=headers)
        case_id = response.json()["case_id"]

        def delivery_span() -> ReceivedSpan | None:
            return next(
                (
                    s
                    for s in sink.snapshot()
                    if s.service == "intake"
                    and s.kind == client_kind
                    and s.attributes.get("case.id") == case_id
                ),
                None,
            )

        span = eventually(delivery_span, timeout=60)
    assert span.attributes["event.type"] == "booking.confirmed"
    assert span.attributes["http.response.status_code"] == 200
    assert span.attributes["webhook.id"] == subscribed.json()["webhook_id"]

    def ancestry() -> list[tuple[str, int, str]] | None:
        spans = {s.span_id: s for s in spans_of_trace(sink, span.trace_id)}
        chain = []
        ancestor = spans.get(span.parent_span_id)
        while ancestor is not None:
            chain.append((ancestor.service, ancestor.kind, ancestor.name))
            ancestor = spans.get(ancestor.parent_span_id)
        return chain if chain and chain[-1][:2] == ("intake", SERVER) else None

    # From the case's POST through the scheduler's booking event to intake's consumer, then the delivery.
    chain = eventually(ancestry, timeout=30)
    kinds = [(service, kind) for service, kind, _ in chain]
    assert ("scheduler", PRODUCER) in kinds and ("eligibility", CONSUMER) in kinds
    assert chain[0][:2] == ("intake", CONSUMER) and "mdt-bookings" in chain[0][2]


def test_every_span_belongs_to_a_case_or_a_named_unit_of_work(traced: tuple[Pipeline, SpanSink]) -> None:
    """After cases went through (the tests above), every trace is a case's, or a request's, or one opened by
    name for a unit of work; no database statement is a trace of its own."""
    _, sink = traced
    settled(sink)
    spans = sink.snapshot()
    assert any(s.attributes.get("case.id") for s in spans)
    by_trace: dict[str, list[ReceivedSpan]] = {}
    for span in spans:
        by_trace.setdefault(span.trace_id, []).append(span)
    for trace_id, members in by_trace.items():
        roots = [s for s in members if not s.parent_span_id]
        assert roots, f"trace {trace_id} has no root: {[s.name for s in members]}"
        for root in roots:
            assert root.kind in (SERVER, PRODUCER, CONSUMER, INTERNAL), (root.service, root.name)
            assert root.kind != INTERNAL or root.name, root
        has_case = any(s.attributes.get("case.id") for s in members)
        assert has_case or any(root.kind in (SERVER, INTERNAL) for root in roots), [s.name for s in members]
    for span in spans:
        if "db.system.name" in span.attributes or "db.system" in span.attributes:
            assert span.parent_span_id, (span.service, span.name)


def test_prometheus_scrapes_the_three_services(traced: tuple[Pipeline, SpanSink], tmp_path: Path) -> None:
    """deploy/prometheus/prometheus.yaml (what `make observe` runs) against the running services, on the
    ports this test gave them, with the alert rules loaded: the three services are `up`."""
    pipeline, _ = traced
    binary = shutil.which("prometheus")
    assert binary, "prometheus is missing: deploy/local/prometheus.sh install (make test runs it)"
    config = yaml.safe_load((PROMETHEUS_CONFIG).read_text())
    config["global"]["scrape_interval"] = config["global"]["evaluation_interval"] = "1s"
    config["rule_files"] = [str(PROMETHEUS_CONFIG.parent / pattern) for pattern in config["rule_files"]]
    ports = {"127.0.0.1:8001": "intake", "127.0.0.1:8002": "eligibility", "127.0.0.1:8003": "scheduler"}
    for job in config["scrape_configs"]:
        for group in job["static_configs"]:
            group["targets"] = [
                pipeline.url(ports[t]).removeprefix("http://") if t in ports else t for t in group["targets"]
            ]
    (tmp_path / "prometheus.yaml").write_text(yaml.safe_dump(config))
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp_path / 'prometheus.yaml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "prometheus.log").open("w"),
    )
    api = f"http://127.0.0.1:{port}/api/v1"
    try:

        def services_up() -> dict[str, str] | None:
            try:
                result = httpx.get(f"{api}/query", params={"query": 'up{job="bonemets"}'}).json()["data"][
                    "result"
                ]
            except (httpx.HTTPError, KeyError, ValueError):
                return None
            up = {r["metric"]["service"]: r["value"][1] for r in result}
            return up if up == {"intake": "1", "eligibility": "1", "scheduler": "1"} else None

        eventually(services_up, timeout=60)
        backlog = httpx.get(f"{api}/query", params={"query": "outbox_oldest_pending_age_seconds"}).json()
        assert {r["metric"]["service"] for r in backlog["data"]["result"]} == {
            "intake",
            "eligibility",
            "scheduler",
        }
        rules = httpx.get(f"{api}/rules").json()["data"]["groups"]
        loaded = [rule for group in rules for rule in group["rules"]]
        assert len(loaded) >= 10 and all(rule["health"] != "err" for rule in loaded), loaded
    finally:
        process.terminate()
        process.wait(10)


def test_an_outcome_note_stays_in_the_scheduler_database(
    traced: tuple[Pipeline, SpanSink], infrastructure: Infrastructure, run_id: str
) -> None:
    """meetings.md §6: a note is clinicians' free text. Written into an outcome (and into a refused one), it is
    found in no log line, no span and no dead letter."""
    pipeline, sink = traced
    marker = f"NOTE-{uuid.uuid4().hex}"
    intake = httpx.Client(base_url=pipeline.url("intake"), headers=auth("integration"), timeout=30)
    scheduler = httpx.Client(base_url=pipeline.url("scheduler"), headers=auth("clinician"), timeout=30)
    case_id = intake.post("/v1/cases", json=a_case()).json()["case_id"]

    def listed() -> dict[str, Any] | None:
        found = scheduler.get("/v1/bookings", params={"case_id": case_id}).json()
        return next((b for b in found if b["status"] == "confirmed" and b.get("item_id")), None)

    placement = eventually(listed, timeout=60)
    meeting = scheduler.get(f"/v1/meetings/{placement['meeting_id']}").json()
    agenda = scheduler.get(f"/v1/meetings/{placement['meeting_id']}/agenda").json()
    verdicts = next(i for i in agenda if i["item_id"] == placement["item_id"])["recommendation"]
    decisions = [
        {"therapy": t, "decision": "accepted", "note": marker}
        for t, status in verdicts.items()
        if status in ("recommended", "consider")
    ]
    url = f"/v1/meetings/{placement['meeting_id']}/items/{placement['item_id']}/outcome"
    body = {
        "decisions": decisions,
        "intent": "palliative",
        "attendees": [a["clinician_id"] for a in meeting["attendance"] if a["response"] == "expected"],
    }
    refused = scheduler.post(url, json={**body, "decisions": [{**decisions[0], "decision": "declined"}]})
    assert refused.status_code == 422 and marker not in refused.text
    recorded = scheduler.post(url, json=body)
    assert recorded.status_code == 201, recorded.text
    eventually(lambda: intake.get(f"/v1/cases/{case_id}").json()["status"] == "discussed" or None, timeout=30)
    settled(sink)

    for span in sink.snapshot():
        assert marker not in repr(span.attributes) + span.name
    for service in pipeline.services.values():
        assert marker not in service.log_path.read_text()
    letters = asyncio.run(
        dead_letters_containing(infrastructure.kafka_bootstrap_servers, f"trace-{run_id}.", marker)
    )
    assert letters == 0


async def dead_letters_containing(bootstrap: str, prefix: str, marker: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(prefix) and t.endswith(".dlq")]
    finally:
        await admin.close()
    assert topics, "the run's dead-letter topics exist"
    found = 0
    for topic in topics:
        for record in await read_topic(bootstrap, topic, idle_seconds=1.0):
            found += marker.encode() in (record.value or b"") + repr(record.headers).encode()
    return found
