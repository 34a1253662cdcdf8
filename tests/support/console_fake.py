"""The three services as the MDT console sees them, in memory, behind an httpx.MockTransport: the paths and
fields of contracts.md §5 and meetings.md §5-6, the roles of each route, and the outcome rules (the
scheduler's own pure validation). For the console's route tests and its browser tests with no stack."""

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
from pydantic import ValidationError

from services.scheduler.domain.outcome import outcome_problems
from shared.contracts.codes import Specialty, TherapyCode, Verdict
from shared.contracts.outcome import OutcomeRequest
from shared.http.problems import validation_errors
from tests.support.services import TEST_TOKENS

ROLE_OF = {token: role for role, token in TEST_TOKENS.items()}
READERS = {"coordinator", "clinician", "ops"}
CLINICIANS = [
    (1, "Dr Ada Rahman", "radiology"),
    (2, "Dr Ben Okafor", "radiation_oncology"),
    (3, "Dr Chloe Martin", "surgery"),
    (4, "Dr Dev Patel", "palliative_care"),
    (5, "Dr Eva Novak", "medical_oncology"),
    (6, "Dr Finn Larsen", "radiology"),
]


# The therapies of each ruleset: 2027.01 appended two to the twelve of 2026.12.
RULESET_THERAPIES = {"2026.12": list(TherapyCode)[:12], "2027.01": list(TherapyCode)}


def recommendation(case_id: UUID, *, alerts: bool = True, ruleset: str = "2027.01") -> dict[str, Any]:
    statuses = {
        "non_opioid_analgesic": "recommended",
        "opioid_analgesic": "consider",
        "external_beam_radiotherapy": "recommended",
        "surgery": "consider",
        "radiopharmaceutical": "insufficient_data",
        "thermal_ablation": "contraindicated",
        "stereotactic_body_radiotherapy": "consider",
    }
    return {
        "schema_version": 1,
        "case_id": str(case_id),
        "case_version": 1,
        "ruleset_version": ruleset,
        "evaluated_at": "2026-11-27T09:00:00+00:00",
        "urgency": "urgent",
        "book_within_hours": 72,
        "required_specialties": ["palliative_care", "radiation_oncology", "radiology", "surgery"],
        "therapies": [
            {
                "code": code.value,
                "status": statuses.get(code.value, "not_indicated"),
                "reasons": [
                    {
                        "code": f"{code.value}_reason",
                        "text": f"Reason for {code.value.replace('_', ' ')}",
                        "source": "SINS" if code == TherapyCode.surgery else "SEED",
                    }
                ],
                "missing": ["status.life_expectancy_months"]
                if code == TherapyCode.radiopharmaceutical
                else [],
                "eligible_from": None,
            }
            for code in RULESET_THERAPIES[ruleset]
        ],
        "scores": {"L1": {"sins": 11, "sins_band": "indeterminate", "mirels": None}},
        "alerts": [{"code": "mscc_suspected", "text": "Suspected spinal cord compression: same-day MRI"}]
        if alerts
        else [],
        "discussion": "full",
        "discussion_reasons": ["urgency_urgent", "alert_mscc_suspected", "surgery_consider"],
    }


# The parts of a normalised submission the console's case page reads: the pseudonym and the inputs of 2027.01.
SUBMISSION: dict[str, Any] = {
    "patient": {"pseudonym": "PSN-FAKE-0001", "sex": "female"},
    "lesions": [
        {"id": "L1", "site": "spine", "spine_level": "T8", "posterior_wall": "retropulsed"},
        {"id": "L2", "site": "spine", "spine_level": "L2", "posterior_wall": None},
        {"id": "L3", "site": "femur"},
    ],
    "labs": {"inr": 1.6},
    "history": {"dental_assessment": "not_done"},
    "status": {"metastasis_count": None},
}


