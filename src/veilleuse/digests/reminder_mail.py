"""The reminder e-mail: a short French message with the deadline reminders that could not wait
for the actor's next digest (`digests.reminders`, `app.reminders`).

It is a `Digest` with no opportunity lines and only `reminders`, so the mailer builds it like a
digest (Message-ID from its id, the same footer links and headers); only the wording differs.
"""

from __future__ import annotations

from veilleuse.core.deadlines import calendar_day
from veilleuse.digests.compose import Digest
from veilleuse.digests.render import (
    MODIFIED_TEXT,
    RenderedDigest,
    _one_line,
    _safe_url,
    environment,
    reminder_view,
    reminders_heading,
)


def reminder_subject(digest: Digest) -> str:
    """« Veilleuse — rappel : date limite dans 5 jours pour « Titre » » for one reminder,
    « Veilleuse — rappel : 2 dates limites approchent pour Structure » for several."""
    reminders = digest.reminders
    if len(reminders) == 1:
        line = reminders[0]
        days = (calendar_day(line.deadline) - digest.reference_day()).days
        when = {0: "aujourd'hui", 1: "demain"}.get(days, f"dans {days} jours")
        title = _one_line(line.notice.title)
        if len(title) > 80:
            title = title[:79].rstrip() + "…"
        return f"Veilleuse — rappel : date limite {when} pour « {title} »"
    return (
        f"Veilleuse — rappel : {len(reminders)} dates limites approchent pour "
        f"{_one_line(digest.actor.name)}"
    )


def render_reminder_mail(
    digest: Digest, *, preferences_url: str | None = None, unsubscribe_url: str | None = None
) -> RenderedDigest:
    """Subject, HTML and text of a reminder e-mail; the links are given ready to use."""
    today = digest.reference_day()
    subject = reminder_subject(digest)
    context = {
        "subject": subject,
        "actor_name": _one_line(digest.actor.name),
        "territory": _one_line(digest.territory_name),
        "reminders": [reminder_view(r, today) for r in digest.reminders],
        "reminders_heading": reminders_heading(len(digest.reminders)),
        "modified_text": MODIFIED_TEXT,
        "preferences_url": _safe_url(preferences_url),
        "unsubscribe_url": _safe_url(unsubscribe_url),
    }
    return RenderedDigest(
        subject=subject,
        html=environment(html=True).get_template("reminder.html.j2").render(context),
        text=environment(html=False).get_template("reminder.txt.j2").render(context),
    )
