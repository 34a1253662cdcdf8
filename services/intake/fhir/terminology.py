"""Code tables used by the FHIR mapping: the one place where an outside code becomes a contract code.

Every table here is written down in docs/fhir-mapping.md; change both together.
"""

from enum import StrEnum
from typing import Final

from shared.contracts.codes import Analgesic, LesionSite, SpineLevel, TumourSite

# --- code systems -----------------------------------------------------------------------------------------

SNOMED: Final = "http://snomed.info/sct"
LOINC: Final = "http://loinc.org"
ICD10_SYSTEMS: Final = frozenset(
    {
        "http://hl7.org/fhir/sid/icd-10",
        "http://hl7.org/fhir/sid/icd-10-cm",
        "urn:oid:2.16.840.1.113883.6.3",  # ICD-10 (WHO)
        "urn:oid:2.16.840.1.113883.6.90",  # ICD-10-CM
    }
)
RXNORM_SYSTEMS: Final = frozenset(
    {
        "http://www.nlm.nih.gov/research/umls/rxnorm",
        "https://www.nlm.nih.gov/research/umls/rxnorm",  # seen in real mCODE bundles
    }
)
ATC_SYSTEMS: Final = frozenset({"http://www.whocc.no/atc", "https://www.whocc.no/atc"})

MCODE_PRIMARY_PROFILE: Final = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-primary-cancer-condition"
)
MCODE_SECONDARY_PROFILE: Final = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-secondary-cancer-condition"
)
MCODE_RELATED_PRIMARY_EXTENSION: Final = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-related-primary-cancer-condition"
)


def normalise_icd10(code: str) -> str:
    """'c79.51' -> 'C7951': ICD-10 codes are compared without the dot, in upper case."""
    return code.replace(".", "").replace(" ", "").upper()


# --- conditions -------------------------------------------------------------------------------------------

SNOMED_BONE_METASTASIS: Final = "94222008"  # Secondary malignant neoplasm of bone (disorder)
SNOMED_SECONDARY_GENERIC: Final = frozenset({"128462008"})  # Secondary malignant neoplastic disease

# Secondary malignant neoplasms of viscera: visceral_metastases = true (never false from their absence).
SNOMED_VISCERAL_SECONDARY: Final = frozenset(
    {
        "94381002",  # Secondary malignant neoplasm of liver
        "94391008",  # Secondary malignant neoplasm of lung
        "94225005",  # Secondary malignant neoplasm of brain
    }
)
SNOMED_VISCERAL_BODY_SITES: Final = frozenset(
    {
        "10200004",  # Liver structure
        "39607008",  # Lung structure
        "12738006",  # Brain structure
    }
)


def icd10_is_bone_metastasis(code: str) -> bool:
    return normalise_icd10(code).startswith("C795")


def icd10_is_visceral_metastasis(code: str) -> bool:
    c = normalise_icd10(code)
    return c.startswith(("C78", "C793", "C797"))


def icd10_is_secondary(code: str) -> bool:
    return normalise_icd10(code)[:3] in {"C77", "C78", "C79"}


def _icd10_category(code: str) -> tuple[str, int] | None:
    c = normalise_icd10(code)
    if len(c) < 3 or not c[0].isalpha() or not c[1:3].isdigit():
        return None
    return c[0], int(c[1:3])


def icd10_is_haematological(code: str) -> bool:
    category = _icd10_category(code)
    return category is not None and category[0] == "C" and 81 <= category[1] <= 96


# (first, last category, inclusive) -> site; checked in order, the first match wins.
ICD10_TUMOUR_RANGES: Final[tuple[tuple[int, int, TumourSite], ...]] = (
    (0, 14, TumourSite.head_and_neck),
    (15, 17, TumourSite.gastrointestinal),
    (18, 20, TumourSite.colorectal),
    (22, 25, TumourSite.gastrointestinal),
    (30, 32, TumourSite.head_and_neck),
    (33, 34, TumourSite.lung),
    (40, 41, TumourSite.sarcoma),
    (43, 43, TumourSite.melanoma),
    (45, 49, TumourSite.sarcoma),
    (50, 50, TumourSite.breast),
    (51, 58, TumourSite.gynaecological),
    (61, 61, TumourSite.prostate),
    (64, 65, TumourSite.kidney),
    (67, 67, TumourSite.bladder),
    (73, 73, TumourSite.thyroid),
    (80, 80, TumourSite.unknown_primary),
)


