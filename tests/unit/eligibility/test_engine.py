"""evaluate(): evaluation date, scores map, output envelope."""

from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

from services.eligibility.domain import RULESET_VERSION, evaluate
from shared.contracts.codes import TherapyCode, Verdict
from tests.unit.eligibility.builders import long_bone, make_case, rib, spine

RADIOPHARM = list(TherapyCode).index(TherapyCode.radiopharmaceutical)


def test_evaluation_date_is_the_utc_date_of_evaluated_at() -> None:
    case = make_case({"pain.refractory_to_analgesics": True, "history.last_chemotherapy_date": "2026-04-21"})
    # 2026-05-31 22:00 at UTC-5 is 2026-06-01 03:00 UTC: 41 days after the last chemotherapy.
    late_evening = datetime(2026, 5, 31, 22, 0, tzinfo=timezone(timedelta(hours=-5)))
    rec = evaluate(case, case_id=None, case_version=0, evaluated_at=late_evening)
    assert rec.evaluated_at == datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
    assert rec.therapies[RADIOPHARM].status == Verdict.contraindicated
    assert str(rec.therapies[RADIOPHARM].eligible_from) == "2026-06-02"
    # one UTC day later the 6-week window has passed
    rec = evaluate(case, case_id=None, case_version=0, evaluated_at=late_evening + timedelta(days=1))
    assert rec.therapies[RADIOPHARM].status == Verdict.recommended
    assert rec.therapies[RADIOPHARM].eligible_from is None


def test_envelope_and_scores() -> None:
    case = make_case(
        {
            "lesions": [
                rib(),
                spine("T12", "mechanical", "lytic", "normal", "lt_50pct", "unilateral", id="S9"),
                long_bone("femur", "functional", "lytic", "gt_two_thirds", id="F9", peritrochanteric=True),
                spine("L3", "none", "blastic", "normal", "none", "none", id="S10", lesion_type=None),
            ]
        }
    )
    case_id = uuid4()
    rec = evaluate(case, case_id=case_id, case_version=3, evaluated_at=datetime(2026, 6, 1, tzinfo=UTC))
    assert (rec.case_id, rec.case_version, rec.ruleset_version) == (case_id, 3, RULESET_VERSION)
    assert rec.urgency == "urgent" and rec.book_within_hours == 72
    scores = {k: v.model_dump() for k, v in rec.scores.items()}
    assert scores == {
        "R1": {"sins": None, "sins_band": None, "mirels": None},
        "S9": {"sins": 11, "sins_band": "indeterminate", "mirels": None},  # 3+3+2+0+2+1
        "F9": {"sins": None, "sins_band": None, "mirels": 12},  # 3+3+3+3
        "S10": {"sins": None, "sins_band": None, "mirels": None},
    }
