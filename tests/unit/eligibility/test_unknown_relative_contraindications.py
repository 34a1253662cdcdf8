"""An unknown relative contraindication, stated (clinical-rules.md §8.2, ruleset 2026.12): it keeps a therapy
from `recommended` (`consider`, the null in `missing`, a reason to check it before starting); it is not listed
when the verdict is consider for another reason, contraindicated, not_indicated or insufficient_data; it never
makes a therapy insufficient_data; over lesions, it is unknown only when the known lesions do not settle it,
and then the nulls of the lesions that could settle it are listed."""

import copy
from typing import Any

import pytest
from hypothesis import given

from shared.contracts.codes import TherapyCode, Verdict
from shared.contracts.recommendation import TherapyVerdict
from tests.unit.eligibility.builders import long_bone, make_case, pelvis, rib, run, spine
from tests.unit.eligibility.test_properties import FAST, case_documents
from tests.unit.eligibility.test_properties import run as run_document

T = TherapyCode
SPINE_6 = ("T5", "moderate", "lytic", "normal", "none_gt_50pct_involved", "unilateral")
SPINE_7 = ("T5", "mechanical", "lytic", "normal", "none", "unilateral")
TARGET = {"prior_radiotherapy": True, "pain_persists_after_radiotherapy": True}
YOUNG = {"patient.birth_year": 1990}  # under 55: a null pregnancy stays unknown

# Every relative contraindication of §3 whose input can be null, one at a time on the builders' BASE case
# (where each of these therapies is recommended): (therapy, changes, the reason code, missing).
SINGLE_UNKNOWNS: list[tuple[TherapyCode, dict[str, Any], str, list[str]]] = [
    (T.non_opioid_analgesic, {**YOUNG, "patient.pregnant": None}, "rel_pregnant_nsaid", ["patient.pregnant"]),
    (
        T.non_opioid_analgesic,
        {"status.renal_failure": None},
        "rel_renal_failure_nsaid",
        ["status.renal_failure"],
    ),
    (T.opioid_analgesic, {**YOUNG, "patient.pregnant": None}, "rel_pregnant_opioid", ["patient.pregnant"]),
    (
        T.opioid_analgesic,
        {"status.renal_failure": None},
        "rel_renal_failure_opioid",
        ["status.renal_failure"],
    ),
    (
        T.neuropathic_adjuvant,
        {"pain.neuropathic": True, "status.renal_failure": None},
        "rel_renal_failure_adjuvant",
        ["status.renal_failure"],
    ),
    (
        T.osteoclast_inhibitor,
        {"labs.creatinine_clearance_ml_min": None},
        "rel_creatinine_clearance_low",
        ["labs.creatinine_clearance_ml_min"],
    ),
    (
        T.osteoclast_inhibitor,
        {"labs.corrected_calcium_mmol_l": None},
        "rel_calcium_low",
        ["labs.corrected_calcium_mmol_l"],
    ),
    (
        T.osteoclast_inhibitor,
        {**YOUNG, "patient.pregnant": None},
        "rel_pregnant_osteoclast",
        ["patient.pregnant"],
    ),
    (
        T.physical_activity,
        {"lesions": [rib(), spine(*SPINE_6, posterolateral_involvement=None)]},
        "rel_spinal_instability",
        ["lesions[1].posterolateral_involvement", "lesions[1].sins_score"],
    ),
    (
        T.physical_activity,
        {
            "lesions": [
                rib(),
                long_bone("humerus", "moderate", "mixed", "one_third_to_two_thirds", lesion_type=None),
            ]
        },
        "rel_impending_fracture",
        ["lesions[1].lesion_type", "lesions[1].mirels_score"],
    ),
    (
        T.physical_activity,
        {"lesions[1].pathological_fracture": None},
        "rel_pathological_fracture",
        ["lesions[1].pathological_fracture"],
    ),
    (
        T.physical_activity,
        {"neurology.spinal_cord_compression": None},
        "rel_cord_compression",
        ["neurology.spinal_cord_compression"],
    ),
    (T.systemic_therapy, {"status.ecog": None}, "rel_ecog_poor", ["status.ecog"]),
    (
        T.external_beam_radiotherapy,
        {**YOUNG, "patient.pregnant": None},
        "rel_pregnant_radiotherapy",
        ["patient.pregnant"],
    ),
    (
        T.external_beam_radiotherapy,
        {"lesions[0].prior_radiotherapy": None},
        "rel_reirradiation",
        ["lesions[0].prior_radiotherapy"],
    ),
    (
        T.radiopharmaceutical,
        {"pain.refractory_to_analgesics": True, "history.last_bisphosphonate_date": None},
        "rel_bisphosphonate_recent",
        ["history.last_bisphosphonate_date"],
    ),
    (
        T.radiopharmaceutical,
        {"pain.refractory_to_analgesics": True, "visceral_metastases": None},
        "rel_visceral_metastases",
        ["visceral_metastases"],
    ),
    (
        T.surgery,
        {"lesions[0].pathological_fracture": True, "status.life_expectancy_months": None},
        "rel_life_expectancy_short_surgery",
        ["status.life_expectancy_months"],
    ),
    (
        T.postoperative_radiotherapy,
        {**YOUNG, "lesions[0].pathological_fracture": True, "patient.pregnant": None},
        "rel_pregnant_radiotherapy",
        ["patient.pregnant"],
    ),
    (
        T.thermal_ablation,
        {"lesions": [rib(**TARGET), pelvis()], "status.active_infection": None},
        "rel_active_infection",
        ["status.active_infection"],
    ),
    (
        T.thermal_ablation,
        {"lesions": [rib(**TARGET, adjacent_critical_structure=None), pelvis()]},
        "rel_adjacent_critical_structure",
        ["lesions[0].adjacent_critical_structure"],
    ),
]