def icd10_primary_site(code: str) -> TumourSite | None:
    """The tumour site of an ICD-10 primary malignant neoplasm (C00-C76, C80), else None.

    C77-C79 (secondaries) and C81-C96 (haematological) are not primaries here; C97 (multiple independent
    primaries) and anything outside C00-C80 are None too.
    """
    category = _icd10_category(code)
    if category is None or category[0] != "C" or category[1] > 80 or 77 <= category[1] <= 79:
        return None
    for first, last, site in ICD10_TUMOUR_RANGES:
        if first <= category[1] <= last:
            return site
    return TumourSite.other


# Specific SNOMED CT malignant neoplasm disorders -> site.
SNOMED_TUMOUR_SITES: Final[dict[str, TumourSite]] = {
    "254837009": TumourSite.breast,  # Malignant neoplasm of breast
    "372137005": TumourSite.breast,  # Primary malignant neoplasm of breast
    "408643008": TumourSite.breast,  # Infiltrating duct carcinoma of breast
    "278054005": TumourSite.breast,  # Infiltrating lobular carcinoma of breast
    "399068003": TumourSite.prostate,  # Malignant tumor of prostate
    "254900004": TumourSite.prostate,  # Carcinoma of prostate
    "363358000": TumourSite.lung,  # Malignant tumor of lung
    "93880001": TumourSite.lung,  # Primary malignant neoplasm of lung
    "254637007": TumourSite.lung,  # Non-small cell lung cancer
    "254632001": TumourSite.lung,  # Small cell carcinoma of lung
    "363518003": TumourSite.kidney,  # Malignant tumor of kidney
    "93849006": TumourSite.kidney,  # Primary malignant neoplasm of kidney
    "363478007": TumourSite.thyroid,  # Malignant tumor of thyroid gland
    "94098005": TumourSite.thyroid,  # Primary malignant neoplasm of thyroid gland
    "363406005": TumourSite.colorectal,  # Malignant tumor of colon
    "93761005": TumourSite.colorectal,  # Primary malignant neoplasm of colon
    "363351006": TumourSite.colorectal,  # Malignant tumor of rectum
    "372244006": TumourSite.melanoma,  # Malignant melanoma
    "399326009": TumourSite.bladder,  # Malignant tumor of urinary bladder
    "363402007": TumourSite.gastrointestinal,  # Malignant tumor of esophagus
    "363349007": TumourSite.gastrointestinal,  # Malignant tumor of stomach
    "363418001": TumourSite.gastrointestinal,  # Malignant tumor of pancreas
    "363443007": TumourSite.gynaecological,  # Malignant tumor of ovary
    "363354003": TumourSite.gynaecological,  # Malignant tumor of cervix
}

# Generic malignant neoplasm codes: the site comes from Condition.bodySite.
SNOMED_GENERIC_MALIGNANCY: Final = frozenset(
    {
        "363346000",  # Malignant neoplastic disease
        "372087000",  # Primary malignant neoplasm
    }
)

# Body structures of primary sites, used when the Condition's code is generic.
SNOMED_PRIMARY_BODY_SITES: Final[dict[str, TumourSite]] = {
    "76752008": TumourSite.breast,  # Breast structure
    "41216001": TumourSite.prostate,  # Prostatic structure
    "39607008": TumourSite.lung,  # Lung structure
    "64033007": TumourSite.kidney,  # Kidney structure
    "69748006": TumourSite.thyroid,  # Thyroid structure
    "71854001": TumourSite.colorectal,  # Colon structure
    "34402009": TumourSite.colorectal,  # Rectum structure
    "89837001": TumourSite.bladder,  # Urinary bladder structure
    "32849002": TumourSite.gastrointestinal,  # Esophageal structure
    "69695003": TumourSite.gastrointestinal,  # Stomach structure
    "15776009": TumourSite.gastrointestinal,  # Pancreatic structure
    "10200004": TumourSite.gastrointestinal,  # Liver structure
    "15497006": TumourSite.gynaecological,  # Ovarian structure
    "35039007": TumourSite.gynaecological,  # Uterine structure
    "71252005": TumourSite.gynaecological,  # Cervix uteri structure
}

