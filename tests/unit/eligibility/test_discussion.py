"""Discussion mode (clinical-rules.md §7, from ruleset 2026.12; stereotactic body radiotherapy and vertebral
augmentation joined in 2027.01): each reason alone, several together in their order, and properties over
generated cases against an oracle written from the rule's text."""

from typing import Any

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from services.eligibility.domain.discussion import discussion_mode
from shared.contracts.codes import TherapyCode, Urgency, Verdict
from shared.contracts.recommendation import Discussion, Recommendation
from tests.unit.eligibility.builders import days_ago, long_bone, make_case, pelvis, rib, run, spine
from tests.unit.eligibility.test_properties import FAST, case_documents
from tests.unit.eligibility.test_properties import run as run_document

SPINE_7 = ("T5", "mechanical", "lytic", "normal", "none", "unilateral")  # SINS 1+3+2+0+0+1
MIRELS_8 = ("femur", "moderate", "mixed", "one_third_to_two_thirds")  # 2+2+2+2
REFRACTORY = {"pain.refractory_to_analgesics": True}
THREE_PAINFUL = {"lesions": [rib(), pelvis(painful=True), pelvis(id="K1", site="skull", painful=True)]}
TARGET = {"prior_radiotherapy": True, "pain_persists_after_radiotherapy": True}
AUGMENTATION_TARGET = ("T5", "moderate", "blastic", "normal", "lt_50pct", "none")  # SINS 4

# (name, changes to the builders' BASE case, the discussion_reasons in order)
CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("base_is_standard_of_care", {}, []),
    # --- each reason alone (where the rules let it stand alone) ---
    ("urgent_severe_pain", {"pain.score": 7}, ["urgency_urgent"]),
    ("alert_source_conflict", {"history.last_bisphosphonate_date": days_ago(10)}, ["alert_source_conflict"]),
    ("insufficient_data_neuropathic", {"pain.neuropathic": None}, ["insufficient_data"]),
    ("surgery_consider_solitary_sternum", {"lesions": [rib(site="sternum")]}, ["surgery_consider"]),
    (
        "thermal_ablation_recommended",
        {"lesions": [rib(**TARGET), pelvis(painful=True)]},
        ["thermal_ablation_recommended"],
    ),
    (
        "thermal_ablation_consider",
        {"lesions": [rib(**TARGET), pelvis(painful=True)], "status.active_infection": True},
        ["thermal_ablation_consider"],
    ),
    ("hemibody_consider", THREE_PAINFUL, ["hemibody_radiotherapy_consider"]),
    ("radiopharmaceutical_recommended", REFRACTORY, ["radiopharmaceutical_recommended"]),
    (
        "radiopharmaceutical_consider_visceral",
        {**REFRACTORY, "visceral_metastases": True},
        ["radiopharmaceutical_consider"],
    ),
    (
        "reirradiation_is_ebrt_consider",
        {"lesions[0].prior_radiotherapy": True},
        ["external_beam_radiotherapy_consider"],
    ),
    # 2027.01
    (
        "sbrt_consider_oligometastatic",
        {"status.metastasis_count": 3},
        ["stereotactic_body_radiotherapy_consider"],
    ),
    (
        "augmentation_consider",
        {"lesions": [rib(), spine(*AUGMENTATION_TARGET, painful=True)]},
        ["vertebral_augmentation_consider"],
    ),
    ("sbrt_not_indicated_ecog_3", {"status.metastasis_count": 3, "status.ecog": 3}, []),
    ("augmentation_contraindicated_infection", {"status.active_infection": True}, []),
    # --- reasons that never stand alone, with what always comes with them ---
    (
        "emergency_comes_with_its_alert",
        {"labs.corrected_calcium_mmol_l": 3.5},
        ["urgency_emergency", "alert_hypercalcaemia_severe"],
    ),
    (
        "pregnancy_alert_and_ebrt_consider",
        {"patient.pregnant": True},
        ["alert_pregnancy", "external_beam_radiotherapy_consider"],
    ),
    (
        "fracture",
        {"lesions[0].pathological_fracture": True},
        ["urgency_urgent", "surgery_recommended", "fracture"],
    ),
    ("sins_ge_7", {"lesions": [rib(), spine(*SPINE_7)]}, ["urgency_urgent", "surgery_consider", "sins_ge_7"]),
    (
        "mirels_ge_8",
        {"lesions": [rib(), long_bone(*MIRELS_8)]},
        ["urgency_urgent", "surgery_consider", "mirels_ge_8"],
    ),
    (
        "surgery_insufficient_data_gives_both",
        {"lesions[0].pathological_fracture": None},
        ["insufficient_data", "surgery_insufficient_data"],
    ),
    (
        "radiopharmaceutical_insufficient_data_gives_both",
        {**REFRACTORY, "history.last_chemotherapy_date": None},
        ["insufficient_data", "radiopharmaceutical_insufficient_data"],
    ),
    (
        "sbrt_insufficient_data_gives_both",
        {"status.metastasis_count": None},
        ["insufficient_data", "stereotactic_body_radiotherapy_insufficient_data"],
    ),
    (
        "augmentation_insufficient_data_gives_both",
        {"lesions": [rib(), spine(*AUGMENTATION_TARGET, painful=None)]},
        ["insufficient_data", "vertebral_augmentation_insufficient_data"],
    ),
    # --- contraindicated or not indicated interventions give no reason ---
    ("hemibody_contraindicated", {**THREE_PAINFUL, "labs.platelets_10e9_l": 50.0}, []),
    (
        "radiopharmaceutical_contraindicated_chemo",
        {**REFRACTORY, "history.last_chemotherapy_date": days_ago(10)},
        [],
    ),
    (
        "ablation_contraindicated_inaccessible",
        {"lesions": [rib(**TARGET, percutaneously_accessible=False), pelvis(painful=True)]},
        [],
    ),
    # --- several together, in §7's order ---
    (
        "mscc_neurology_unknown",
        {"neurology.spinal_cord_compression": "suspected", "neurology.neurological_deficit": None},
        ["urgency_emergency", "alert_mscc", "alert_neurology_unknown", "surgery_recommended"],
    ),
    (
        "hemibody_and_radiopharmaceutical",
        {**THREE_PAINFUL, **REFRACTORY, "visceral_metastases": True},
        ["hemibody_radiotherapy_consider", "radiopharmaceutical_consider"],
    ),
    (
        "radiopharmaceutical_sbrt_and_augmentation_in_order",
        {
            **REFRACTORY,
            "status.metastasis_count": 3,
            "lesions": [rib(), spine(*AUGMENTATION_TARGET, painful=None)],
        },
        [
            "insufficient_data",
            "radiopharmaceutical_recommended",
            "stereotactic_body_radiotherapy_consider",
            "vertebral_augmentation_insufficient_data",
        ],
    ),
    (
        "everything",
        {
            "lesions": [
                rib(pathological_fracture=True, **TARGET),
                spine(*SPINE_7, painful=True),
                long_bone(*MIRELS_8, painful=True),
            ],
            "patient.pregnant": True,
            "history.last_bisphosphonate_date": days_ago(10),
            "labs.corrected_calcium_mmol_l": 3.2,
            "pain.neuropathic": None,
            **REFRACTORY,
        },
        [
            "urgency_urgent",
            "alert_hypercalcaemia",
            "alert_pregnancy",
            "alert_source_conflict",
            "insufficient_data",
            "surgery_recommended",
            "thermal_ablation_recommended",
            # the painful spine lesion's mechanical pain, resistant to analgesia, makes it a target
            "vertebral_augmentation_consider",
            "fracture",
            "sins_ge_7",
            "mirels_ge_8",
            "external_beam_radiotherapy_consider",
        ],
    ),
]