def verdict(changes: dict[str, Any], code: TherapyCode) -> TherapyVerdict:
    return next(t for t in run(make_case(changes)).therapies if t.code == code)


@pytest.mark.parametrize(
    ("code", "changes", "reason", "missing"),
    SINGLE_UNKNOWNS,
    ids=[f"{code}-{reason}" for code, _, reason, _ in SINGLE_UNKNOWNS],
)
def test_each_unknown_relative_contraindication_is_consider_with_its_null(
    code: TherapyCode, changes: dict[str, Any], reason: str, missing: list[str]
) -> None:
    got = verdict(changes, code)
    assert got.status == Verdict.consider
    assert got.missing == missing
    assert got.reasons[0].code == f"{reason}_unknown"
    assert got.reasons[0].text.startswith("Not known, check before starting:")
    assert all(path in got.reasons[0].text for path in missing)
    assert got.reasons[0].source  # the caution's own source


def test_several_unknowns_are_all_listed_each_with_its_reason() -> None:
    got = verdict({**YOUNG, "patient.pregnant": None, "status.renal_failure": None}, T.non_opioid_analgesic)
    assert got.status == Verdict.consider
    assert got.missing == ["patient.pregnant", "status.renal_failure"]
    assert [r.code for r in got.reasons[:2]] == [
        "rel_pregnant_nsaid_unknown",
        "rel_renal_failure_nsaid_unknown",
    ]


def test_not_listed_when_already_consider_for_another_reason() -> None:
    # a known caution
    got = verdict({"status.renal_failure": "chronic", **YOUNG, "patient.pregnant": None}, T.opioid_analgesic)
    assert (got.status, got.missing) == (Verdict.consider, [])
    # a case-by-case indication (lung primary) with ECOG null
    got = verdict({"primary_tumour.site": "lung", "status.ecog": None}, T.systemic_therapy)
    assert (got.status, got.missing) == (Verdict.consider, [])
    # surgery consider (SINS 7) with life expectancy null
    got = verdict({"lesions": [rib(), spine(*SPINE_7)], "status.life_expectancy_months": None}, T.surgery)
    assert (got.status, got.missing) == (Verdict.consider, [])


