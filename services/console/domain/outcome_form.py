"""The outcome form of meetings.md §6 as the console shows it: one row per therapy prefilled from the
verdict the meeting saw, read back into the API's request, and the API's 422 put next to the fields it names."""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.console.domain.reading import THERAPY_LABELS, VERDICT_LABELS
from shared.contracts.codes import TherapyCode
from shared.contracts.outcome import (
    VERDICTS_NEEDING_A_DECISION,
    Decision,
    DecisionReason,
    FurtherInvestigation,
    Intent,
)

DECISIONS = [d.value for d in Decision]
REASON_CODES = [r.value for r in DecisionReason]
INTENTS = [i.value for i in Intent]
INVESTIGATIONS = [i.value for i in FurtherInvestigation]
NOTE_MAX = 500
GENERAL = "_form"


@dataclass(frozen=True)
class DecisionRow:
    therapy: str
    label: str
    verdict: str
    verdict_label: str
    decision: str  # "" when no decision is given
    reason_code: str
    note: str

    @property
    def needs_decision(self) -> bool:
        return self.verdict in VERDICTS_NEEDING_A_DECISION


def _therapies(verdicts: Mapping[str, str]) -> list[str]:
    """The therapies of the recommendation the meeting saw, in the contract's order (a ruleset before
    2027.01 has twelve), then any the contract does not know; every therapy when no verdict is known."""
    known = [code.value for code in TherapyCode]
    if not verdicts:
        return known
    return [code for code in known if code in verdicts] + [code for code in verdicts if code not in known]


def _row(therapy: str, verdict: str, decision: str, reason_code: str, note: str) -> DecisionRow:
    return DecisionRow(
        therapy,
        THERAPY_LABELS.get(therapy, therapy),
        verdict,
        VERDICT_LABELS.get(verdict, verdict or "—"),
        decision,
        reason_code,
        note,
    )


def prefilled_rows(verdicts: Mapping[str, str]) -> list[DecisionRow]:
    """A `recommended` therapy starts accepted; a `consider` one waits for the meeting's choice; the others
    start with no decision (the API does not need one)."""
    return [
        _row(
            t,
            verdicts.get(t, ""),
            Decision.accepted.value if verdicts.get(t) == "recommended" else "",
            "",
            "",
        )
        for t in _therapies(verdicts)
    ]


def rows_from_form(verdicts: Mapping[str, str], form: Mapping[str, str]) -> list[DecisionRow]:
    return [
        _row(
            t,
            verdicts.get(t, ""),
            _choice(form.get(f"decision-{t}", ""), DECISIONS),
            _choice(form.get(f"reason-{t}", ""), REASON_CODES),
            form.get(f"note-{t}", "").strip(),
        )
        for t in _therapies(verdicts)
    ]


def _choice(value: str, allowed: Sequence[str]) -> str:
    return value if value in allowed else ""


def outcome_request(
    rows: Iterable[DecisionRow],
    *,
    intent: str,
    decision_to_treat_date: str,
    attendees: Iterable[str],
    further_investigations: Iterable[str],
) -> dict[str, Any]:
    """The body of POST .../outcome. Rows with no decision are left out; blanks are null; the API judges
    the rest (a missing reason, a missing decision, attendees), so its 422 is what the user sees."""
    return {
        "decisions": [
            {
                "therapy": row.therapy,
                "decision": row.decision,
                "reason_code": row.reason_code or None,
                "note": row.note or None,
            }
            for row in rows
            if row.decision
        ],
        "intent": intent or None,
        "decision_to_treat_date": decision_to_treat_date or None,
        "attendees": [int(a) for a in attendees if a.strip().isdigit()],
        "further_investigations": [i for i in further_investigations if i in INVESTIGATIONS],
    }


_DECISION_FIELD = re.compile(r"^decisions\[(\d+)\](?:\.(\w+))?")
_FORM_NAMES = {"decision": "decision", "therapy": "decision", "reason_code": "reason", "note": "note"}


def form_errors(request: Mapping[str, Any], errors: Iterable[Mapping[str, str]]) -> dict[str, list[str]]:
    """The API's `errors: [{field, reason}]` by form field: `decisions[2].reason_code` is the reason select of
    the third decision sent (its therapy's row); `decisions` goes above the table; fields the form does not
    have go to the top of the form (GENERAL)."""
    decisions = request.get("decisions") or []
    out: dict[str, list[str]] = {}
    for error in errors:
        field, reason = str(error.get("field", "")), str(error.get("reason", ""))
        name = GENERAL
        match = _DECISION_FIELD.match(field)
        if match and int(match.group(1)) < len(decisions):
            therapy = decisions[int(match.group(1))]["therapy"]
            name = f"{_FORM_NAMES.get(match.group(2) or 'decision', 'decision')}-{therapy}"
        elif field == "decisions":
            name = "decisions"
        elif field.split("[")[0] in (
            "intent",
            "decision_to_treat_date",
            "attendees",
            "further_investigations",
        ):
            name = field.split("[")[0]
        out.setdefault(name, []).append(reason if name != GENERAL or not field else f"{field}: {reason}")
    return out


def expected_attendees(attendance: Iterable[Mapping[str, Any]]) -> list[int]:
    """Attendees prefilled: the members expected at the meeting (not those recorded absent)."""
    return [int(a["clinician_id"]) for a in attendance if a.get("response") == "expected"]


def next_item(agenda: Sequence[Mapping[str, Any]], item_id: str) -> Mapping[str, Any] | None:
    """The next item of the agenda still to be discussed after this one, in agenda order."""
    ordered = sorted(agenda, key=lambda i: int(i.get("position") or 0))
    ids = [str(i.get("item_id")) for i in ordered]
    start = ids.index(item_id) + 1 if item_id in ids else 0
    return next((i for i in ordered[start:] if i.get("status") == "listed"), None)
