"""How the console reads the services' answers for a clinician: a recommendation with its alerts first, a
deadline as time left, a week of meetings. Pure: dicts in, plain values out."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shared.contracts.codes import TherapyCode

# contracts.md §1, the therapies table.
THERAPY_LABELS: dict[str, str] = {
    "non_opioid_analgesic": "Non-opioid analgesic (paracetamol / NSAIDs)",
    "opioid_analgesic": "Opioid analgesic",
    "neuropathic_adjuvant": "Neuropathic adjuvant",
    "osteoclast_inhibitor": "Osteoclast inhibitor (bisphosphonate / denosumab)",
    "physical_activity": "Supervised exercise / rehabilitation",
    "systemic_therapy": "Systemic therapy",
    "external_beam_radiotherapy": "External beam radiotherapy",
    "hemibody_radiotherapy": "Hemibody radiotherapy",
    "radiopharmaceutical": "Bone-targeted radiopharmaceutical",
    "surgery": "Surgery (stabilisation, decompression, resection)",
    "postoperative_radiotherapy": "Postoperative radiotherapy",
    "thermal_ablation": "Thermal ablation",
    "stereotactic_body_radiotherapy": "Stereotactic body radiotherapy (SBRT / SABR)",
    "vertebral_augmentation": "Vertebral augmentation (vertebroplasty / kyphoplasty)",
}
VERDICT_LABELS: dict[str, str] = {
    "recommended": "Recommended",
    "consider": "Consider",
    "insufficient_data": "Insufficient data",
    "not_indicated": "Not indicated",
    "contraindicated": "Contraindicated",
}
READINESS_LABELS = {
    "imaging": "Imaging reviewed",
    "histology": "Histology confirmed",
    "spine_mri": "Spine MRI",
}


@dataclass(frozen=True)
class TherapyLine:
    code: str
    label: str
    status: str
    status_label: str
    reasons: list[dict[str, str]]
    missing: list[str]
    eligible_from: str | None


@dataclass(frozen=True)
class LesionScore:
    lesion_id: str
    sins: int | None
    sins_band: str | None
    mirels: int | None


@dataclass(frozen=True)
class RecommendationReading:
    case_version: int
    ruleset_version: str
    evaluated_at: str
    urgency: str
    book_within_hours: int | None
    required_specialties: list[str]
    alerts: list[dict[str, str]]
    therapies: list[TherapyLine]
    scores: list[LesionScore]
    discussion: str | None
    discussion_reasons: list[str]


def read_recommendation(recommendation: Mapping[str, Any]) -> RecommendationReading:
    """Alerts first; every therapy in the contract's order (those the contract does not know after them)."""
    order = {code.value: index for index, code in enumerate(TherapyCode)}
    therapies = sorted(
        recommendation.get("therapies") or [], key=lambda t: order.get(t.get("code"), len(order))
    )
    return RecommendationReading(
        case_version=int(recommendation.get("case_version") or 0),
        ruleset_version=str(recommendation.get("ruleset_version", "")),
        evaluated_at=str(recommendation.get("evaluated_at", "")),
        urgency=str(recommendation.get("urgency", "")),
        book_within_hours=recommendation.get("book_within_hours"),
        required_specialties=list(recommendation.get("required_specialties") or []),
        alerts=[
            {"code": str(a.get("code", "")), "text": str(a.get("text", ""))}
            for a in recommendation.get("alerts") or []
        ],
        therapies=[
            TherapyLine(
                code=str(t.get("code")),
                label=THERAPY_LABELS.get(str(t.get("code")), str(t.get("code"))),
                status=str(t.get("status")),
                status_label=VERDICT_LABELS.get(str(t.get("status")), str(t.get("status"))),
                reasons=[
                    {
                        "code": str(r.get("code", "")),
                        "text": str(r.get("text", "")),
                        "source": str(r.get("source", "")),
                    }
                    for r in t.get("reasons") or []
                ],
                missing=[str(m) for m in t.get("missing") or []],
                eligible_from=t.get("eligible_from"),
            )
            for t in therapies
        ],
        scores=[
            LesionScore(lesion_id, s.get("sins"), s.get("sins_band"), s.get("mirels"))
            for lesion_id, s in (recommendation.get("scores") or {}).items()
        ],
        discussion=recommendation.get("discussion"),
        discussion_reasons=list(recommendation.get("discussion_reasons") or []),
    )


