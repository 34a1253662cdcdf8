"""ruleset_document() and render_summary()."""

import json

from services.eligibility.domain import RULESET_VERSION, render_summary, ruleset_document
from services.eligibility.domain.reasons import CATALOGUE
from shared.contracts.codes import TherapyCode
from tests.unit.eligibility.builders import days_ago, make_case, run


def test_ruleset_document_is_json_and_names_every_therapy_in_order() -> None:
    doc = ruleset_document()
    json.dumps(doc)
    assert doc["ruleset_version"] == RULESET_VERSION == "2027.01"
    assert [t["code"] for t in doc["therapies"]] == [str(code) for code in TherapyCode]
    for therapy in doc["therapies"]:
        assert therapy["indication"], therapy["code"]
        for item in (
            *therapy["indication"],
            *therapy["absolute_contraindications"],
            *therapy["relative_contraindications"],
        ):
            assert item["text"] and item["source"] and item["code"]
    assert set(doc["sources"]) == {
        "SEED",
        "SINS",
        "MIRELS",
        "BILSKY",
        "NOMS",
        "PATCHELL",
        "ASTRO",
        "ESMO",
        "WHO",
        "NICE",
        "SCOR",
        "NHSE",
        "LABEL",
        "OMD",
        "SC24",
        "NICEVA",
        "NASS",
        "MRONJ",
    }
    # every source tag a reason or a rule names is described
    tags = {
        tag.strip()
        for therapy in doc["therapies"]
        for key in REASON_LISTS
        for item in therapy[key]
        for tag in item["source"].split(",")
    }
    tags |= {fact["source"] for fact in doc["derived_facts"]} | {doc["discussion"]["source"]}
    assert tags <= set(doc["sources"])
    assert {"SCOR", "NHSE", "OMD", "SC24", "NICEVA", "NASS", "MRONJ"} <= tags


REASON_LISTS = (
    "indication",
    "not_indicated",
    "absolute_contraindications",
    "relative_contraindications",
    "notes",
    "when_recommended_or_consider",
)


def test_ruleset_document_publishes_every_reason_the_engine_can_give() -> None:
    """A clinical reviewer reads every reason code with its text and source without reading code (the pain
    bands are the thresholds' pain_bands; insufficient_data names its inputs)."""
    published = {
        item["code"]
        for therapy in ruleset_document()["therapies"]
        for key in REASON_LISTS
        for item in therapy[key]
    }
    assert set(CATALOGUE) - published == {"insufficient_data", "pain_mild", "pain_moderate", "pain_severe"}


def test_ruleset_document_publishes_the_2027_01_therapies_facts_and_inputs() -> None:
    doc = ruleset_document()
    therapies = {t["code"]: t for t in doc["therapies"]}
    codes = {
        key: [item["code"] for item in therapies["stereotactic_body_radiotherapy"][key]]
        for key in REASON_LISTS
    }
    sbrt = therapies["stereotactic_body_radiotherapy"]
    assert sbrt["owner"] == "radiation_oncology" and sbrt["strongest_verdict"] == "consider"
    assert codes["indication"] == ["sbrt_oligometastatic", "sbrt_radioresistant", "sbrt_spine_reirradiation"]
    assert codes["not_indicated"] == ["sbrt_performance_status", "sbrt_prognosis", "sbrt_not_indicated"]
    assert codes["absolute_contraindications"] == ["sbrt_cord_compression"]
    assert codes["notes"] == ["sbrt_pregnancy", "sbrt_stability_review"]
    assert codes["when_recommended_or_consider"] == ["sbrt_conditional"]
    assert "three-valued" in sbrt["indication_logic"] and "ECOG <= 2" in sbrt["indication_logic"]
    augmentation = therapies["vertebral_augmentation"]
    assert augmentation["owner"] == "radiology" and augmentation["strongest_verdict"] == "consider"
    assert [i["code"] for i in augmentation["absolute_contraindications"]] == [
        "augmentation_cord_compression",
        "augmentation_bleeding",
        "augmentation_infection",
        "augmentation_anaesthesia",
        "augmentation_unstable",
    ]
    assert [i["code"] for i in augmentation["when_recommended_or_consider"]] == [
        "augmentation_team_agreement",
        "augmentation_not_antitumour",
    ]
    assert [t["code"] for t in doc["therapies"]][-3:] == [
        "thermal_ablation",
        "stereotactic_body_radiotherapy",
        "vertebral_augmentation",
    ]
    assert all(t["strongest_verdict"] == "recommended" for t in doc["therapies"][:-2])
    osteoclast = therapies["osteoclast_inhibitor"]
    assert len(osteoclast["when_recommended_or_consider"]) == 7
    assert "sbrt_alternative" in [n["code"] for n in therapies["external_beam_radiotherapy"]["notes"]]
    facts = {fact["fact"]: fact for fact in doc["derived_facts"]}
    assert facts["radioresistant primary (2027.01)"]["source"] == "SC24"
    assert "colorectal" in facts["radioresistant primary (2027.01)"]["text"]
    assert facts["oligometastatic (2027.01)"]["source"] == "OMD"
    assert [i["field"] for i in doc["inputs_added"]] == [
        "status.metastasis_count",
        "history.dental_assessment",
        "lesions[].posterior_wall",
        "labs.inr",
    ]
    assert len(doc["changes"]) == 6
    th = doc["thresholds"]
    assert th["stereotactic_body_radiotherapy"]["oligometastatic_max_metastases"] == 5
    assert th["stereotactic_body_radiotherapy"]["ecog_max"] == 2
    assert th["stereotactic_body_radiotherapy"]["life_expectancy_min_months"] == 6
    assert th["vertebral_augmentation"]["coagulation_inr_above"] == 1.5
    assert th["vertebral_augmentation"]["coagulation_platelets_below_10e9_l"] == 50
    assert th["calcium_and_vitamin_d_up_to_corrected_calcium_mmol_l"]["value"] == 2.60


