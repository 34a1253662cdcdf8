"""The recommendation contract (contracts.md §3, schema version 1): discussion and discussion_reasons are
additive (ruleset 2026.12), so a recommendation stored or published under 2026.11 still reads; the two
therapies of ruleset 2027.01 are appended, so one of 2026.12 (twelve therapies) still reads as it was."""

from typing import Any

import pytest
from pydantic import ValidationError

from shared.contracts.codes import TherapyCode
from shared.contracts.recommendation import Discussion, Recommendation
from tests.unit.eligibility.builders import make_case, run


def issued_under_2026_11() -> dict[str, Any]:
    payload = run(make_case()).model_dump(mode="json")
    del payload["discussion"], payload["discussion_reasons"]
    payload["ruleset_version"] = "2026.11"
    return payload


def test_a_2026_11_recommendation_reads_without_a_discussion() -> None:
    old = Recommendation.model_validate(issued_under_2026_11())
    assert (old.discussion, old.discussion_reasons) == (None, [])
    assert old.ruleset_version == "2026.11" and old.schema_version == 1


def test_a_2027_01_recommendation_round_trips_with_its_discussion() -> None:
    rec = run(make_case({"pain.score": 7}))
    payload = rec.model_dump(mode="json")
    assert (payload["discussion"], payload["discussion_reasons"]) == ("full", ["urgency_urgent"])
    assert payload["schema_version"] == 1 and payload["ruleset_version"] == "2027.01"
    assert [t["code"] for t in payload["therapies"]] == [code.value for code in TherapyCode]
    assert Recommendation.model_validate(payload) == rec
    assert Recommendation.model_validate_json(rec.model_dump_json()).discussion == Discussion.full


def test_a_2026_12_recommendation_of_twelve_therapies_reads_as_it_was() -> None:
    payload = run(make_case()).model_dump(mode="json")
    payload["ruleset_version"] = "2026.12"
    payload["therapies"] = payload["therapies"][:12]
    assert payload["therapies"][-1]["code"] == "thermal_ablation"
    old = Recommendation.model_validate(payload)
    assert old.model_dump(mode="json") == payload
    assert [t.code for t in old.therapies] == list(TherapyCode)[:12]


def test_an_unknown_discussion_mode_is_refused() -> None:
    payload = {**issued_under_2026_11(), "discussion": "brief"}
    with pytest.raises(ValidationError) as raised:
        Recommendation.model_validate(payload)
    assert raised.value.errors()[0]["loc"] == ("discussion",)