# Haematological malignancies: out of scope (contracts.md section 1).
SNOMED_HAEMATOLOGICAL: Final[dict[str, str]] = {
    "109989006": "multiple myeloma",
    "118600007": "malignant lymphoma",
    "118601006": "non-Hodgkin lymphoma",
    "118599009": "Hodgkin lymphoma",
    "93143009": "leukaemia",
}

# Castration resistance (prostate only): ICD-10-CM hormone status codes on a Condition of the patient.
ICD10_CASTRATION_STATUS: Final[dict[str, bool]] = {
    "Z192": True,  # Hormone resistant malignancy status
    "Z191": False,  # Hormone sensitive malignancy status
}

# --- lesion sites -----------------------------------------------------------------------------------------

SNOMED_VERTEBRAE: Final[dict[str, SpineLevel]] = {
    # Whole vertebrae (DICOM CID 7603) ...
    "14806007": SpineLevel.C1,
    "39976000": SpineLevel.C2,
    "113205007": SpineLevel.C3,
    "5329002": SpineLevel.C4,
    "36978003": SpineLevel.C5,
    "36054005": SpineLevel.C6,
    "87391001": SpineLevel.C7,
    "64864005": SpineLevel.T1,
    "53733008": SpineLevel.T2,
    "1626008": SpineLevel.T3,
    "73071006": SpineLevel.T4,
    "56401006": SpineLevel.T5,
    "45296009": SpineLevel.T6,
    "62487009": SpineLevel.T7,
    "11068009": SpineLevel.T8,
    "82687006": SpineLevel.T9,
    "7610001": SpineLevel.T10,
    "12989004": SpineLevel.T11,
    "23215003": SpineLevel.T12,
    "66794005": SpineLevel.L1,
    "14293000": SpineLevel.L2,
    "36470004": SpineLevel.L3,
    "11994002": SpineLevel.L4,
    "49668003": SpineLevel.L5,
    # ... vertebral bodies and sacral vertebrae (mCODE radiotherapy treatment location value set).
    "91116008": SpineLevel.C3,
    "14705001": SpineLevel.C4,
    "67479001": SpineLevel.C5,
    "88298007": SpineLevel.C6,
    "16126006": SpineLevel.C7,
    "56094003": SpineLevel.T1,
    "50060007": SpineLevel.T2,
    "73138009": SpineLevel.T3,
    "86197001": SpineLevel.T4,
    "6105006": SpineLevel.T5,
    "32430008": SpineLevel.T6,
    "71737002": SpineLevel.T7,
    "77435000": SpineLevel.T8,
    "33766003": SpineLevel.T9,
    "48405002": SpineLevel.T10,
    "52120002": SpineLevel.T11,
    "280849005": SpineLevel.T12,
    "61032001": SpineLevel.L1,
    "53983007": SpineLevel.L2,
    "55492004": SpineLevel.L3,
    "71996003": SpineLevel.L4,
    "21799000": SpineLevel.L5,
    "65985001": SpineLevel.S1,
    "11808007": SpineLevel.S2,
    "49967005": SpineLevel.S3,
    "69950008": SpineLevel.S4,
    "21452006": SpineLevel.S5,
}

# Spine without a level: the level must then come from a spine_level finding Observation.
SNOMED_SPINE_REGIONS: Final = frozenset(
    {
        "421060004",  # Vertebral column structure
        "3572006",  # Structure of body of vertebra
        "122494005",  # Cervical spine structure
        "122495006",  # Thoracic spine structure
        "122496007",  # Lumbar spine structure
        "35769007",  # Bone structure of thoracic vertebra
        "73903008",  # Bone structure of lumbar vertebra
        "87141009",  # Sacral vertebra structure
        "54735007",  # Sacrum structure
    }
)

