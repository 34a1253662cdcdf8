"""The verdict order of clinical-rules.md §2, applied to one therapy's criteria.

contraindicated (an absolute contraindication known true) -> not_indicated (every indication known false)
-> insufficient_data (a required input is null: an unknown indication when none is known true, or an
unknown absolute contraindication the rule lists as required) -> consider (a relative contraindication known
true, a case-by-case indication, or a caution that a null input cannot rule out: §8.2, the null in `missing`
and never insufficient_data) -> recommended.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from services.eligibility.domain.reasons import CATALOGUE, reason, unknown_reason
from services.eligibility.domain.tri import Fact
from shared.contracts.codes import TherapyCode, Verdict
from shared.contracts.recommendation import Reason, TherapyVerdict


@dataclass(frozen=True)
class Indication:
    """``reason`` None: a compound indication whose known-true parts give the reasons (``grounds``)."""

    fact: Fact
    strength: Verdict  # recommended or consider (case by case)
    reason: Reason | None


@dataclass(frozen=True)
class Criterion:
    """A contraindication. ``required``: a null in it makes the therapy insufficient_data (the rule lists
    the input as required); otherwise a null only keeps the therapy from being recommended."""

    fact: Fact
    code: str
    detail: str | None = None
    required: bool = True

    @property
    def reason(self) -> Reason:
        return reason(self.code, self.detail)


def _unique(reasons: Iterable[Reason]) -> list[Reason]:
    seen: set[str] = set()
    out: list[Reason] = []
    for item in reasons:
        if item.code not in seen:
            seen.add(item.code)
            out.append(item)
    return out


def _paths(facts: Iterable[Fact]) -> frozenset[str]:
    return frozenset().union(*(fact.missing for fact in facts))


def decide(
    code: TherapyCode,
    *,
    indications: Sequence[Indication],
    not_indicated: Sequence[Reason],
    absolute: Sequence[Criterion] = (),
    relative: Sequence[Criterion] = (),
    notes: Sequence[Reason] = (),
    assumed: Sequence[Reason] = (),
    grounds: Sequence[Reason] = (),
    offered: Sequence[Reason] = (),
    eligible_from: date | None = None,
    source: str = "SEED",
) -> TherapyVerdict:
    """``assumed``: how a null input was read (pregnancy by age); shown with every verdict that reads the
    contraindications, i.e. all but not_indicated. ``grounds``: the parts of a compound indication known
    true, shown wherever the indications met are (every verdict but not_indicated). ``offered``: reasons
    given only when the verdict is recommended or consider.

    Every verdict is built with ``missing`` given, even empty: pydantic deep-copies a defaulted list, which
    was 7 % of the engine's time per case."""
    met = sorted((i for i in indications if i.fact.true), key=lambda i: i.strength != Verdict.recommended)
    met_reasons = [*(i.reason for i in met if i.reason is not None), *grounds]
    standing = [*notes, *assumed]

    contraindications = [c for c in absolute if c.fact.true]
    if contraindications:
        return TherapyVerdict(
            code=code,
            status=Verdict.contraindicated,
            reasons=_unique([*(c.reason for c in contraindications), *met_reasons, *standing]),
            missing=[],
            eligible_from=eligible_from,
        )

    if all(i.fact.false for i in indications):
        return TherapyVerdict(
            code=code,
            status=Verdict.not_indicated,
            reasons=_unique([*not_indicated, *notes]),
            missing=[],
        )

    required_nulls: set[str] = set()
    if not met:
        required_nulls |= _paths(i.fact for i in indications if i.fact.unknown)
    required_nulls |= _paths(c.fact for c in absolute if c.required and c.fact.unknown)
    if required_nulls:
        missing = sorted(required_nulls)
        return TherapyVerdict(
            code=code,
            status=Verdict.insufficient_data,
            reasons=_unique(
                [
                    Reason(
                        code="insufficient_data",
                        text=f"{CATALOGUE['insufficient_data'][0]}: {', '.join(missing)}",
                        source=source,
                    ),
                    *met_reasons,
                    *standing,
                ]
            ),
            missing=missing,
        )

    cautions = [c for c in relative if c.fact.true]
    if cautions:
        return TherapyVerdict(
            code=code,
            status=Verdict.consider,
            reasons=_unique([*(c.reason for c in cautions), *met_reasons, *standing, *offered]),
            missing=[],
        )
    if met[0].strength != Verdict.recommended:
        return TherapyVerdict(
            code=code,
            status=Verdict.consider,
            reasons=_unique([*met_reasons, *standing, *offered]),
            missing=[],
        )

    open_questions = [c for c in (*absolute, *relative) if c.fact.unknown]
    if open_questions:
        return TherapyVerdict(
            code=code,
            status=Verdict.consider,
            reasons=_unique(
                [
                    *(unknown_reason(c.code, c.fact.missing) for c in open_questions),
                    *met_reasons,
                    *standing,
                    *offered,
                ]
            ),
            missing=sorted(_paths(c.fact for c in open_questions)),
        )
    return TherapyVerdict(
        code=code,
        status=Verdict.recommended,
        reasons=_unique([*met_reasons, *standing, *offered]),
        missing=[],
    )
