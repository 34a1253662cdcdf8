"""Pregnancy and breastfeeding by age (clinical-rules.md §1 and §8.1, ruleset 2026.12) [SCOR]: not recorded
and 55 or older in the evaluation year is false, for every sex but male (already false); a recorded true is
kept at any age; with the birth year null a null stays null."""

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from services.eligibility.domain import evaluate
from services.eligibility.domain.facts import derive_facts
from shared.contracts.case import CaseSubmission
from shared.contracts.codes import TherapyCode, Verdict
from tests.unit.eligibility.builders import EVAL_DATE, make_case, pelvis, rib
from tests.unit.eligibility.test_properties import FAST

NOT_MALE = st.sampled_from(["female", "other", "unknown"])
BIRTH_YEARS = st.integers(min_value=1900, max_value=EVAL_DATE.year)
# Three painful lesions and refractory pain: hemibody radiotherapy and the radiopharmaceutical are indicated,
# so pregnancy and breastfeeding decide between insufficient_data and an answer.
INDICATED_FOR_BOTH: dict[str, Any] = {
    "lesions": [rib(), pelvis(painful=True), pelvis(id="K1", site="skull", painful=True)],
    "pain.refractory_to_analgesics": True,
}


def case(
    sex: str, birth_year: int | None, pregnant: bool | None, breastfeeding: bool | None
) -> CaseSubmission:
    return make_case(
        {
            **INDICATED_FOR_BOTH,
            "patient.sex": sex,
            "patient.birth_year": birth_year,
            "patient.pregnant": pregnant,
            "patient.breastfeeding": breastfeeding,
        }
    )


def statuses(submission: CaseSubmission, evaluated_at: datetime) -> dict[TherapyCode, Verdict]:
    rec = evaluate(submission, case_id=None, case_version=1, evaluated_at=evaluated_at)
    return {t.code: t.status for t in rec.therapies}


@FAST
@given(sex=NOT_MALE, birth_year=BIRTH_YEARS)
def test_a_null_is_false_from_55_and_unknown_below(sex: str, birth_year: int) -> None:
    facts = derive_facts(case(sex, birth_year, None, None), EVAL_DATE)
    if EVAL_DATE.year - birth_year >= 55:
        assert facts.pregnant.false and facts.breastfeeding.false
        assert facts.pregnant_taken_false_by_age and facts.breastfeeding_taken_false_by_age
    else:
        assert facts.pregnant.unknown and facts.pregnant.missing == {"patient.pregnant"}
        assert facts.breastfeeding.unknown and facts.breastfeeding.missing == {"patient.breastfeeding"}
        assert not facts.pregnant_taken_false_by_age


@FAST
@given(sex=NOT_MALE, birth_year=st.none() | BIRTH_YEARS, breastfeeding=st.none() | st.booleans())
def test_a_recorded_value_is_kept_at_any_age(
    sex: str, birth_year: int | None, breastfeeding: bool | None
) -> None:
    submission = case(sex, birth_year, True, breastfeeding)  # accepted at any age: no 422
    facts = derive_facts(submission, EVAL_DATE)
    assert facts.pregnant.true and not facts.pregnant_taken_false_by_age
    got = statuses(submission, datetime(2026, 6, 1, tzinfo=UTC))
    assert got[TherapyCode.hemibody_radiotherapy] == Verdict.contraindicated
    assert got[TherapyCode.radiopharmaceutical] == Verdict.contraindicated
    assert derive_facts(case(sex, birth_year, False, None), EVAL_DATE).pregnant.false


@FAST
@given(sex=NOT_MALE)
def test_birth_year_null_keeps_null(sex: str) -> None:
    facts = derive_facts(case(sex, None, None, None), EVAL_DATE)
    assert facts.pregnant.unknown and facts.breastfeeding.unknown
    got = statuses(case(sex, None, None, None), datetime(2026, 6, 1, tzinfo=UTC))
    assert got[TherapyCode.hemibody_radiotherapy] == Verdict.insufficient_data
    assert got[TherapyCode.radiopharmaceutical] == Verdict.insufficient_data


def test_men_are_unchanged() -> None:
    for birth_year in (None, 1990, 1950):
        facts = derive_facts(case("male", birth_year, None, None), EVAL_DATE)
        assert facts.pregnant.false and facts.breastfeeding.false
        assert not facts.pregnant_taken_false_by_age  # false for being a man, not by age


def test_boundary_54_and_55() -> None:
    at = datetime(2026, 6, 1, tzinfo=UTC)
    aged_54 = statuses(case("female", 1972, None, None), at)
    aged_55 = statuses(case("female", 1971, None, None), at)
    assert aged_54[TherapyCode.hemibody_radiotherapy] == Verdict.insufficient_data
    assert aged_54[TherapyCode.radiopharmaceutical] == Verdict.insufficient_data
    assert aged_54[TherapyCode.external_beam_radiotherapy] == Verdict.consider
    assert aged_55[TherapyCode.hemibody_radiotherapy] == Verdict.consider  # always consider when indicated
    assert aged_55[TherapyCode.radiopharmaceutical] == Verdict.recommended
    assert aged_55[TherapyCode.external_beam_radiotherapy] == Verdict.recommended


def test_the_evaluation_year_is_the_utc_year_of_evaluated_at() -> None:
    born_1971 = case("female", 1971, None, None)
    # 2026-01-01 00:30 at UTC+1 is still 2025 in UTC: 54 that year
    new_year_in_paris = datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    assert (
        statuses(born_1971, new_year_in_paris)[TherapyCode.radiopharmaceutical] == Verdict.insufficient_data
    )
    assert statuses(born_1971, datetime(2026, 1, 1, tzinfo=UTC))[TherapyCode.radiopharmaceutical] == (
        Verdict.recommended
    )
    assert derive_facts(born_1971, date(2025, 12, 31)).pregnant.unknown


def test_the_reasons_say_pregnancy_was_taken_as_no_by_age_with_its_source() -> None:
    rec = evaluate(
        case("female", 1950, None, None),
        case_id=None,
        case_version=1,
        evaluated_at=datetime(2026, 6, 1, tzinfo=UTC),
    )
    by_code = {t.code: t for t in rec.therapies}
    radiopharmaceutical = {r.code: r for r in by_code[TherapyCode.radiopharmaceutical].reasons}
    assert radiopharmaceutical["pregnant_not_recorded_by_age"].source == "SCOR"
    assert radiopharmaceutical["breastfeeding_not_recorded_by_age"].source == "SCOR"
    for code in (
        TherapyCode.non_opioid_analgesic,
        TherapyCode.opioid_analgesic,
        TherapyCode.osteoclast_inhibitor,
        TherapyCode.external_beam_radiotherapy,
        TherapyCode.hemibody_radiotherapy,
    ):
        assert "pregnant_not_recorded_by_age" in {r.code for r in by_code[code].reasons}, code
    # not on a therapy that does not read pregnancy, nor where pregnancy is recorded
    assert "pregnant_not_recorded_by_age" not in {
        r.code for r in by_code[TherapyCode.systemic_therapy].reasons
    }
    recorded = evaluate(
        case("female", 1950, False, False),
        case_id=None,
        case_version=1,
        evaluated_at=datetime(2026, 6, 1, tzinfo=UTC),
    )
    assert not any(r.code.endswith("_by_age") for t in recorded.therapies for r in t.reasons)