def test_not_listed_when_contraindicated_not_indicated_or_insufficient_data() -> None:
    # contraindicated: radiopharmaceutical with renal failure and visceral metastases null
    got = verdict(
        {"pain.refractory_to_analgesics": True, "status.renal_failure": "acute", "visceral_metastases": None},
        T.radiopharmaceutical,
    )
    assert (got.status, got.missing) == (Verdict.contraindicated, [])
    # not indicated: neuropathic adjuvant without neuropathic pain, renal failure null
    got = verdict({"status.renal_failure": None}, T.neuropathic_adjuvant)
    assert (got.status, got.missing) == (Verdict.not_indicated, [])
    # insufficient data: radiopharmaceutical with chemotherapy date and bisphosphonate date null
    got = verdict(
        {
            "pain.refractory_to_analgesics": True,
            "history.last_chemotherapy_date": None,
            "history.last_bisphosphonate_date": None,
        },
        T.radiopharmaceutical,
    )
    assert (got.status, got.missing) == (Verdict.insufficient_data, ["history.last_chemotherapy_date"])


def test_over_lesions_the_known_lesions_can_settle_it() -> None:
    # any SINS >= 7: a known SINS 7 settles it, whatever the other spine lesion's nulls
    settled = {"lesions": [spine(*SPINE_7), spine(*SPINE_6, id="S2", spine_level="T6", lesion_type=None)]}
    assert (verdict(settled, T.physical_activity).status, verdict(settled, T.physical_activity).missing) == (
        Verdict.consider,
        [],
    )
    # every painful lesion irradiated: a painful lesion known not irradiated settles it (false)
    two_painful = {"lesions": [rib(), pelvis(painful=True, prior_radiotherapy=None)]}
    got = verdict(two_painful, T.external_beam_radiotherapy)
    assert (got.status, got.missing) == (Verdict.recommended, [])
    # ... and when the known lesions do not settle it, the lesions that could are listed (only those)
    open_question = {
        "lesions": [
            rib(prior_radiotherapy=True),
            pelvis(painful=True, prior_radiotherapy=None),
            pelvis(id="K1", site="skull", painful=False, prior_radiotherapy=None),
        ]
    }
    got = verdict(open_question, T.external_beam_radiotherapy)
    assert (got.status, got.missing) == (Verdict.consider, ["lesions[1].prior_radiotherapy"])
    # a lesion whose painfulness is unknown could settle it either way: both of its inputs are listed
    got = verdict(
        {"lesions": [rib(prior_radiotherapy=True), pelvis(painful=None, prior_radiotherapy=None)]},
        T.external_beam_radiotherapy,
    )
    assert (got.status, got.missing) == (
        Verdict.consider,
        ["lesions[1].painful", "lesions[1].prior_radiotherapy"],
    )
    # every ablatable target next to a critical structure: one ablatable target known clear settles it
    got = verdict(
        {"lesions": [rib(**TARGET), rib(id="R2", **TARGET, adjacent_critical_structure=None)]},
        T.thermal_ablation,
    )
    assert (got.status, got.missing) == (Verdict.recommended, [])


