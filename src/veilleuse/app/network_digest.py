"""The network's digest: notices the watch officer picked, with a short editorial, sent to every
actor of a territory or of a segment of it (ESS families, CPV divisions).

`preview_network_digest` checks the form and shows who would get what, changing nothing;
`send_network_digest` records the curated digest, then sends each actor its copy through the
weekly digests' send log (`records.digest_log.reserve_digest`, kind `curated`): a notice
already announced to an actor — by a weekly digest, a push, an earlier curated digest — is left
out of its copy, and an actor with nothing new gets none. Each copy is logged with its whole
message before it is sent; a crash between the two leaves it pending, and the next run (the
digest stage, `veilleuse reminders`, or `resume_network_digest` from the page) resends that
stored message — never a recomposed one — then sends the copies not yet logged.

Copies carry the digest's own signed links (« ça nous intéresse »…, preferences,
unsubscribe), and « un groupement est en cours » instead of a team where a grouped bid of the
territory formed one (`app.team_formed`). Actors whose digest is paused, or who unsubscribed,
get no copy. Needs `notice.push` and a territory the user sees.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from veilleuse.app.context import Context
from veilleuse.app.delivery import deliver, deliverable, resend_pending
from veilleuse.app.digest_links import LinkMaker, digest_links
from veilleuse.app.notices import is_closed
from veilleuse.app.reminders import recipients
from veilleuse.app.team_formed import FormedBids, formed_bids
from veilleuse.app.territories import get_territory
from veilleuse.core.accounts import Permission, User, can, visible_territories
from veilleuse.core.deadlines import calendar_day
from veilleuse.core.errors import (
    NotFoundError,
    PermissionDeniedError,
    RecordsError,
    ValidationError,
)
from veilleuse.core.models import Actor, EssFamily, Match, Notice
from veilleuse.digests.compose import Digest, DigestLine
from veilleuse.digests.curated import MAX_EDITORIAL, clean_editorial
from veilleuse.digests.mailer import build_message
from veilleuse.digests.render import RenderedDigest, render_digest
from veilleuse.records import actors as actor_records
from veilleuse.records import curated as curated_records
from veilleuse.records import delivery as delivery_records
from veilleuse.records import digest_log
from veilleuse.records import territories as territory_records
from veilleuse.records.curated import CopyCounts, CuratedDigest

#: the most notices one curated digest may carry
MAX_NOTICES = 20
#: how far back the notices pushed to the territory's actors are offered as candidates
CANDIDATE_DAYS = 30


@dataclass
class NetworkDigestForm:
    """What the officer chose: a territory, notices (in order), an editorial, a segment."""

    territory_id: str
    notice_uids: list[str]
    editorial: str
    families: list[str] = field(default_factory=list)
    cpv_divisions: list[str] = field(default_factory=list)


@dataclass
class Recipient:
    actor: Actor
    #: the notices its copy would carry (those not yet announced to it)
    uids: list[str]
    #: why it gets no copy: paused, no address, nothing new (None: it gets one)
    skipped: str | None = None


@dataclass
class Preview:
    form: NetworkDigestForm
    territory_name: str
    notices: list[Notice]
    recipients: list[Recipient]
    #: the copy of the first recipient that gets one, as it would be sent
    sample: RenderedDigest | None
    sample_actor: str | None

    @property
    def sending(self) -> list[Recipient]:
        return [r for r in self.recipients if r.skipped is None]


@dataclass
class CuratedReport:
    curated_id: int
    sent: list[str] = field(default_factory=list)  # copy ids
    resent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # actors whose copy was logged before
    nothing_new: list[str] = field(default_factory=list)
    paused: list[str] = field(default_factory=list)
    no_address: list[str] = field(default_factory=list)
    undeliverable: list[str] = field(default_factory=list)
    items: int = 0


SKIPPED_LABELS = {
    "paused": "digest en pause ou désabonnée",
    "no_address": "pas d'adresse e-mail",
    "nothing_new": "a déjà reçu tous ces avis",
    "undeliverable": "adresse refusée par le serveur de courrier",
}


# --------------------------------------------------------------------------- checks


def need_push(user: User) -> None:
    if not can(user, Permission.NOTICE_PUSH):
        raise PermissionDeniedError(
            f"Votre rôle ({user.role.label}) ne permet pas d'envoyer la sélection du réseau."
        )


def _territory_name(ctx: Context, user: User, territory_id: str) -> str:
    allowed = visible_territories(user)
    if allowed is not None and territory_id not in allowed:
        raise NotFoundError(f"territoire inconnu : {territory_id!r}")
    return get_territory(ctx, territory_id).name


def clean_form(
    ctx: Context, user: User, form: NetworkDigestForm
) -> tuple[NetworkDigestForm, str, list[Notice]]:
    """The form checked and normalised, the territory's name and the notices (open ones, in
    the officer's order); a French `ValidationError` naming what is wrong otherwise."""
    need_push(user)
    name = _territory_name(ctx, user, form.territory_id)
    uids = list(dict.fromkeys(u.strip() for u in form.notice_uids if u.strip()))
    if not uids:
        raise ValidationError("choisissez au moins un avis")
    if len(uids) > MAX_NOTICES:
        raise ValidationError(f"une sélection compte {MAX_NOTICES} avis au plus")
    found = {n.uid: n for n in ctx.store.get_many(uids)}
    missing = [u for u in uids if u not in found]
    if missing:
        raise ValidationError(f"avis inconnu : {', '.join(missing)}")
    closed = [u for u in uids if is_closed(ctx, found[u])]
    if closed:
        raise ValidationError(f"avis clos ou dont la date limite est passée : {', '.join(closed)}")
    editorial = clean_editorial(form.editorial)
    if not editorial:
        raise ValidationError("écrivez le mot du réseau (quelques lignes)")
    if len(editorial) > MAX_EDITORIAL:
        raise ValidationError(f"le mot du réseau dépasse {MAX_EDITORIAL} caractères")
    families = sorted({f.strip() for f in form.families if f.strip()})
    known = {f.value for f in EssFamily}
    unknown = [f for f in families if f not in known]
    if unknown:
        raise ValidationError(f"famille inconnue : {', '.join(unknown)}")
    divisions = sorted({d.strip() for d in form.cpv_divisions if d.strip()})
    bad = [d for d in divisions if not (len(d) == 2 and d.isdigit())]
    if bad:
        raise ValidationError(f"division CPV invalide (deux chiffres, ex. 90) : {', '.join(bad)}")
    cleaned = NetworkDigestForm(form.territory_id, uids, editorial, families, divisions)
    return cleaned, name, [found[u] for u in uids]


