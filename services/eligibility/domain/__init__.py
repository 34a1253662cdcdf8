"""The pure eligibility rules engine (clinical-rules.md, ruleset 2026.12): no I/O."""

from services.eligibility.domain.engine import evaluate
from services.eligibility.domain.ruleset import ruleset_document
from services.eligibility.domain.summary import render_summary
from services.eligibility.domain.thresholds import RULESET_VERSION

__all__ = ["RULESET_VERSION", "evaluate", "render_summary", "ruleset_document"]