# --- properties ----------------------------------------------------------------------------------------
# Inputs each therapy reads only through its relative contraindications (§3).
REL_ONLY: dict[TherapyCode, tuple[str, ...]] = {
    T.non_opioid_analgesic: ("patient.pregnant", "status.renal_failure"),
    T.opioid_analgesic: ("patient.pregnant", "status.renal_failure"),
    T.neuropathic_adjuvant: ("status.renal_failure",),
    T.osteoclast_inhibitor: (
        "labs.creatinine_clearance_ml_min",
        "labs.corrected_calcium_mmol_l",
        "patient.pregnant",
    ),
    T.systemic_therapy: ("status.ecog",),
    T.external_beam_radiotherapy: ("patient.pregnant", "lesions[].prior_radiotherapy"),
    T.radiopharmaceutical: ("history.last_bisphosphonate_date", "visceral_metastases"),
    T.surgery: ("status.life_expectancy_months",),
    T.postoperative_radiotherapy: ("patient.pregnant",),
    T.thermal_ablation: ("status.active_infection", "lesions[].adjacent_critical_structure"),
    T.physical_activity: (
        "neurology.spinal_cord_compression",
        "lesions[].pathological_fracture",
        "lesions[].lesion_type",
        "lesions[].pain_pattern",
        "lesions[].sins_score",
        "lesions[].mirels_score",
        "lesions[].escc_grade",
        "lesions[].posterolateral_involvement",
        "lesions[].cortical_involvement",
    ),
}


def known_rel_paths(doc: dict[str, Any], code: TherapyCode) -> list[str]:
    paths = []
    for name in REL_ONLY[code]:
        if name.startswith("lesions[]."):
            key = name.removeprefix("lesions[].")
            paths += [
                f"lesions[{i}].{key}"
                for i, lesion in enumerate(doc["lesions"])
                if lesion.get(key) is not None
            ]
        else:
            section, _, key = name.partition(".")
            value = doc[section][key] if key else doc[section]
            if value is not None:
                paths.append(name)
    return paths


def blanked(doc: dict[str, Any], path: str) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    head, _, key = path.partition(".")
    if head.startswith("lesions["):
        out["lesions"][int(head[len("lesions[") : -1])][key] = None
    elif key:
        out[head][key] = None
    else:
        out[head] = None
    return out


def by_age(doc: dict[str, Any], path: str) -> bool:
    """A blanked pregnancy from 55 is read as "no" (§1), not as unknown."""
    birth_year = doc["patient"]["birth_year"]
    return path == "patient.pregnant" and birth_year is not None and 2026 - birth_year >= 55


@FAST
@given(case_documents())
def test_blanking_a_relative_contraindication_input_follows_8_2(doc: dict[str, Any]) -> None:
    before = {t.code: t for t in run_document(doc).therapies}
    for code in REL_ONLY:
        for path in known_rel_paths(doc, code):
            old = before[code]
            new = next(t for t in run_document(blanked(doc, path)).therapies if t.code == code)
            # never insufficient_data because of it
            if new.status == Verdict.insufficient_data:
                assert old.status == Verdict.insufficient_data and new.missing == old.missing, (code, path)
            if old.status in (Verdict.contraindicated, Verdict.not_indicated):
                assert (new.status, new.missing) == (old.status, []), (code, path)
            if new.status == Verdict.recommended and not by_age(doc, path):
                assert old.status == Verdict.recommended, (code, path)
            if old.status == Verdict.recommended and new.status == Verdict.consider and path in new.missing:
                assert any(r.code.endswith("_unknown") and path in r.text for r in new.reasons), (code, path)


@FAST
@given(case_documents())
def test_missing_on_consider_is_only_ever_an_open_contraindication(doc: dict[str, Any]) -> None:
    for therapy in run_document(doc).therapies:
        unknown_reasons = [r for r in therapy.reasons if r.code.endswith("_unknown")]
        if therapy.status == Verdict.consider and therapy.missing:
            # each null named by a "check before starting" reason; no known caution beside them
            for path in therapy.missing:
                assert any(path in r.text for r in unknown_reasons), (therapy.code, path)
            assert not any(
                r.code.startswith("rel_") and not r.code.endswith("_unknown") for r in therapy.reasons
            )
        else:
            assert unknown_reasons == [], therapy.code
        if therapy.status in (Verdict.recommended, Verdict.not_indicated, Verdict.contraindicated):
            assert therapy.missing == [], therapy.code
