"""Property tests over generated valid case submissions."""

import copy
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.eligibility.domain import evaluate, therapies
from services.eligibility.domain.facts import derive_facts
from services.eligibility.domain.scores import mirels_components, sins_components
from shared.contracts.case import CaseSubmission, Lesion
from shared.contracts.codes import (
    LONG_BONES,
    THERAPY_OWNER,
    CorticalInvolvement,
    DentalAssessment,
    EsccGrade,
    LesionSite,
    LesionType,
    PainPattern,
    PosteriorWall,
    PosterolateralInvolvement,
    Sex,
    SpinalAlignment,
    SpineLevel,
    TherapyCode,
    TumourSite,
    Urgency,
    Verdict,
    VertebralBodyCollapse,
)
from shared.contracts.recommendation import Recommendation
from tests.unit.eligibility.builders import EVAL_DATE, EVALUATED_AT

FAST = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
RANK = {Urgency.routine: 0, Urgency.urgent: 1, Urgency.emergency: 2}


def opt(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


class Maybe:
    """Draws a value or null; each generated case has its own null rate, so that complete cases (where
    most therapies can be recommended) are as common as sparse ones."""

    def __init__(self, draw: st.DrawFn, null_percent: int) -> None:
        self.draw, self.null_percent = draw, null_percent

    def __call__(self, strategy: st.SearchStrategy[Any]) -> Any:
        if self.draw(st.integers(min_value=0, max_value=99)) < self.null_percent:
            return None
        return self.draw(strategy)


NULL_PERCENT = st.sampled_from([0, 0, 5, 20, 50])
BOOL = st.booleans()


def mostly(usual: Any, *others: Any) -> st.SearchStrategy[Any]:
    """The usual value three times as often as each other one."""
    return st.sampled_from([usual, usual, usual, *others])


def enum(e: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from([m.value for m in e])


@st.composite
def lesions(
    draw: st.DrawFn, index: int, null_percent: int, sites: tuple[LesionSite, ...] = tuple(LesionSite)
) -> dict[str, Any]:
    maybe = Maybe(draw, null_percent)
    site = draw(st.sampled_from(sites))
    lesion: dict[str, Any] = {
        "id": f"L{index}",
        "site": site.value,
        "painful": maybe(BOOL),
        "pain_pattern": maybe(enum(PainPattern)),
        "pathological_fracture": maybe(BOOL),
        "lesion_type": maybe(enum(LesionType)),
        "distance_to_neural_mm": maybe(st.sampled_from([0.0, 5.0, 9.9, 10.0, 25.0])),
        "percutaneously_accessible": maybe(BOOL),
        "adjacent_critical_structure": maybe(BOOL),
        "prior_radiotherapy": maybe(BOOL),
        "pain_persists_after_radiotherapy": maybe(BOOL),
    }
    if site == LesionSite.spine:
        lesion.update(
            spine_level=draw(st.sampled_from([m.value for m in SpineLevel])),
            spinal_alignment=maybe(enum(SpinalAlignment)),
            vertebral_body_collapse=maybe(enum(VertebralBodyCollapse)),
            posterolateral_involvement=maybe(enum(PosterolateralInvolvement)),
            escc_grade=maybe(mostly("0", *(g.value for g in EsccGrade))),
            posterior_wall=maybe(enum(PosteriorWall)),
        )
        points = sins_components(Lesion.model_validate(lesion)).values()
        # A radiologist's score agrees with complete components (components win anyway).
        complete = all(p is not None for p in points)
        computed = sum(p for p in points if p is not None)
        lesion["sins_score"] = draw(
            opt(st.just(computed)) if complete else opt(st.integers(min_value=0, max_value=18))
        )
    if site in LONG_BONES:
        lesion["cortical_involvement"] = maybe(enum(CorticalInvolvement))
        if site == LesionSite.femur:
            lesion["peritrochanteric"] = maybe(BOOL)
        points = mirels_components(Lesion.model_validate(lesion)).values()
        complete = all(p is not None for p in points)
        computed = sum(p for p in points if p is not None)
        lesion["mirels_score"] = draw(
            opt(st.just(computed)) if complete else opt(st.integers(min_value=4, max_value=12))
        )
    return lesion


DATES = (
    st.just("never")
    | st.just("never")
    | st.integers(min_value=0, max_value=120).map(lambda d: (EVAL_DATE - timedelta(days=d)).isoformat())
)


@st.composite
def case_documents(draw: st.DrawFn) -> dict[str, Any]:
    null_percent = draw(NULL_PERCENT)
    maybe = Maybe(draw, null_percent)
    sex = draw(st.sampled_from([m.value for m in Sex]))
    female_fact = st.sampled_from([None, False]) if sex == Sex.male else mostly(False, True)
    site = draw(st.sampled_from([m.value for m in TumourSite]))
    count = draw(st.integers(min_value=1, max_value=7))
    return {
        "external_id": "generated",
        "patient": {
            "pseudonym": "p",
            # the evaluation year is 2026: 1971 is 55 (pregnancy not asked), 1972 is 54
            "birth_year": maybe(st.sampled_from([1940, 1960, 1971, 1972, 1985, 2000])),
            "sex": sex,
            "pregnant": maybe(female_fact),
            "breastfeeding": maybe(female_fact),
        },
        "primary_tumour": {"site": site, "castration_resistant": maybe(BOOL) if site == "prostate" else None},
        "visceral_metastases": maybe(mostly(False, True)),
        "lesions": [draw(lesions(i, null_percent)) for i in range(count)],
        "pain": {
            "score": maybe(st.integers(min_value=0, max_value=10)),
            "neuropathic": maybe(BOOL),
            "refractory_to_analgesics": maybe(BOOL),
        },
        "neurology": {
            "spinal_cord_compression": maybe(mostly("none", "suspected", "confirmed")),
            "neurological_deficit": maybe(BOOL),
        },
        "labs": {
            "creatinine_clearance_ml_min": maybe(mostly(90.0, 10.0, 29.9, 30.0)),
            "platelets_10e9_l": maybe(mostly(250.0, 50.0, 99.0, 100.0)),
            "neutrophils_10e9_l": maybe(mostly(4.0, 0.5, 1.49, 1.5)),
            "haemoglobin_g_dl": maybe(mostly(13.0, 8.0, 9.99, 10.0)),
            "corrected_calcium_mmol_l": maybe(mostly(2.4, 2.0, 2.1, 2.6, 2.61, 2.99, 3.0, 3.49, 3.5, 3.9)),
            "inr": maybe(mostly(1.0, 1.5, 1.6, 3.0)),
        },
        "history": {
            "last_chemotherapy_date": maybe(DATES),
            "last_bisphosphonate_date": maybe(DATES),
            "on_osteoclast_inhibitor": maybe(BOOL),
            "dental_assessment": maybe(enum(DentalAssessment)),
        },
        "status": {
            "ecog": maybe(st.integers(min_value=0, max_value=4)),
            "life_expectancy_months": maybe(mostly(24.0, 1.0, 2.9, 3.0, 3.1, 5.9, 6.0)),
            "bone_scan_positive": maybe(mostly(True, False)),
            "renal_failure": maybe(mostly("none", "acute", "chronic")),
            "myelosuppression": maybe(mostly(False, True)),
            "can_tolerate_anaesthesia": maybe(mostly(True, False)),
            "uncorrectable_bleeding": maybe(mostly(False, True)),
            "active_infection": maybe(mostly(False, True)),
            # not fewer than the lesions listed (contracts §2); 5 and 6 are the oligometastatic boundary
            "metastasis_count": maybe(st.sampled_from([n for n in (1, 2, 3, 5, 6, 8, 40) if n >= count])),
        },
    }


@st.composite
def spine_case_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A generated case whose lesions are mostly in the spine, with vertebral augmentation's absolute
    contraindications mostly stated "no", so that its targets, SINS and consider verdicts are common."""
    doc = draw(case_documents())
    null_percent = draw(NULL_PERCENT)
    for i in range(len(doc["lesions"])):
        if draw(st.booleans()):
            spinal = draw(lesions(i, null_percent, (LesionSite.spine,)))
            spinal["painful"] = draw(st.sampled_from([True, True, False, None]))
            spinal["escc_grade"] = draw(st.sampled_from(["0", "0", "0", "1a", "1c", "2", None]))
            doc["lesions"][i] = spinal
    benign = st.sampled_from([False, False, False, None])
    doc["status"].update(
        uncorrectable_bleeding=draw(benign),
        active_infection=draw(benign),
        can_tolerate_anaesthesia=draw(st.sampled_from([True, True, True, None])),
    )
    doc["neurology"]["spinal_cord_compression"] = draw(st.sampled_from(["none", "none", "none", None]))
    return doc


CASES = st.one_of(case_documents(), spine_case_documents())


def run(doc: dict[str, Any]) -> Recommendation:
    return evaluate(
        CaseSubmission.model_validate(doc), case_id=None, case_version=1, evaluated_at=EVALUATED_AT
    )


# -- known absolute contraindications, read straight from the rules text --
def _myelosuppressed(doc: dict[str, Any]) -> bool:
    labs = doc["labs"]
    lows = [("platelets_10e9_l", 100), ("neutrophils_10e9_l", 1.5), ("haemoglobin_g_dl", 10)]
    return doc["status"]["myelosuppression"] is True or any(
        labs[k] is not None and labs[k] < low for k, low in lows
    )


def _chemo_within_6_weeks(doc: dict[str, Any]) -> bool:
    last = doc["history"]["last_chemotherapy_date"]
    return last not in (None, "never") and (EVAL_DATE - EVAL_DATE.fromisoformat(last)).days < 42


def _and(*values: bool | None) -> bool | None:
    """Kleene's "and" over optional booleans."""
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _or(*values: bool | None) -> bool | None:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def augmentation_target(lesion: dict[str, Any], refractory: bool | None) -> bool | None:
    """§3 (2027.01): a painful spine lesion with collapse lt/gt 50 %, or mechanical pain with refractory."""
    collapse, pattern = lesion.get("vertebral_body_collapse"), lesion.get("pain_pattern")
    collapsed = None if collapse is None else collapse in ("lt_50pct", "gt_50pct")
    mechanical = None if pattern is None else pattern == "mechanical"
    return _and(lesion["painful"], _or(collapsed, _and(mechanical, refractory)))


def every_target_unstable(doc: dict[str, Any], rec: Recommendation) -> bool:
    """Targets exist, no lesion's target status is unknown, and every target has a known SINS >= 13 (the
    engine's SINS, tested component by component elsewhere)."""
    refractory = doc["pain"]["refractory_to_analgesics"]
    status = {
        lesion["id"]: augmentation_target(lesion, refractory)
        for lesion in doc["lesions"]
        if lesion["site"] == "spine"
    }
    targets = [lesion_id for lesion_id, is_target in status.items() if is_target]
    if not targets or None in status.values():
        return False
    return all((rec.scores[t].sins or 0) >= 13 for t in targets)


def known_absolute_contraindications(doc: dict[str, Any]) -> set[TherapyCode]:
    pregnant = doc["patient"]["pregnant"] is True
    cord = doc["neurology"]["spinal_cord_compression"] in ("suspected", "confirmed") or any(
        lesion.get("escc_grade") in ("2", "3") for lesion in doc["lesions"]
    )
    status = doc["status"]
    found: set[TherapyCode] = set()
    if pregnant or _myelosuppressed(doc):
        found.add(TherapyCode.hemibody_radiotherapy)
    if (
        cord
        or pregnant
        or doc["patient"]["breastfeeding"] is True
        or _myelosuppressed(doc)
        or status["renal_failure"] in ("acute", "chronic")
        or _chemo_within_6_weeks(doc)
    ):
        found.add(TherapyCode.radiopharmaceutical)
    if status["can_tolerate_anaesthesia"] is False:
        found |= {TherapyCode.surgery, TherapyCode.thermal_ablation}
    if status["uncorrectable_bleeding"] is True:
        found.add(TherapyCode.thermal_ablation)
    # 2027.01
    if cord:
        found |= {TherapyCode.stereotactic_body_radiotherapy, TherapyCode.vertebral_augmentation}
    if (
        status["uncorrectable_bleeding"] is True
        or status["active_infection"] is True
        or status["can_tolerate_anaesthesia"] is False
    ):
        found.add(TherapyCode.vertebral_augmentation)
    return found


@FAST
@given(CASES)
def test_invariants(doc: dict[str, Any]) -> None:
    rec = run(doc)
    assert [t.code for t in rec.therapies] == list(TherapyCode)
    for therapy in rec.therapies:
        assert therapy.reasons and all(r.code and r.text and r.source for r in therapy.reasons)
        assert therapy.missing == sorted(set(therapy.missing))
        assert (therapy.status == Verdict.insufficient_data) <= bool(therapy.missing)
        if therapy.eligible_from is not None:
            assert therapy.code == TherapyCode.radiopharmaceutical
            last = EVAL_DATE.fromisoformat(doc["history"]["last_chemotherapy_date"])
            assert therapy.eligible_from == last + timedelta(days=42)
    known = known_absolute_contraindications(doc)
    if every_target_unstable(doc, rec):
        known.add(TherapyCode.vertebral_augmentation)
    for code in known:
        assert rec.therapies[list(TherapyCode).index(code)].status == Verdict.contraindicated, code
    for code in CONSIDER_AT_MOST:
        assert rec.therapies[list(TherapyCode).index(code)].status != Verdict.recommended, code
    specialties = [str(s) for s in rec.required_specialties]
    assert specialties == sorted(set(specialties))
    assert "radiology" in specialties
    for therapy in rec.therapies:
        if therapy.status in (Verdict.recommended, Verdict.consider):
            assert str(THERAPY_OWNER[therapy.code]) in specialties
    assert set(rec.scores) == {lesion["id"] for lesion in doc["lesions"]}
    assert run(doc) == rec  # deterministic


# 2027.01 (§3): consider at most.
CONSIDER_AT_MOST = (TherapyCode.stereotactic_body_radiotherapy, TherapyCode.vertebral_augmentation)
UNDECIDED_OR_CONSIDER = (Verdict.consider, Verdict.insufficient_data)

# Fields that can never be null in a valid case.
REQUIRED = {
    "external_id",
    "patient.pseudonym",
    "patient.sex",
    "primary_tumour.site",
    "id",
    "site",
    "spine_level",
}
# Fields read by §4's urgency rules, which fire on known facts only: making one of them null may lower the
# urgency by design (an unknown calcium is not hypercalcaemia). Neurological deficit is not here: its null
# is treated as the worse case.
URGENCY_INPUTS = {
    "pathological_fracture",
    "pain_pattern",
    "lesion_type",
    "spinal_alignment",
    "vertebral_body_collapse",
    "posterolateral_involvement",
    "sins_score",
    "cortical_involvement",
    "peritrochanteric",
    "mirels_score",
    "escc_grade",
    "neurology.spinal_cord_compression",
    "pain.score",
    "labs.corrected_calcium_mmol_l",
}
MYELO_INPUTS = {
    "status.myelosuppression",
    "labs.platelets_10e9_l",
    "labs.neutrophils_10e9_l",
    "labs.haemoglobin_g_dl",
}


def known_paths(doc: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    """(location, rule name) of every known, nullable field."""
    out: list[tuple[tuple[Any, ...], str]] = []
    for section in ("patient", "primary_tumour", "pain", "neurology", "labs", "history", "status"):
        for key, value in doc[section].items():
            name = f"{section}.{key}"
            if value is not None and name not in REQUIRED:
                out.append(((section, key), name))
    if doc["visceral_metastases"] is not None:
        out.append((("visceral_metastases",), "visceral_metastases"))
    for i, lesion in enumerate(doc["lesions"]):
        for key, value in lesion.items():
            if value is not None and key not in REQUIRED:
                out.append((("lesions", i, key), key))
    return out


def nulled(doc: dict[str, Any], location: tuple[Any, ...]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    node: Any = out
    for step in location[:-1]:
        node = node[step]
    node[location[-1]] = None
    return out


def stated_myelosuppression_disagrees_with_counts(doc: dict[str, Any]) -> bool:
    """§1: "true wins"; a stated "no" beats missing counts, complete normal counts beat a stated "yes"."""
    labs, stated = doc["labs"], doc["status"]["myelosuppression"]
    counts = [labs["platelets_10e9_l"], labs["neutrophils_10e9_l"], labs["haemoglobin_g_dl"]]
    low = _myelosuppressed({**doc, "status": {**doc["status"], "myelosuppression": None}})
    return (stated is False and low) or (stated is True and not low and None not in counts)


def pregnancy_taken_false_by_age(doc: dict[str, Any]) -> bool:
    """§1 (2026.12): a null pregnancy or breastfeeding is false from 55 in the evaluation year, so blanking
    a recorded true there reads as "no" by design."""
    patient = doc["patient"]
    birth_year = patient["birth_year"]
    return birth_year is not None and EVAL_DATE.year - birth_year >= 55


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(CASES)
def test_a_null_never_makes_a_therapy_recommended_nor_lowers_urgency(doc: dict[str, Any]) -> None:
    """Also (2027.01): blanking any known input never moves stereotactic body radiotherapy or vertebral
    augmentation from consider or insufficient_data to not_indicated or contraindicated (no exemption)."""
    before = run(doc)
    old_new = {t.code: t.status for t in before.therapies}
    for location, name in known_paths(doc):
        after = run(nulled(doc, location))
        for code in CONSIDER_AT_MOST:
            if old_new[code] in UNDECIDED_OR_CONSIDER:
                moved = after.therapies[list(TherapyCode).index(code)].status
                assert moved in UNDECIDED_OR_CONSIDER, (name, location, code, old_new[code], moved)
        if name in MYELO_INPUTS and stated_myelosuppression_disagrees_with_counts(doc):
            continue
        if name in ("patient.pregnant", "patient.breastfeeding") and pregnancy_taken_false_by_age(doc):
            continue
        for old, new in zip(before.therapies, after.therapies, strict=True):
            if new.status == Verdict.recommended:
                assert old.status == Verdict.recommended, (name, location, new.code, old.status)
        if name not in URGENCY_INPUTS:
            assert RANK[after.urgency] >= RANK[before.urgency], (name, location)


DENTAL_CODES = {
    "dental_review_ongoing",
    "dental_assessment_done",
    "dental_assessment_before_start",
    "dental_assessment_unrecorded",
}
CALCIUM_CODES = {
    "calcium_vitamin_d_supplement",
    "calcium_supplement_withheld",
    "calcium_check_then_supplement",
}
# Corrected calcium from 2.10 (not low) to below 3.0 (not hypercalcaemia): only the calcium reason can differ.
CALCIUM_WITHOUT_OTHER_RULES = (2.10, 2.60, 2.61, 2.99)


def expected_bone_health(doc: dict[str, Any]) -> list[str]:
    """§3 (2027.01): the dental reason, then the calcium one, read from the rule's text."""
    history, calcium = doc["history"], doc["labs"]["corrected_calcium_mmol_l"]
    if history["on_osteoclast_inhibitor"] is True:
        dental = "dental_review_ongoing"
    else:
        dental = {
            "done": "dental_assessment_done",
            "not_done": "dental_assessment_before_start",
            None: "dental_assessment_unrecorded",
        }[history["dental_assessment"]]
    if calcium is None:
        return [dental, "calcium_check_then_supplement"]
    return [dental, "calcium_vitamin_d_supplement" if calcium <= 2.60 else "calcium_supplement_withheld"]


def without_bone_health(rec: Recommendation) -> list[tuple[Any, ...]]:
    return [
        (
            t.code,
            t.status,
            t.missing,
            [r.code for r in t.reasons if r.code not in DENTAL_CODES | CALCIUM_CODES],
        )
        for t in rec.therapies
    ]


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(CASES)
def test_the_dental_and_calcium_reasons_never_change_a_verdict(doc: dict[str, Any]) -> None:
    """One dental and one calcium reason exactly when the osteoclast inhibitor is recommended or consider,
    and none of their inputs changes any verdict, missing list or other reason."""
    rec = run(doc)
    osteoclast = rec.therapies[list(TherapyCode).index(TherapyCode.osteoclast_inhibitor)]
    given_codes = [r.code for r in osteoclast.reasons if r.code in DENTAL_CODES | CALCIUM_CODES]
    offered = osteoclast.status in (Verdict.recommended, Verdict.consider)
    assert given_codes == (expected_bone_health(doc) if offered else [])
    assert (
        not DENTAL_CODES & set(osteoclast.missing) and "history.dental_assessment" not in osteoclast.missing
    )
    calcium = doc["labs"]["corrected_calcium_mmol_l"]
    variants = [None, "done", "not_done"]
    levels = CALCIUM_WITHOUT_OTHER_RULES if calcium in CALCIUM_WITHOUT_OTHER_RULES else (calcium,)
    reference = without_bone_health(rec)
    for dental in variants:
        for level in levels:
            changed = copy.deepcopy(doc)
            changed["history"]["dental_assessment"] = dental
            changed["labs"]["corrected_calcium_mmol_l"] = level
            assert without_bone_health(run(changed)) == reference, (dental, level)


def new_therapies(doc: dict[str, Any]) -> tuple[Verdict, Verdict]:
    """Stereotactic body radiotherapy and vertebral augmentation alone: cheaper than the whole engine, so that
    this property can afford many more cases."""
    facts = derive_facts(CaseSubmission.model_validate(doc), EVAL_DATE)
    return (
        therapies.stereotactic_body_radiotherapy(facts).status,
        therapies.vertebral_augmentation(facts).status,
    )


@settings(max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(spine_case_documents())
def test_blanking_an_input_never_turns_a_new_therapy_into_a_no(doc: dict[str, Any]) -> None:
    """§6 (2027.01): an unknown never becomes a no. Blanking any known input never moves stereotactic body
    radiotherapy or vertebral augmentation from consider or insufficient_data to not_indicated or
    contraindicated."""
    before = new_therapies(doc)
    if not any(status in UNDECIDED_OR_CONSIDER for status in before):
        return
    for location, name in known_paths(doc):
        after = new_therapies(nulled(doc, location))
        for code, old, new in zip(CONSIDER_AT_MOST, before, after, strict=True):
            if old in UNDECIDED_OR_CONSIDER:
                assert new in UNDECIDED_OR_CONSIDER, (name, location, code, old, new)
