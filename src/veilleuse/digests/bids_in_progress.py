"""« Un groupement est en cours » : what an actor reads, instead of a suggested team, for a
notice a grouped bid of its territory already formed a team for (`app.team_formed`)."""

from __future__ import annotations


def bid_contact(
    contact_name: str | None, contact_email: str | None, lead_name: str | None
) -> str | None:
    """« Marie Dupont (marie@regie.example) », the bid's contact; else « Régie Nord
    (mandataire) », its lead; None when the bid names neither."""
    name = " ".join((contact_name or "").split())
    email = (contact_email or "").strip()
    if name and email:
        return f"{name} ({email})"
    if name or email:
        return name or email
    lead = " ".join((lead_name or "").split())
    return f"{lead} (mandataire)" if lead else None


def in_progress_note(contact: str | None, *, member: bool, stage_label: str) -> str:
    """The sentence shown on the notice's line or reminder."""
    who = f" — contact : {contact}" if contact else ""
    if member:
        return f"Votre groupement est en cours ({stage_label}){who}"
    return f"Un groupement est en cours{who}"