@dataclass(frozen=True)
class CaseInput:
    label: str
    value: str  # "not recorded" for a null


NOT_RECORDED = "not recorded"
DENTAL_LABELS = {"done": "done", "not_done": "not done"}


def _shown(value: Any, labels: Mapping[str, str] | None = None) -> str:
    if value is None:
        return NOT_RECORDED
    if isinstance(value, float):
        return f"{value:g}"
    return (labels or {}).get(str(value), str(value))


def inputs_of_ruleset_2027_01(submission: Mapping[str, Any]) -> list[CaseInput]:
    """The four optional inputs that ruleset 2027.01 reads, as a case's normalised submission holds them:
    the metastasis count, the dental assessment, the INR and each spine lesion's posterior wall."""
    status = submission.get("status") or {}
    history = submission.get("history") or {}
    labs = submission.get("labs") or {}
    lines = [
        CaseInput("Distant metastases at the latest staging", _shown(status.get("metastasis_count"))),
        CaseInput(
            "Dental assessment before an osteoclast inhibitor",
            _shown(history.get("dental_assessment"), DENTAL_LABELS),
        ),
        CaseInput("INR", _shown(labs.get("inr"))),
    ]
    lines += [
        CaseInput(
            f"Posterior wall, lesion {lesion.get('id')} ({lesion.get('spine_level')})",
            _shown(lesion.get("posterior_wall")),
        )
        for lesion in submission.get("lesions") or []
        if lesion.get("site") == "spine"
    ]
    return lines


def parse_instant(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def time_left(deadline: datetime, now: datetime) -> str:
    """`2 d 4 h left`, `3 h 10 min left`, `overdue by 5 h`: the deadline counting down."""
    delta = deadline - now
    overdue = delta < timedelta(0)
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        text = f"{days} d {hours} h"
    elif hours:
        text = f"{hours} h {mins} min"
    else:
        text = f"{mins} min"
    return f"overdue by {text}" if overdue else f"{text} left"


@dataclass(frozen=True)
class Week:
    monday: date
    start: datetime  # UTC
    end: datetime  # UTC, exclusive

    @property
    def previous(self) -> date:
        return self.monday - timedelta(days=7)

    @property
    def next(self) -> date:
        return self.monday + timedelta(days=7)


def week_of(day: date, timezone: str) -> Week:
    """The Monday-to-Sunday week holding `day`, in the team's time zone, as UTC bounds."""
    zone = ZoneInfo(timezone)
    monday = day - timedelta(days=day.weekday())
    start = datetime.combine(monday, time(0), zone).astimezone(UTC)
    end = datetime.combine(monday + timedelta(days=7), time(0), zone).astimezone(UTC)
    return Week(monday, start, end)


def readiness_lines(readiness: Mapping[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(key, label, value) for each readiness value the item lists (spine MRI only when it applies)."""
    return [(key, label, readiness.get(key)) for key, label in READINESS_LABELS.items() if key in readiness]


WORKLIST_KINDS = ("deadline_at_risk", "waitlisted", "late", "not_ready")
AT_RISK_WITHIN = timedelta(hours=24)


def on_worklist(kind: str, entry: Mapping[str, Any], now: datetime) -> bool:
    """Whether a worklist entry (a placement) is of `kind` (meetings.md §5) by its own fields: a scheduler
    that does not filter by `kind` yet answers every waitlisted case for every kind."""
    waitlisted = entry.get("status") == "waitlisted"
    deadline = parse_instant(entry.get("deadline"))
    if kind == "waitlisted":
        return waitlisted
    if kind == "deadline_at_risk":
        return waitlisted and deadline is not None and deadline - now <= AT_RISK_WITHIN
    if kind == "late":
        return entry.get("status") == "confirmed" and entry.get("late") is True
    if kind == "not_ready":
        return entry.get("status") == "confirmed" and entry.get("ready") is False
    return False
