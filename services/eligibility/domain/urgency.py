"""Urgency and alerts (clinical-rules.md §4). The highest level any rule reaches wins."""

from services.eligibility.domain import thresholds as t
from services.eligibility.domain.facts import CaseFacts
from shared.contracts.codes import Urgency
from shared.contracts.recommendation import Alert

_RANK = {Urgency.routine: 0, Urgency.urgent: 1, Urgency.emergency: 2}

ALERT_TEXTS: dict[str, str] = {
    "mscc": "Metastatic spinal cord compression with a neurological deficit (or unknown neurology): "
    "dexamethasone and whole-spine MRI within 24 h [NICE]",
    "neurology_unknown": "Cord compression with neurological deficit not stated: treated as a deficit "
    "until examined [NICE]",
    "hypercalcaemia_severe": f"Corrected calcium {t.CALCIUM_EMERGENCY_MIN:g} mmol/L or more: severe "
    "hypercalcaemia, treat now",
    "hypercalcaemia": f"Corrected calcium from {t.CALCIUM_URGENT_MIN:g} to below "
    f"{t.CALCIUM_EMERGENCY_MIN:g} mmol/L: hypercalcaemia",
    "pregnancy": "Pregnant: obstetric input needed",
    "source_conflict": "Bisphosphonate within 6 weeks: the seed article forbids a radiopharmaceutical, ESMO "
    "supports radium-223 alongside bone-targeted agents; the MDT decides [SEED, ESMO]",
}


def _alert(code: str) -> Alert:
    return Alert(code=code, text=ALERT_TEXTS[code])


def urgency_triggers(facts: CaseFacts) -> list[tuple[Urgency, str]]:
    """Every rule of §4 that fires, as (level, what fired)."""
    fired: list[tuple[Urgency, str]] = []
    calcium = facts.case.labs.corrected_calcium_mmol_l
    score = facts.case.pain.score
    if facts.mscc_emergency:
        fired.append((Urgency.emergency, "mscc"))
    if calcium is not None and calcium >= t.CALCIUM_EMERGENCY_MIN:
        fired.append((Urgency.emergency, "hypercalcaemia_severe"))
    if facts.any_fracture.true:
        fired.append((Urgency.urgent, "pathological_fracture"))
    if facts.any_sins_at_least(t.SINS_INDETERMINATE_MIN).true:
        fired.append((Urgency.urgent, "sins"))
    if facts.any_mirels_at_least(t.MIRELS_CONSIDER).true:
        fired.append((Urgency.urgent, "mirels"))
    if facts.cord_compression and not facts.mscc_emergency:
        fired.append((Urgency.urgent, "cord_compression"))
    if any(lesion.is_spine and lesion.lesion.escc_grade in t.ESCC_URGENT for lesion in facts.lesions):
        fired.append((Urgency.urgent, "escc_1c"))
    if score is not None and score >= t.PAIN_URGENT_MIN:
        fired.append((Urgency.urgent, "pain_severe"))
    if calcium is not None and t.CALCIUM_URGENT_MIN <= calcium < t.CALCIUM_EMERGENCY_MIN:
        fired.append((Urgency.urgent, "hypercalcaemia"))
    return fired


def urgency(facts: CaseFacts) -> Urgency:
    levels = [level for level, _ in urgency_triggers(facts)]
    return max(levels, key=_RANK.__getitem__, default=Urgency.routine)


def alerts(facts: CaseFacts) -> list[Alert]:
    fired = {name for _, name in urgency_triggers(facts)}
    codes: list[str] = [code for code in ("mscc", "hypercalcaemia_severe", "hypercalcaemia") if code in fired]
    if facts.neurology_unknown:
        codes.append("neurology_unknown")
    if facts.pregnant.true:
        codes.append("pregnancy")
    if facts.bisphosphonate_within_window.true:
        codes.append("source_conflict")
    return [_alert(code) for code in codes]
