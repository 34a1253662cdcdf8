"""render_summary(): a short plain-text view of a recommendation."""

from shared.contracts.recommendation import Recommendation


def render_summary(rec: Recommendation) -> str:
    head = f"Urgency: {rec.urgency} (book within {rec.book_within_hours} h)"
    if rec.alerts:
        head += "; alerts: " + ", ".join(alert.code for alert in rec.alerts)
    if rec.discussion is not None:
        head += f"; discussion: {rec.discussion}"
        if rec.discussion_reasons:
            head += " (" + ", ".join(rec.discussion_reasons) + ")"
    lines = [head]
    for therapy in rec.therapies:
        main = therapy.reasons[0] if therapy.reasons else None
        line = f"{therapy.code}: {therapy.status}"
        if main is not None:
            line += f" - {main.text} [{main.source}]"
        if therapy.eligible_from is not None:
            line += f" (eligible from {therapy.eligible_from.isoformat()})"
        lines.append(line)
    return "\n".join(lines)