SNOMED_BONE_SITES: Final[dict[str, LesionSite]] = {
    "71341001": LesionSite.femur,  # Bone structure of femur
    "2812003": LesionSite.femur,  # Structure of head of femur
    "29627003": LesionSite.femur,  # Structure of neck of femur
    "41111004": LesionSite.femur,  # Bone structure of shaft of femur
    "85050009": LesionSite.humerus,  # Bone structure of humerus
    "12611008": LesionSite.tibia,  # Bone structure of tibia
    "87342007": LesionSite.fibula,  # Bone structure of fibula
    "62413002": LesionSite.radius_ulna,  # Bone structure of radius
    "23416004": LesionSite.radius_ulna,  # Bone structure of ulna
    "118645006": LesionSite.pelvis,  # Structure of innominate bone and/or sacrum and/or coccyx
    "22356005": LesionSite.pelvis,  # Bone structure of ilium
    "85710004": LesionSite.pelvis,  # Bone structure of ischium
    "37783008": LesionSite.acetabulum,  # Bone structure of acetabulum
    "113197003": LesionSite.rib,  # Bone structure of rib
    "48535007": LesionSite.rib,  # first rib
    "78247007": LesionSite.rib,  # second rib
    "25888004": LesionSite.rib,  # third rib
    "25523003": LesionSite.rib,  # fourth rib
    "15339008": LesionSite.rib,  # fifth rib
    "59558009": LesionSite.rib,  # sixth rib
    "24915002": LesionSite.rib,  # seventh rib
    "5953002": LesionSite.rib,  # eighth rib
    "22565002": LesionSite.rib,  # ninth rib
    "77644006": LesionSite.rib,  # tenth rib
    "58830002": LesionSite.rib,  # eleventh rib
    "43993008": LesionSite.rib,  # twelfth rib
    "56873002": LesionSite.sternum,  # Bone structure of sternum
    "89546000": LesionSite.skull,  # Bone structure of cranium
    "74872008": LesionSite.skull,  # Frontal bone structure
    "24924006": LesionSite.skull,  # Parietal bone structure
    "60911003": LesionSite.skull,  # Temporal bone structure
    "31640002": LesionSite.skull,  # Occipital bone structure
    "73117003": LesionSite.skull,  # Sphenoid bone structure
    "79601000": LesionSite.scapula,  # Bone structure of scapula
    "51299004": LesionSite.clavicle,  # Bone structure of clavicle
    "119186007": LesionSite.other,  # Bone part
    "272673000": LesionSite.other,  # Bone structure
    "91609006": LesionSite.other,  # Bone structure of mandible
}


def snomed_bone_site(code: str) -> tuple[LesionSite, SpineLevel | None] | None:
    """A SNOMED CT body structure -> (lesion site, spine level); None when it is not a bone we know."""
    if code in SNOMED_VERTEBRAE:
        return LesionSite.spine, SNOMED_VERTEBRAE[code]
    if code in SNOMED_SPINE_REGIONS:
        return LesionSite.spine, None
    if code in SNOMED_BONE_SITES:
        return SNOMED_BONE_SITES[code], None
    return None


# --- observations (LOINC) ---------------------------------------------------------------------------------

LOINC_PAIN_SEVERITY: Final = frozenset({"72514-3"})
LOINC_ECOG: Final = frozenset({"89247-1"})
LOINC_PLATELETS: Final = frozenset({"777-3", "26515-7"})
LOINC_NEUTROPHILS: Final = frozenset({"751-8", "26499-4"})
LOINC_HAEMOGLOBIN: Final = frozenset({"718-7"})
# Corrected calcium only: 29265-6 [Moles/volume] and 46099-8 [Mass/volume], both "corrected for albumin".
# 17861-6 is total (uncorrected) calcium and is deliberately not mapped.
LOINC_CORRECTED_CALCIUM: Final = frozenset({"29265-6", "46099-8"})
LOINC_CREATININE_CLEARANCE: Final = frozenset(
    {"2164-2", "33914-3", "48642-3", "48643-1", "62238-1", "98979-8"}
)
LOINC_PREGNANCY: Final = frozenset({"82810-3"})

ECOG_ANSWERS: Final[dict[str, int]] = {
    "LA9622-7": 0,
    "LA9623-5": 1,
    "LA9624-3": 2,
    "LA9625-0": 3,
    "LA9626-8": 4,
}
PREGNANCY_ANSWERS: Final[dict[str, bool | None]] = {
    "LA15173-0": True,  # Pregnant
    "LA26683-5": False,  # Not pregnant
    "LA4489-6": None,  # Unknown
}

# --- medications ------------------------------------------------------------------------------------------


class MedicationClass(StrEnum):
    chemotherapy = "chemotherapy"  # ATC L01
    bisphosphonate = "bisphosphonate"  # ATC M05BA / M05BB
    denosumab = "denosumab"  # ATC M05BX04
    opioid = "opioid"
    non_opioid = "non_opioid"
    neuropathic_adjuvant = "neuropathic_adjuvant"