def in_segment(actor: Actor, families: Sequence[str], cpv_divisions: Sequence[str]) -> bool:
    """The actor is of one of `families` (any when empty) and declares a CPV code in one of
    `cpv_divisions` (any when empty)."""
    if families and actor.family.value not in families:
        return False
    return not cpv_divisions or any(c[:2] in cpv_divisions for c in actor.cpv_codes())


def audience(
    ctx: Context, territory_id: str, families: Sequence[str], divisions: Sequence[str]
) -> list[Actor]:
    """The active actors of the territory in the segment, by id (two queries)."""
    ids = territory_records.actor_ids_in(ctx.records, [territory_id])
    return [
        e.actor
        for e in actor_records.actor_entries(ctx.records, sorted(ids))
        if e.active and in_segment(e.actor, families, divisions)
    ]


# --------------------------------------------------------------------------- copies


def _copy(
    actor: Actor,
    notices: list[Notice],
    already: set[str],
    copy_id: str,
    editorial: str,
    territory_name: str,
    now: datetime,
) -> Digest:
    today = calendar_day(now)
    lines = [
        DigestLine(n, Match(actor_id=actor.id, notice_uid=n.uid, score=0), [], None, {})
        for n in notices
        if not ({n.uid, *n.also_in} & already)
    ]
    return Digest(
        actor=actor,
        lines=lines,
        period_start=today,
        period_end=today,
        degraded_sources=[],
        territory_name=territory_name,
        digest_id=copy_id,
        today=today,
        editorial=editorial,
    )