@dataclass
class FakeServices:
    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    calls: list[tuple[str, str, str, Any]] = field(default_factory=list)  # (role, method, path, body)
    meetings: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    recommendations: dict[str, dict[str, Any]] = field(default_factory=dict)
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    no_teams: bool = False  # a scheduler from before the meetings API

    def __post_init__(self) -> None:
        start = (self.now + timedelta(days=1)).replace(hour=8, minute=0, second=0)
        self.first = self.add_meeting(start)
        self.second = self.add_meeting(start + timedelta(days=3))
        self.cases = [uuid4() for _ in range(3)]
        for index, case_id in enumerate(self.cases):
            # the last case was evaluated under 2026.12, before the two therapies of 2027.01
            ruleset = "2026.12" if index == 2 else "2027.01"
            self.recommendations[str(case_id)] = recommendation(case_id, alerts=index == 0, ruleset=ruleset)
            self.add_item(self.first, case_id, position=index + 1, ready=index != 1)
        self.huddle_case = uuid4()
        self.recommendations[str(self.huddle_case)] = recommendation(self.huddle_case)
        self.huddle: dict[str, Any] = {
            "schema_version": 2,
            "booking_id": str(uuid4()),
            "case_id": str(self.huddle_case),
            "case_version": 1,
            "status": "confirmed",
            "start": (self.now + timedelta(hours=5)).isoformat(),
            "end": (self.now + timedelta(hours=5, minutes=30)).isoformat(),
            "urgency": "emergency",
            "deadline": (self.now + timedelta(hours=20)).isoformat(),
            "participants": [
                {"clinician_id": cid, "name": name, "specialty": spec} for cid, name, spec in CLINICIANS[:4]
            ],
            "missing_specialties": [],
            "partial": False,
            "reason": None,
            "kind": "huddle",
        }

    # --- state ---
    def add_meeting(self, start: datetime) -> str:
        meeting_id = str(uuid4())
        self.meetings[meeting_id] = {
            "meeting_id": meeting_id,
            "team_id": 1,
            "team_code": "bone-mets",
            "series_id": 1,
            "start": start.isoformat(),
            "end": (start + timedelta(minutes=90)).isoformat(),
            "status": "scheduled",
            "capacity_minutes": 90,
            "used_minutes": 0,
            "absent": set(),
        }
        return meeting_id

    def add_item(self, meeting_id: str, case_id: UUID, *, position: int, ready: bool) -> str:
        item_id = str(uuid4())
        self.items[item_id] = {
            "item_id": item_id,
            "meeting_id": meeting_id,
            "booking_id": str(uuid4()),
            "case_id": str(case_id),
            "case_version": 1,
            "mode": "full",
            "minutes": 6,
            "position": position,
            "urgency": "urgent",
            "deadline": (self.now + timedelta(hours=40 + 10 * position)).isoformat(),
            "required_specialties": ["radiology", "surgery"],
            "readiness": {"imaging": True, "histology": ready or None, "spine_mri": bool(ready)},
            "status": "listed",
            "late": False,
            "reason": None,
        }
        return item_id

    def meeting_view(self, meeting_id: str) -> dict[str, Any]:
        m = self.meetings[meeting_id]
        used = sum(
            i["minutes"]
            for i in self.items.values()
            if i["meeting_id"] == meeting_id and i["status"] in ("listed", "discussed")
        )
        attendance = [
            {
                "clinician_id": cid,
                "name": name,
                "specialty": spec,
                "role": "core" if cid <= 5 else "cover",
                "response": "declined" if cid in m["absent"] else "expected",
            }
            for cid, name, spec in CLINICIANS
        ]
        present = {a["specialty"] for a in attendance if a["response"] == "expected"}
        quorum = ["medical_oncology", "palliative_care", "radiation_oncology", "radiology", "surgery"]
        lacking = [s for s in quorum if s not in present]
        view = {k: v for k, v in m.items() if k != "absent"}
        return {
            **view,
            "used_minutes": used,
            "attendance": attendance,
            "quorum": {"met": not lacking, "lacking": lacking},
        }

    def agenda_view(self, meeting_id: str) -> list[dict[str, Any]]:
        items = sorted(
            (
                i
                for i in self.items.values()
                if i["meeting_id"] == meeting_id and i["status"] in ("listed", "discussed")
            ),
            key=lambda i: i["position"],
        )
        start = datetime.fromisoformat(self.meetings[meeting_id]["start"])
        out, elapsed = [], 0
        for item in items:
            rec = self.recommendations[item["case_id"]]
            required = [v for k, v in item["readiness"].items()]
            out.append(
                {
                    **item,
                    "ready": all(v is True for v in required),
                    "estimated_start": (start + timedelta(minutes=elapsed)).isoformat(),
                    "recommendation": {t["code"]: t["status"] for t in rec["therapies"]},
                }
            )
            elapsed += item["minutes"]
        return out

    def booking_of(self, item: dict[str, Any]) -> dict[str, Any]:
        m = self.meetings[item["meeting_id"]]
        return {
            "schema_version": 2,
            "booking_id": item["booking_id"],
            "case_id": item["case_id"],
            "case_version": item["case_version"],
            "status": "confirmed" if item["status"] != "deferred" else "waitlisted",
            "start": m["start"],
            "end": m["end"],
            "urgency": item["urgency"],
            "deadline": item["deadline"],
            "participants": [],
            "missing_specialties": [],
            "partial": False,
            "reason": item["reason"],
            "kind": "meeting",
            "meeting_id": item["meeting_id"],
            "item_id": item["item_id"],
            "team_code": "bone-mets",
            "position": item["position"],
            "mode": item["mode"],
            "minutes": item["minutes"],
            "late": item["late"],
            "ready": all(v is True for v in item["readiness"].values()),
            "estimated_start": None,
        }

    # --- HTTP ---
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        role = ROLE_OF.get(token) if token not in self.revoked else None
        body = json.loads(request.content) if request.content else None
        self.calls.append((role or "", request.method, request.url.path, body))
        if role is None:
            return _problem(401, "Unauthorized", "the bearer token is not valid")
        try:
            return self._route(role, request.method, request.url.path, request.url.params, body)
        except KeyError:
            return _problem(404, "Not Found", "unknown id")

    def _route(self, role: str, method: str, path: str, params: Any, body: Any) -> httpx.Response:
        if method == "GET" and (m := re.fullmatch(r"/v1/cases/([^/]+)", path)):
            if role not in ("integration", "ops"):
                return _problem(403, "Forbidden", f"role {role} may not do this")
            self.recommendations[m.group(1)]
            return _ok(
                {
                    "case_id": m.group(1),
                    "external_id": "x",
                    "case_version": 1,
                    "status": "listed",
                    "recommendation": None,
                    "booking": None,
                    "submission": SUBMISSION,
                }
            )
        if method == "GET" and (m := re.fullmatch(r"/v1/recommendations/([^/]+)", path)):
            return (
                _ok(self.recommendations[m.group(1)]) if role in READERS else _problem(403, "Forbidden", "no")
            )
        writer = role == "coordinator"
        if method != "GET" and not writer and not path.endswith("/outcome"):
            return _problem(403, "Forbidden", f"role {role} may not do this; needs one of ['coordinator']")
        if path == "/v1/teams" and self.no_teams:
            return _problem(404, "Not Found", "Not Found")
        if path == "/v1/teams":
            return _ok(
                [
                    {
                        "team_id": 1,
                        "code": "bone-mets",
                        "name": "Bone metastases MDT",
                        "timezone": "Europe/London",
                        "quorum_specialties": [
                            "medical_oncology",
                            "palliative_care",
                            "radiation_oncology",
                            "radiology",
                            "surgery",
                        ],
                    }
                ]
            )
        if path == "/v1/meetings" and method == "GET":
            since, until = datetime.fromisoformat(params["from"]), datetime.fromisoformat(params["to"])
            found = [
                self.meeting_view(mid)
                for mid, m in self.meetings.items()
                if since <= datetime.fromisoformat(m["start"]) < until
            ]
            return _ok(sorted(found, key=lambda m: m["start"]))
        if (m := re.fullmatch(r"/v1/meetings/([^/]+)", path)) and method == "GET":
            return _ok(self.meeting_view(m.group(1)))
        if m := re.fullmatch(r"/v1/meetings/([^/]+)/agenda", path):
            self.meetings[m.group(1)]
            return _ok(self.agenda_view(m.group(1)))
        if m := re.fullmatch(r"/v1/meetings/([^/]+)/(lock|finish|cancel)", path):
            meeting = self.meetings[m.group(1)]
            if meeting["status"] in ("finished", "cancelled"):
                return _problem(409, "Conflict", f"the meeting is {meeting['status']}")
            meeting["status"] = {"lock": "locked", "finish": "finished", "cancel": "cancelled"}[m.group(2)]
            for item in self.items.values():
                if item["meeting_id"] == m.group(1) and item["status"] == "listed":
                    not_ready = not all(v is True for v in item["readiness"].values())
                    if m.group(2) != "lock" or not_ready:
                        item["status"], item["reason"] = (
                            "deferred",
                            {"lock": "not_ready", "finish": "not_reached", "cancel": "meeting_cancelled"}[
                                m.group(2)
                            ],
                        )
            return _ok(self.meeting_view(m.group(1)))
        if m := re.fullmatch(r"/v1/meetings/([^/]+)/absences/(\d+)", path):
            absent = self.meetings[m.group(1)]["absent"]
            (absent.add if method == "PUT" else absent.discard)(int(m.group(2)))
            return _ok(self.meeting_view(m.group(1))) if method == "PUT" else httpx.Response(204)
        if (m := re.fullmatch(r"/v1/meetings/([^/]+)/items/([^/]+)", path)) and method == "PATCH":
            item = self.items[m.group(2)]
            if "minutes" in body:
                item["minutes"] = body["minutes"]
            if "readiness" in body:
                item["readiness"] = {**item["readiness"], **body["readiness"]}
            if "position" in body:
                siblings = sorted(
                    (
                        i
                        for i in self.items.values()
                        if i["meeting_id"] == item["meeting_id"] and i["status"] == "listed" and i is not item
                    ),
                    key=lambda i: i["position"],
                )
                siblings.insert(body["position"] - 1, item)
                for n, sibling in enumerate(siblings, 1):
                    sibling["position"] = n
            return _ok(
                next(i for i in self.agenda_view(item["meeting_id"]) if i["item_id"] == item["item_id"])
            )
        if m := re.fullmatch(r"/v1/meetings/([^/]+)/items/([^/]+)/move", path):
            item, target = self.items[m.group(2)], self.meetings[body["meeting_id"]]
            if target["status"] in ("finished", "cancelled"):
                return _problem(409, "Conflict", f"meeting {body['meeting_id']} is {target['status']}")
            item["meeting_id"] = body["meeting_id"]
            item["position"] = 1 + sum(
                1 for i in self.items.values() if i["meeting_id"] == body["meeting_id"] and i is not item
            )
            return _ok(self.booking_of(item))
        if m := re.fullmatch(r"/v1/meetings/([^/]+)/items/([^/]+)/outcome", path):
            if role not in ("coordinator", "clinician"):
                return _problem(403, "Forbidden", f"role {role} may not do this")
            item = self.items[m.group(2)]
            if item["status"] == "deferred":
                return _problem(409, "Conflict", "the item is deferred")
            members = {cid: Specialty(spec) for cid, _, spec in CLINICIANS}
            required = frozenset(Specialty(s) for s in item["required_specialties"])
            return self._outcome(item["case_id"], item, body, role, required, members)
        if path == "/v1/worklist":
            kind = params.get("kind")
            entries = [i for i in self.items.values() if i["status"] == "listed"]
            if kind == "not_ready":
                entries = [i for i in entries if not all(v is True for v in i["readiness"].values())]
            elif kind == "waitlisted":
                entries = [i for i in self.items.values() if i["status"] == "deferred"]
            else:
                entries = []
            return _ok([self.booking_of(i) for i in entries])
        if path == "/v1/bookings":
            found = [self.booking_of(i) for i in self.items.values() if i["case_id"] == params.get("case_id")]
            return _ok(found + ([self.huddle] if params.get("case_id") == self.huddle["case_id"] else []))
        if path == f"/v1/bookings/{self.huddle['booking_id']}":
            return _ok(self.huddle)
        if path == f"/v1/bookings/{self.huddle['booking_id']}/outcome":
            if role not in ("coordinator", "clinician"):
                return _problem(403, "Forbidden", f"role {role} may not do this")
            participants = {p["clinician_id"]: Specialty(p["specialty"]) for p in self.huddle["participants"]}
            required = frozenset(
                Specialty(s) for s in self.recommendations[self.huddle["case_id"]]["required_specialties"]
            )
            return self._outcome(self.huddle["case_id"], None, body, role, required, participants)
        return _problem(404, "Not Found", "Not Found")

    def _outcome(
        self,
        case_id: str,
        item: dict[str, Any] | None,
        body: Any,
        role: str,
        required: frozenset[Specialty],
        eligible: dict[int, Specialty],
    ) -> httpx.Response:
        try:
            request = OutcomeRequest.model_validate(body)
        except ValidationError as error:
            return _problem(422, "Invalid request", "invalid", validation_errors(error.errors()))
        rec = self.recommendations[case_id]
        verdicts = {TherapyCode(t["code"]): Verdict(t["status"]) for t in rec["therapies"]}
        problems = outcome_problems(
            request, verdicts=verdicts, required_specialties=required, eligible_attendees=eligible
        )
        if problems:
            return _problem(
                422, "Invalid outcome", f"{len(problems)} problem(s)", [p.as_error() for p in problems]
            )
        if item is not None:
            item["status"] = "discussed"
        version = 1 + sum(1 for o in self.outcomes if o["case_id"] == case_id)
        outcome = {
            **body,
            "outcome_id": str(uuid4()),
            "version": version,
            "case_id": case_id,
            "meeting_id": item["meeting_id"] if item else None,
            "booking_id": self.huddle["booking_id"] if item is None else item["booking_id"],
            "recorded_by_role": role,
        }
        self.outcomes.append(outcome)
        return httpx.Response(201, json=outcome)


def _ok(body: Any) -> httpx.Response:
    return httpx.Response(200, json=body)


def _problem(
    status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None
) -> httpx.Response:
    payload: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors is not None:
        payload["errors"] = errors
    return httpx.Response(status, json=payload, headers={"Content-Type": "application/problem+json"})
