"""Three-valued (Kleene) logic that remembers which null inputs made a fact unknown.

A fact is true, false or unknown; an unknown fact carries the dotted paths of the nulls behind it. Kleene's
connectives are monotone: replacing a known input by null can turn a known result into unknown, never flip
it. That is what keeps "null stays null" true through every rule built from them.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Fact:
    value: bool | None
    missing: frozenset[str] = frozenset()

    @property
    def true(self) -> bool:
        return self.value is True

    @property
    def false(self) -> bool:
        return self.value is False

    @property
    def unknown(self) -> bool:
        return self.value is None


TRUE = Fact(True)
FALSE = Fact(False)


def known(value: bool) -> Fact:
    return TRUE if value else FALSE


def unknown(*paths: str) -> Fact:
    return Fact(None, frozenset(paths))


def from_field(value: bool | None, path: str) -> Fact:
    """A boolean input: its value, or unknown naming its own path."""
    return unknown(path) if value is None else known(value)


def check(value: T | None, predicate: Callable[[T], bool], *paths: str) -> Fact:
    """A predicate over an optional input: unknown (naming ``paths``) when the input is null."""
    return unknown(*paths) if value is None else known(predicate(value))


def negate(fact: Fact) -> Fact:
    return fact if fact.value is None else known(not fact.value)


def any_of(facts: Iterable[Fact]) -> Fact:
    missing: set[str] = set()
    undecided = False
    for fact in facts:
        if fact.value is True:
            return TRUE
        if fact.value is None:
            undecided = True
            missing |= fact.missing
    return Fact(None, frozenset(missing)) if undecided else FALSE


def all_of(facts: Iterable[Fact]) -> Fact:
    return negate(any_of(negate(fact) for fact in facts))
