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
MDT_TIME_TO_DISCUSSION = Histogram(
    "mdt_time_to_discussion_seconds",
    "From the case's evaluation (within a second of its receipt) to its first MDT discussion, by urgency",
    ["urgency"],
    buckets=(3600, 6 * 3600, 24 * 3600, 72 * 3600, 7 * 86400, 14 * 86400, 28 * 86400, 56 * 86400),
)
MDT_DEADLINE_MISSED = Counter(
    "mdt_deadline_missed_total",
    "Cases first discussed after their deadline (evaluation + book_within_hours), by urgency",
    ["urgency"],
)
MDT_MEETING_UTILISATION = Histogram(
    "mdt_meeting_utilisation_ratio",
    "Used over capacity minutes of each meeting, observed when it is finished",
    buckets=(0.1, 0.25, 0.5, 0.75, 0.9, 1.0),
)
MEETINGS_WITHOUT_QUORUM = Gauge(
    "mdt_meetings_without_quorum",
    "Scheduled or locked MDT meetings starting within the window that lack their team's quorum",
    ["within"],
)
