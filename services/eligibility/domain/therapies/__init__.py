"""One function per therapy of clinical-rules.md §3, each returning a TherapyVerdict."""

from services.eligibility.domain.therapies.ablation import thermal_ablation
from services.eligibility.domain.therapies.analgesia import (
    neuropathic_adjuvant,
    non_opioid_analgesic,
    opioid_analgesic,
)
from services.eligibility.domain.therapies.augmentation import vertebral_augmentation
from services.eligibility.domain.therapies.bone_health import (
    osteoclast_inhibitor,
    physical_activity,
    systemic_therapy,
)
from services.eligibility.domain.therapies.radiotherapy import (
    external_beam_radiotherapy,
    hemibody_radiotherapy,
    postoperative_radiotherapy,
    radiopharmaceutical,
)
from services.eligibility.domain.therapies.stereotactic import (
    stereotactic_body_radiotherapy,
    with_sbrt_alternative,
)
from services.eligibility.domain.therapies.surgery import surgery

__all__ = [
    "external_beam_radiotherapy",
    "hemibody_radiotherapy",
    "neuropathic_adjuvant",
    "non_opioid_analgesic",
    "opioid_analgesic",
    "osteoclast_inhibitor",
    "physical_activity",
    "postoperative_radiotherapy",
    "radiopharmaceutical",
    "stereotactic_body_radiotherapy",
    "surgery",
    "systemic_therapy",
    "thermal_ablation",
    "vertebral_augmentation",
    "with_sbrt_alternative",
]