def _skip(actor: Actor, copy: Digest, blocked: Collection[str]) -> str | None:
    """Why the actor gets no copy (None: it gets one, to its deliverable addresses)."""
    if not actor.digest.enabled:
        return "paused"
    if not recipients(actor):
        return "no_address"
    reachable = deliverable(actor, blocked)
    if reachable is None:
        return "undeliverable"
    if not copy.lines:
        return "nothing_new"
    copy.actor = reachable
    return None


def _message(ctx: Context, copy: Digest, links: LinkMaker) -> EmailMessage:
    """The copy's e-mail, with the digest's signed links (part of the message logged)."""
    signed = digest_links(links, copy)
    return build_message(
        copy,
        render_digest(copy, links=signed),
        sender=ctx.settings.mail.sender,
        reply_to=ctx.settings.mail.reply_to,
        unsubscribe_url=signed.unsubscribe,
        date=links.now,
    )


def preview_network_digest(
    ctx: Context, user: User, form: NetworkDigestForm, now: datetime | None = None
) -> Preview:
    """Who would get what (see the module docstring); changes nothing."""
    now = now or ctx.now()
    cleaned, name, notices = clean_form(ctx, user, form)
    actors = audience(ctx, cleaned.territory_id, cleaned.families, cleaned.cpv_divisions)
    sent = curated_records.announced(ctx.records, [a.id for a in actors])
    formed = formed_bids(ctx, [a.id for a in actors])
    links = LinkMaker.from_settings(ctx.settings, now)
    blocked = delivery_records.blocked_addresses(ctx.records)
    out: list[Recipient] = []
    sample: RenderedDigest | None = None
    sample_actor = None
    for actor in actors:
        copy = _copy(
            actor, notices, sent.get(actor.id, set()), "apercu", cleaned.editorial, name, now
        )
        skipped = _skip(actor, copy, blocked)
        out.append(Recipient(actor, [line.notice.uid for line in copy.lines], skipped))
        if skipped is None and sample is None:
            _note(copy, formed)
            sample, sample_actor = render_digest(copy, links=digest_links(links, copy)), actor.name
    return Preview(cleaned, name, notices, out, sample, sample_actor)


def _note(copy: Digest, formed: FormedBids) -> None:
    """« Un groupement est en cours » on the lines of notices whose bid formed its team."""
    for line in copy.lines:
        note = formed.note(copy.actor.id, line.notice)
        if note is not None:
            line.bid_note = note


def send_network_digest(
    ctx: Context, user: User, form: NetworkDigestForm, now: datetime | None = None
) -> CuratedReport:
    """Record the curated digest and send every copy (see the module docstring)."""
    now = now or ctx.now()
    cleaned, _, _ = clean_form(ctx, user, form)
    curated = curated_records.create_curated(
        ctx.records,
        cleaned.territory_id,
        cleaned.families,
        cleaned.cpv_divisions,
        cleaned.editorial,
        cleaned.notice_uids,
        user.email,
        now,
    )
    return deliver_copies(ctx, curated, now)


def resume_network_digest(
    ctx: Context, user: User, curated_id: int, now: datetime | None = None
) -> CuratedReport:
    """Resend the copies left pending and send those not yet logged (after a crash or a
    failure); copies already sent are not touched."""
    curated = get_network_digest(ctx, user, curated_id)
    return deliver_copies(ctx, curated, now or ctx.now())


