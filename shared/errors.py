"""The kinds of refusal a use case can raise, free of any framework. The HTTP edge maps each kind to one
status once (shared/http/problems.py); services subclass these for their own names."""

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One failing field, as problem+json's `errors` lists it: a dotted path and the reason."""

    field: str
    reason: str

    def as_error(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason}


class DomainError(Exception):
    """A request refused by the rules: never a 5xx. `problems` name the fields concerned, if any."""

    title = "Refused"

    def __init__(self, detail: str, problems: list[FieldProblem] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = problems


class NotFoundError(DomainError):
    """What the request names does not exist (404)."""

    title = "Not found"


class ConflictError(DomainError):
    """The current state forbids the change (409); `detail` says which state."""

    title = "Conflict"


class InvalidRequestError(DomainError):
    """Well-formed but not acceptable as it stands (422), with every failing field."""

    title = "Invalid request"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason, [FieldProblem(field, reason)])
        self.field = field
        self.reason = reason
