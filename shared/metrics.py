"""The pipeline's Prometheus metrics. Labels carry codes and counts only, never a case id or patient data."""

from prometheus_client import Counter, Gauge, Histogram

EVENTS_WRITTEN = Counter(
    "pipeline_events_written_total",
    "Events written to the outbox, by type (case.submitted = cases received; booking.* = bookings by outcome)",
    ["event_type", "urgency"],
)
EVENTS_PUBLISHED = Counter("outbox_events_published_total", "Outbox rows published to Kafka")
PRODUCER_RENEWALS = Counter(
    "kafka_producer_renewals_total",
    "Kafka producers replaced after a failed delivery left a gap in a partition's sequence, by error",
    ["error"],
)
OUTBOX_PENDING = Gauge("outbox_pending_events", "Outbox rows not yet published (backlog)")
OUTBOX_OLDEST_PENDING_AGE = Gauge(
    "outbox_oldest_pending_age_seconds", "Age of the oldest outbox row not yet published (0 when none)"
)
RECORDS_CONSUMED = Counter(
    "consumer_records_total",
    "Records a consumer handled, by outcome (applied, duplicate, dead_lettered)",
    ["consumer", "topic", "outcome"],
)
CONSUMER_LAG = Gauge(
    "consumer_lag_records",
    "High-water mark minus the consumer's position",
    ["consumer", "topic", "partition"],
)
SUBMISSION_TO_BOOKING = Histogram(
    "case_submission_to_booking_seconds",
    "From a case version's acceptance by intake to its first booking decision seen by intake",
    ["outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
WORKLIST_SIZE = Gauge("scheduler_worklist_size", "Waitlisted cases")
MDT_RECOMMENDATION_DECISIONS = Counter(
    "mdt_recommendation_decisions_total",
    "MDT decisions per therapy, by the verdict the meeting saw and the decision taken (each outcome version once)",
    ["therapy", "verdict", "decision"],
)
