"""meetings.md §6: concordance of MDT decisions with the recommendations."""

from hypothesis import given
from hypothesis import strategies as st

from services.eligibility.domain.concordance import DecisionRecord, concordance
from shared.contracts.codes import TherapyCode, Verdict
from shared.contracts.outcome import Decision, DecisionReason

EBRT = TherapyCode.external_beam_radiotherapy


def record(verdict: Verdict, decision: Decision, reason: str | None = None) -> DecisionRecord:
    return DecisionRecord(EBRT, verdict, decision, reason)


def test_shares_and_commonest_decline_reasons() -> None:
    records = [
        record(Verdict.recommended, Decision.accepted),
        record(Verdict.recommended, Decision.accepted),
        record(Verdict.recommended, Decision.declined, "patient_choice"),
        record(Verdict.consider, Decision.declined, "comorbidity"),
        record(Verdict.consider, Decision.declined, "patient_choice"),
        record(Verdict.consider, Decision.modified, "other"),
    ]
    ebrt = next(entry for entry in concordance(records) if entry.therapy is EBRT)
    assert ebrt.counts == {
        Verdict.recommended: {Decision.accepted: 2, Decision.declined: 1},
        Verdict.consider: {Decision.declined: 2, Decision.modified: 1},
    }
    assert ebrt.recommended_accepted_share == 2 / 3
    assert ebrt.consider_accepted_share == 0.0
    assert ebrt.commonest_decline_reasons == [("patient_choice", 2), ("comorbidity", 1)]


def test_every_therapy_is_listed_in_order_with_null_shares_when_undecided() -> None:
    result = concordance([])
    assert [entry.therapy for entry in result] == list(TherapyCode)
    assert all(e.recommended_accepted_share is None and e.counts == {} for e in result)


records_strategy = st.lists(
    st.builds(
        DecisionRecord,
        st.sampled_from(list(TherapyCode)),
        st.sampled_from(list(Verdict)),
        st.sampled_from(list(Decision)),
        st.one_of(st.none(), st.sampled_from([r.value for r in DecisionReason])),
    ),
    max_size=60,
)


@given(records_strategy)
def test_every_decision_is_counted_once_and_shares_are_proportions(records: list[DecisionRecord]) -> None:
    result = concordance(records)
    assert sum(n for e in result for cell in e.counts.values() for n in cell.values()) == len(records)
    for entry in result:
        for share in (entry.recommended_accepted_share, entry.consider_accepted_share):
            assert share is None or 0.0 <= share <= 1.0
        declines = sum(
            1
            for r in records
            if r.therapy is entry.therapy and r.decision is Decision.declined and r.reason_code
        )
        assert sum(n for _, n in entry.commonest_decline_reasons) <= declines


def test_a_2027_01_therapy_is_counted_and_listed_after_thermal_ablation() -> None:
    """The two therapies of 2027.01 follow thermal_ablation; under a 2026.12 filter they are listed with no
    decision (its recommendations never had them)."""
    sbrt = TherapyCode.stereotactic_body_radiotherapy
    result = concordance([DecisionRecord(sbrt, Verdict.consider, Decision.accepted, None)])
    assert [entry.therapy for entry in result][-3:] == [
        TherapyCode.thermal_ablation,
        sbrt,
        TherapyCode.vertebral_augmentation,
    ]
    entry = next(e for e in result if e.therapy is sbrt)
    assert entry.counts == {Verdict.consider: {Decision.accepted: 1}} and entry.consider_accepted_share == 1.0