@pytest.mark.parametrize(("changes", "expected"), [(c, e) for _, c, e in CASES], ids=[n for n, _, _ in CASES])
def test_discussion_reasons(changes: dict[str, Any], expected: list[str]) -> None:
    rec = run(make_case(changes))
    assert rec.discussion_reasons == expected
    assert rec.discussion == (Discussion.full if expected else Discussion.standard_of_care)


def test_every_reason_code_is_exercised() -> None:
    seen = {code for _, _, expected in CASES for code in expected}
    assert {
        "urgency_urgent",
        "urgency_emergency",
        "insufficient_data",
        "surgery_recommended",
        "surgery_consider",
        "surgery_insufficient_data",
        "thermal_ablation_recommended",
        "thermal_ablation_consider",
        "hemibody_radiotherapy_consider",
        "radiopharmaceutical_recommended",
        "radiopharmaceutical_consider",
        "radiopharmaceutical_insufficient_data",
        "stereotactic_body_radiotherapy_consider",
        "stereotactic_body_radiotherapy_insufficient_data",
        "vertebral_augmentation_consider",
        "vertebral_augmentation_insufficient_data",
        "fracture",
        "sins_ge_7",
        "mirels_ge_8",
        "external_beam_radiotherapy_consider",
    } <= seen
    assert {"alert_pregnancy", "alert_source_conflict", "alert_mscc", "alert_hypercalcaemia"} <= seen