def deliver_copies(ctx: Context, curated: CuratedDigest, now: datetime) -> CuratedReport:
    """Resend what is pending, then compose, log and send each copy not logged yet."""
    records = ctx.records
    report = CuratedReport(curated.id)
    earlier = resend_pending(records, ctx.mailer)
    report.resent = [d for d in earlier.sent if d.startswith(curated.prefix)]
    report.failed = [(d, why) for d, why in earlier.failed if d.startswith(curated.prefix)]
    name = get_territory(ctx, curated.territory_id).name
    found = {n.uid: n for n in ctx.store.get_many(curated.notice_uids)}
    notices = [found[u] for u in curated.notice_uids if u in found and not is_closed(ctx, found[u])]
    actors = audience(ctx, curated.territory_id, curated.families, curated.cpv_divisions)
    logged = curated_records.copies(records, curated)
    todo = [a for a in actors if a.id not in logged]
    report.already = [a.id for a in actors if a.id in logged]
    sent = curated_records.announced(records, [a.id for a in todo])
    formed = formed_bids(ctx, [a.id for a in todo])
    links = LinkMaker.from_settings(ctx.settings, now)
    blocked = delivery_records.blocked_addresses(records)
    for actor in todo:
        copy = _copy(
            actor,
            notices,
            sent.get(actor.id, set()),
            curated.copy_id(actor.id),
            curated.editorial,
            name,
            now,
        )
        skipped = _skip(actor, copy, blocked)
        if skipped is not None:
            getattr(report, skipped).append(actor.id)
            continue
        _note(copy, formed)
        message = _message(ctx, copy, links)
        try:
            digest_log.reserve_digest(
                records,
                copy.digest_id,
                actor.id,
                now,
                message.as_string(),
                sorted(copy.covered_uids()),
                kind="curated",
            )
        except RecordsError as exc:  # a concurrent run logged this copy or one of its items
            report.failed.append((copy.digest_id, str(exc)))
            continue
        why = deliver(records, ctx.mailer, copy.digest_id, message)
        if why is None:
            report.sent.append(copy.digest_id)
            report.items += len(copy.lines)
        else:
            report.failed.append((copy.digest_id, why))
    if not report.failed and "pending" not in curated_records.copies(records, curated).values():
        curated_records.mark_sent(records, curated.id, now)
    return report


# --------------------------------------------------------------------------- pages


def get_network_digest(ctx: Context, user: User, curated_id: int) -> CuratedDigest:
    need_push(user)
    curated = curated_records.get_curated(ctx.records, curated_id)
    allowed = visible_territories(user)
    if curated is None or (allowed is not None and curated.territory_id not in allowed):
        raise NotFoundError(f"sélection inconnue : {curated_id}")
    return curated


def list_network_digests(ctx: Context, user: User) -> list[tuple[CuratedDigest, CopyCounts]]:
    """The latest curated digests of the user's territories, with their copies by status."""
    need_push(user)
    items = curated_records.list_curated(ctx.records, visible_territories(user))
    counts = curated_records.copy_counts(ctx.records, [c.id for c in items])
    return [(c, counts[c.id]) for c in items]


def candidates(
    ctx: Context, user: User, territory_id: str, now: datetime | None = None
) -> list[tuple[Notice, int]]:
    """The open notices pushed to the territory's actors lately (`CANDIDATE_DAYS`), latest
    push first, with how many actors each was pushed to: what the form offers to pick."""
    need_push(user)
    now = now or ctx.now()
    _territory_name(ctx, user, territory_id)
    ids = territory_records.actor_ids_in(ctx.records, [territory_id])
    pushed = curated_records.pushed_notices(ctx.records, ids, now - timedelta(days=CANDIDATE_DAYS))
    found = {n.uid: n for n in ctx.store.get_many([u for u, _, _ in pushed])}
    return [
        (found[u], count) for u, count, _ in pushed if u in found and not is_closed(ctx, found[u])
    ]