ANALGESIC_OF: Final[dict[MedicationClass, Analgesic]] = {
    MedicationClass.opioid: Analgesic.opioid,
    MedicationClass.non_opioid: Analgesic.non_opioid,
    MedicationClass.neuropathic_adjuvant: Analgesic.neuropathic_adjuvant,
}
OSTEOCLAST_INHIBITORS: Final = frozenset({MedicationClass.bisphosphonate, MedicationClass.denosumab})

# ATC prefixes, longest match wins.
ATC_CLASSES: Final[dict[str, MedicationClass]] = {
    "L01": MedicationClass.chemotherapy,
    "M05BA": MedicationClass.bisphosphonate,
    "M05BB": MedicationClass.bisphosphonate,  # bisphosphonate combinations
    "M05BX04": MedicationClass.denosumab,
    "N02A": MedicationClass.opioid,
    "N02B": MedicationClass.non_opioid,
    "M01A": MedicationClass.non_opioid,
    "N03AX12": MedicationClass.neuropathic_adjuvant,  # gabapentin
    "N03AX16": MedicationClass.neuropathic_adjuvant,  # pregabalin
}


def atc_class(code: str) -> MedicationClass | None:
    for prefix in sorted(ATC_CLASSES, key=len, reverse=True):
        if code.upper().startswith(prefix):
            return ATC_CLASSES[prefix]
    return None


# RxNorm: ingredient RxCUIs plus the product codes seen in the real mCODE bundles.
RXNORM_CLASSES: Final[dict[str, MedicationClass]] = {
    # bisphosphonates and denosumab
    "77655": MedicationClass.bisphosphonate,  # zoledronic acid
    "1156253": MedicationClass.bisphosphonate,  # zoledronic acid Injectable Product
    "11473": MedicationClass.bisphosphonate,  # pamidronate
    "115264": MedicationClass.bisphosphonate,  # ibandronate
    "46041": MedicationClass.bisphosphonate,  # alendronate
    "993449": MedicationClass.denosumab,  # denosumab
    # chemotherapy (ATC L01)
    "56946": MedicationClass.chemotherapy,  # paclitaxel
    "583214": MedicationClass.chemotherapy,  # Paclitaxel 100 MG Injection
    "72962": MedicationClass.chemotherapy,  # docetaxel
    "194000": MedicationClass.chemotherapy,  # capecitabine
    "1158877": MedicationClass.chemotherapy,  # capecitabine Oral Product
    "3639": MedicationClass.chemotherapy,  # doxorubicin
    "3002": MedicationClass.chemotherapy,  # cyclophosphamide
    "12574": MedicationClass.chemotherapy,  # gemcitabine
    "1156710": MedicationClass.chemotherapy,  # gemcitabine Injectable Product
    "40048": MedicationClass.chemotherapy,  # carboplatin
    "2555": MedicationClass.chemotherapy,  # cisplatin
    "1601377": MedicationClass.chemotherapy,  # palbociclib (L01EF01)
    "1946827": MedicationClass.chemotherapy,  # abemaciclib Oral Product (L01EF03)
    "1946828": MedicationClass.chemotherapy,  # abemaciclib Oral Product (L01EF03)
    "1873980": MedicationClass.chemotherapy,  # ribociclib Oral Product (L01EF02)
    "2169297": MedicationClass.chemotherapy,  # alpelisib Oral Product (L01EM03)
    # opioids
    "7052": MedicationClass.opioid,  # morphine
    "7804": MedicationClass.opioid,  # oxycodone
    "4337": MedicationClass.opioid,  # fentanyl
    "3423": MedicationClass.opioid,  # hydromorphone
    "10689": MedicationClass.opioid,  # tramadol
    "2670": MedicationClass.opioid,  # codeine
    # non-opioid analgesics
    "161": MedicationClass.non_opioid,  # acetaminophen (paracetamol)
    "5640": MedicationClass.non_opioid,  # ibuprofen
    "7258": MedicationClass.non_opioid,  # naproxen
    "3355": MedicationClass.non_opioid,  # diclofenac
    # neuropathic adjuvants
    "25480": MedicationClass.neuropathic_adjuvant,  # gabapentin
    "187832": MedicationClass.neuropathic_adjuvant,  # pregabalin
}