def test_mode_follows_the_reasons() -> None:
    assert discussion_mode([]) == Discussion.standard_of_care
    assert discussion_mode(["fracture"]) == Discussion.full


# --- properties ----------------------------------------------------------------------------------------
INTERVENTIONS = (
    TherapyCode.surgery,
    TherapyCode.thermal_ablation,
    TherapyCode.hemibody_radiotherapy,
    TherapyCode.radiopharmaceutical,
    TherapyCode.stereotactic_body_radiotherapy,
    TherapyCode.vertebral_augmentation,
)


def expected_reasons(doc: dict[str, Any], rec: Recommendation) -> list[str]:
    """§7 read straight from its text, over the recommendation's own output and the case."""
    status = {t.code: t.status for t in rec.therapies}
    reasons = []
    if rec.urgency != Urgency.routine:
        reasons.append(f"urgency_{rec.urgency}")
    reasons += [f"alert_{a.code}" for a in rec.alerts]
    if any(s == Verdict.insufficient_data for s in status.values()):
        reasons.append("insufficient_data")
    for code in INTERVENTIONS:
        if status[code] not in (Verdict.not_indicated, Verdict.contraindicated):
            reasons.append(f"{code}_{status[code]}")
    if any(lesion.get("pathological_fracture") is True for lesion in doc["lesions"]):
        reasons.append("fracture")
    if any(s.sins is not None and s.sins >= 7 for s in rec.scores.values()):
        reasons.append("sins_ge_7")
    if any(s.mirels is not None and s.mirels >= 8 for s in rec.scores.values()):
        reasons.append("mirels_ge_8")
    if status[TherapyCode.external_beam_radiotherapy] == Verdict.consider:
        reasons.append("external_beam_radiotherapy_consider")
    return reasons


@st.composite
def quiet_case_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A generated case with the loud parts taken out (no spine or long-bone lesion, no fracture, no prior
    radiotherapy, pain below 7, normal calcium, no cord compression, pregnancy and bisphosphonate stated
    "no"), so that standard_of_care cases and their near misses are common, not rare."""
    doc = draw(case_documents())
    lesions = [lesion for lesion in doc["lesions"] if lesion["site"] not in QUIET_EXCLUDED_SITES]
    for lesion in lesions:
        lesion.update(pathological_fracture=False, prior_radiotherapy=False)
    doc["lesions"] = lesions or [rib()]
    doc["pain"]["score"] = draw(st.integers(min_value=0, max_value=6))
    doc["neurology"] = {"spinal_cord_compression": "none", "neurological_deficit": False}
    doc["labs"]["corrected_calcium_mmol_l"] = 2.4
    doc["patient"].update(pregnant=False if doc["patient"]["sex"] != "male" else None)
    doc["history"]["last_bisphosphonate_date"] = "never"
    # not oligometastatic, so that stereotactic body radiotherapy is often not indicated
    doc["status"]["metastasis_count"] = draw(st.sampled_from([6, 8, 30]))
    return doc


QUIET_EXCLUDED_SITES = {"spine", "femur", "humerus", "tibia", "fibula", "radius_ulna"}
CASE_DOCUMENTS = st.one_of(case_documents(), quiet_case_documents())


@FAST
@given(CASE_DOCUMENTS)
def test_discussion_follows_the_rule(doc: dict[str, Any]) -> None:
    rec = run_document(doc)
    assert rec.discussion_reasons == expected_reasons(doc, rec)
    assert len(set(rec.discussion_reasons)) == len(rec.discussion_reasons)
    assert (rec.discussion == Discussion.standard_of_care) == (rec.discussion_reasons == [])


@FAST
@given(CASE_DOCUMENTS)
def test_standard_of_care_never_comes_with_an_alert_urgency_or_insufficient_data(doc: dict[str, Any]) -> None:
    rec = run_document(doc)
    assert rec.discussion is not None
    if rec.discussion == Discussion.standard_of_care:
        assert rec.alerts == []
        assert rec.urgency == Urgency.routine and rec.book_within_hours == 336
        assert all(t.status != Verdict.insufficient_data for t in rec.therapies)
        for therapy in rec.therapies:
            if therapy.code in INTERVENTIONS:
                assert therapy.status in (Verdict.not_indicated, Verdict.contraindicated)


def test_the_generator_reaches_standard_of_care_cases() -> None:
    """The properties above are not vacuous: generated cases do include standard-of-care ones."""
    found = find(
        quiet_case_documents(),
        lambda doc: run_document(doc).discussion == Discussion.standard_of_care,
        settings=settings(max_examples=300, database=None, deadline=None, phases=[Phase.generate]),
    )
    assert run_document(found).discussion_reasons == []