def test_ruleset_document_describes_the_discussion_rule_and_pregnancy_by_age() -> None:
    doc = ruleset_document()
    discussion = doc["discussion"]
    assert discussion["modes"] == ["full", "standard_of_care"]
    assert discussion["source"] == "NHSE"
    codes = [condition["reason_codes"] for condition in discussion["conditions"]]
    assert codes == [
        ["urgency_urgent", "urgency_emergency"],
        ["alert_<code>"],
        ["insufficient_data"],
        [
            "surgery_<status>",
            "thermal_ablation_<status>",
            "hemibody_radiotherapy_<status>",
            "radiopharmaceutical_<status>",
            "stereotactic_body_radiotherapy_<status>",
            "vertebral_augmentation_<status>",
        ],
        ["fracture", "sins_ge_7", "mirels_ge_8"],
        ["external_beam_radiotherapy_consider"],
    ]
    pregnancy = doc["derived_facts"][0]
    assert pregnancy["source"] == "SCOR" and "55 or older" in pregnancy["text"]
    assert doc["thresholds"]["pregnancy_not_recorded_taken_as_false_from_age"]["age"] == 55
    radiopharmaceutical = next(t for t in doc["therapies"] if t["code"] == "radiopharmaceutical")
    assert {"pregnant_not_recorded_by_age", "breastfeeding_not_recorded_by_age"} <= {
        note["code"] for note in radiopharmaceutical["notes"]
    }


def test_ruleset_document_thresholds() -> None:
    th = ruleset_document()["thresholds"]
    assert [b["band"] for b in th["pain_bands"]["bands"]] == ["none", "mild", "moderate", "severe"]
    assert th["sins"]["indeterminate_min"] == 7 and th["sins"]["unstable_min"] == 13
    assert th["sins"]["components"]["location"]["T11"] == 3
    assert th["mirels"]["consider_surgery"] == 8 and th["mirels"]["prophylactic_fixation_min"] == 9
    assert th["mirels"]["components"]["site"]["femur_peritrochanteric"] == 3
    assert th["chemotherapy_window_days"] == 42 and th["bisphosphonate_window_days"] == 42
    assert th["corrected_calcium_mmol_l"] == {"urgent_from": 3.0, "emergency_from": 3.5, "low_below": 2.10}
    assert th["myelosuppression_below"]["platelets_10e9_l"] == 100
    assert th["myelosuppression_below"]["neutrophils_10e9_l"] == 1.5
    assert th["myelosuppression_below"]["haemoglobin_g_dl"] == 10
    assert th["widespread_more_than_lesions"] == 5
    assert th["life_expectancy_months"] == 3
    assert th["creatinine_clearance_min_ml_min"] == 30


def test_summary_has_urgency_line_and_one_line_per_therapy() -> None:
    rec = run(
        make_case(
            {
                "pain.refractory_to_analgesics": True,
                "history.last_chemotherapy_date": days_ago(10),
                "neurology.spinal_cord_compression": "confirmed",
                "neurology.neurological_deficit": True,
            }
        )
    )
    lines = render_summary(rec).splitlines()
    assert lines[0].startswith("Urgency: emergency (book within 24 h)")
    assert "mscc" in lines[0]
    assert lines[0].endswith("; discussion: full (urgency_emergency, alert_mscc, surgery_recommended)")
    assert len(lines) == 1 + len(TherapyCode)
    for line, therapy in zip(lines[1:], rec.therapies, strict=True):
        assert line.startswith(f"{therapy.code}: {therapy.status} - {therapy.reasons[0].text}")
        assert f"[{therapy.reasons[0].source}]" in line
    radiopharm = next(line for line in lines if line.startswith("radiopharmaceutical"))
    assert "contraindicated" in radiopharm and "Spinal cord compression" in radiopharm
