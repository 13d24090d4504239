"""Grouped-bid stage rules: which change of stage is allowed, and what each change requires.

The rules are data. `TRANSITIONS` maps every stage to the stages it may move to (an empty set
makes a stage terminal); `REQUIRES_REASON`, `REQUIRES_AMOUNT_AND_SHARES`, `REQUIRES_TEAM` and
`INITIAL_STAGES` say what a change (or a creation) needs; the French words are the labels of
`core.bids`. Changing the stages of a grouped bid means editing these tables (and the `BidStage`
enum) and nothing else: every layer (records, app, web, API, statistics) asks this module instead
of deciding again.

    spotted → interest → team_formed → submitted → won | lost | unsuccessful
    abandoned from any open stage; won, lost, unsuccessful and abandoned are terminal.

`apply_change` is the whole rule in one pure function: the bid after a change, or the error
(`TransitionError` for a change the table refuses, `ValidationError` for a change that lacks
what it requires). The records layer calls it inside the transaction that writes the change.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from veilleuse.core.bids import (
    STAGE_LABELS,
    BidEvent,
    BidMember,
    BidStage,
    BidUpdate,
    GroupedBid,
    LossReason,
    MemberRole,
)
from veilleuse.core.errors import TransitionError, ValidationError
from veilleuse.core.models import Money

S = BidStage

#: stage → stages it may change to; abandoning is possible from every open stage
TRANSITIONS: Mapping[BidStage, frozenset[BidStage]] = MappingProxyType(
    {
        S.SPOTTED: frozenset({S.INTEREST, S.ABANDONED}),
        S.INTEREST: frozenset({S.TEAM_FORMED, S.ABANDONED}),
        S.TEAM_FORMED: frozenset({S.SUBMITTED, S.ABANDONED}),
        S.SUBMITTED: frozenset({S.WON, S.LOST, S.UNSUCCESSFUL, S.ABANDONED}),
        S.WON: frozenset(),
        S.LOST: frozenset(),
        S.UNSUCCESSFUL: frozenset(),
        S.ABANDONED: frozenset(),
    }
)

#: stages a bid may be created at (registered late, a bid can start where it already is)
INITIAL_STAGES: frozenset[BidStage] = frozenset({S.SPOTTED, S.INTEREST, S.TEAM_FORMED, S.SUBMITTED})
#: a change to these stages needs a coded `LossReason` (and a text for `other`)
REQUIRES_REASON: frozenset[BidStage] = frozenset({S.LOST, S.ABANDONED})
#: a change to these stages needs the amount won and every member's share (summing to 100 %)
REQUIRES_AMOUNT_AND_SHARES: frozenset[BidStage] = frozenset({S.WON})
#: a bid at these stages has a team: at least two members, one of them the lead
REQUIRES_TEAM: frozenset[BidStage] = frozenset({S.TEAM_FORMED, S.SUBMITTED, S.WON})
#: shares must sum to 100 % within this many points
SHARES_TOLERANCE = 0.5

#: French wording of each stage (the labels of `core.bids`, one place)
LABELS = STAGE_LABELS


def allowed_from(stage: BidStage) -> tuple[BidStage, ...]:
    """The stages `stage` may change to, in the enum's order (empty when terminal)."""
    allowed = TRANSITIONS[stage]
    return tuple(s for s in BidStage if s in allowed)


def is_terminal(stage: BidStage) -> bool:
    """True when no change is allowed from `stage` (an outcome or an abandon)."""
    return not TRANSITIONS[stage]


def open_stages() -> tuple[BidStage, ...]:
    """The stages a bid is still open at, in order."""
    return tuple(s for s in BidStage if not is_terminal(s))


def label(stage: BidStage) -> str:
    """The French word of a stage (« équipe formée »)."""
    return STAGE_LABELS[stage]


def _quoted(stages: Sequence[BidStage]) -> str:
    return ", ".join(f"« {label(s)} »" for s in stages)


def check_transition(current: BidStage, new: BidStage) -> None:
    """Raise `TransitionError` unless a grouped bid may move from `current` to `new`."""
    allowed = allowed_from(current)
    if new in allowed:
        return
    refused = f"Changement d'étape refusé : « {label(current)} » → « {label(new)} »."
    if new is current:
        why = f"La candidature groupée est déjà « {label(current)} »."
    elif not allowed:
        why = f"« {label(current)} » est une étape finale : aucun changement n'est possible."
    else:
        why = f"Depuis « {label(current)} », changements possibles : {_quoted(allowed)}."
    raise TransitionError(
        current.value, new.value, tuple(s.value for s in allowed), f"{refused} {why}"
    )


def changed_meanwhile(expected: BidStage, actual: BidStage, new: BidStage) -> TransitionError:
    """The error of a change decided at `expected` while another one moved the bid to `actual`.

    Two people moving the same bid at once: the first change is kept, the second is refused
    with this error, which names the refused change and what is allowed now.
    """
    allowed = allowed_from(actual)
    now = (
        f"changements possibles : {_quoted(allowed)}"
        if allowed
        else "aucun changement n'est possible"
    )
    message = (
        f"Changement d'étape refusé : « {label(expected)} » → « {label(new)} ». "
        f"La candidature groupée vient de passer à « {label(actual)} » ; "
        f"depuis « {label(actual)} », {now}."
    )
    return TransitionError(actual.value, new.value, tuple(s.value for s in allowed), message)


def path_to(current: BidStage, target: BidStage) -> tuple[BidStage, ...]:
    """The shortest chain of allowed changes from `current` to `target` (without `current`).

    Empty when `target` is `current`; raises `TransitionError` (for the direct change) when the
    table offers no way there. Used to confirm an outcome read from an award notice while the
    register still shows an earlier stage (a win proves the bid was submitted).
    """
    if target is current:
        return ()
    previous: dict[BidStage, BidStage] = {}
    queue = deque([current])
    while queue and target not in previous:
        stage = queue.popleft()
        for following in allowed_from(stage):
            if following not in previous and following is not current:
                previous[following] = stage
                queue.append(following)
    if target not in previous:
        check_transition(current, target)  # raises: the table offers no way there
    chain = [target]
    while previous[chain[-1]] is not current:
        chain.append(previous[chain[-1]])
    return tuple(reversed(chain))


# --------------------------------------------------------------------------- requirements


def check_members(members: Sequence[BidMember], stage: BidStage) -> None:
    """Raise `ValidationError` (in French) unless `members` make a valid team at `stage`.

    Always: at least one member, each actor once, one lead at most. From « équipe formée » on
    (`REQUIRES_TEAM`): at least two members and a lead.
    """
    if not members:
        raise ValidationError("une candidature groupée a au moins une structure membre")
    ids = [m.actor_id for m in members]
    twice = sorted({a for a in ids if ids.count(a) > 1})
    if twice:
        raise ValidationError(f"structure présente deux fois : {', '.join(twice)}")
    leads = [m.actor_id for m in members if m.role is MemberRole.LEAD]
    if len(leads) > 1:
        raise ValidationError(f"un seul mandataire possible (ici : {', '.join(leads)})")
    if stage in REQUIRES_TEAM:
        if len(members) < 2:
            raise ValidationError(
                f"à l'étape « {label(stage)} », l'équipe compte au moins deux structures"
            )
        if not leads:
            raise ValidationError(f"à l'étape « {label(stage)} », l'équipe a un mandataire")


def check_reason(stage: BidStage, reason: LossReason | None, detail: str | None) -> None:
    """Raise `ValidationError` unless a change to `stage` carries the reason it requires."""
    if stage not in REQUIRES_REASON:
        return
    if reason is None:
        choices = ", ".join(f"« {r.label} »" for r in LossReason)
        raise ValidationError(f"pour passer à « {label(stage)} », indiquez la raison : {choices}")
    if reason is LossReason.OTHER and not (detail or "").strip():
        raise ValidationError("raison « autre » : précisez-la en quelques mots")


def resolve_shares(
    members: Sequence[BidMember], shares: Mapping[str, float] | None
) -> dict[str, float]:
    """Every member's share of the amount won (%), from `shares` or the members' own.

    Raises `ValidationError` for a share of an actor that is not a member, a member without a
    share, a share outside 0–100, or shares that do not sum to 100 % (± `SHARES_TOLERANCE`).
    """
    given = dict(shares) if shares is not None else {}
    ids = [m.actor_id for m in members]
    strangers = sorted(set(given) - set(ids))
    if strangers:
        raise ValidationError(f"part d'une structure qui n'est pas membre : {', '.join(strangers)}")
    resolved: dict[str, float] = {}
    missing = []
    for member in members:
        value = given.get(member.actor_id, member.share_percent)
        if value is None:
            missing.append(member.actor_id)
            continue
        if not 0 <= value <= 100:
            raise ValidationError(f"part de {member.actor_id} hors de 0–100 % : {value}")
        resolved[member.actor_id] = float(value)
    if missing:
        raise ValidationError(
            f"indiquez la part (%) de chaque membre : manque {', '.join(missing)}"
        )
    total = sum(resolved.values())
    if abs(total - 100.0) > SHARES_TOLERANCE:
        shown = f"{total:.1f}".replace(".", ",")
        raise ValidationError(f"les parts des membres font {shown} % au lieu de 100 %")
    return resolved


def check_amount(amount: Money | None) -> Money:
    """The amount won, which a won bid requires (strictly positive)."""
    if amount is None:
        raise ValidationError("pour passer à « gagnée », indiquez le montant gagné")
    if amount.amount <= 0:
        raise ValidationError("le montant gagné est un montant positif")
    return amount


# --------------------------------------------------------------------------- one change


@dataclass(frozen=True)
class StageChange:
    """A change of stage as a person (or a confirmed award notice) asks for it."""

    to_stage: BidStage
    note: str | None = None
    reason: LossReason | None = None
    detail: str | None = None
    amount_won: Money | None = None
    #: actor id → share of the amount won (%); None keeps the members' own shares
    shares: Mapping[str, float] | None = field(default=None)


def apply_change(
    bid: GroupedBid, change: StageChange, at: datetime, by: str | None = None
) -> GroupedBid:
    """The bid after `change`, with its event appended to the history.

    Raises `TransitionError` when the table refuses the change and `ValidationError` when the
    change lacks what it requires (a reason for lost/abandoned, the amount and shares for won, a
    team from « équipe formée » on). A terminal stage clears the pending outcome proposal.
    """
    current, new = bid.stage, change.to_stage
    check_transition(current, new)
    check_members(bid.members, new)
    check_reason(new, change.reason, change.detail)
    update: dict[str, object] = {"stage": new, "updated_at": at}
    members = bid.members
    if new in REQUIRES_AMOUNT_AND_SHARES:
        update["amount_won"] = check_amount(change.amount_won)
        shares = resolve_shares(bid.members, change.shares)
        members = [m.model_copy(update={"share_percent": shares[m.actor_id]}) for m in members]
        update["members"] = members
    if new in REQUIRES_REASON:
        update["loss_reason"] = change.reason
        detail = (change.detail or "").strip()
        update["loss_detail"] = detail or None
    if is_terminal(new):
        update["proposal"] = None
    event = BidEvent(
        at=at,
        by=by,
        from_stage=current,
        to_stage=new,
        note=(change.note or "").strip() or None,
        reason=change.reason if new in REQUIRES_REASON else None,
    )
    update["history"] = [*bid.history, event]
    return bid.model_copy(update=update)


def apply_changes(
    bid: GroupedBid, changes: Sequence[StageChange], at: datetime, by: str | None = None
) -> GroupedBid:
    """`apply_change` for each change in turn (all pass, or the first error is raised)."""
    for change in changes:
        bid = apply_change(bid, change, at, by)
    return bid


def check_new_bid(bid: GroupedBid) -> None:
    """Raise `ValidationError` unless `bid` may be created as it is (stage, members)."""
    if bid.stage not in INITIAL_STAGES:
        choices = _quoted([s for s in BidStage if s in INITIAL_STAGES])
        raise ValidationError(
            f"une candidature groupée ne peut pas être créée à l'étape « {label(bid.stage)} » "
            f"(étapes possibles : {choices})"
        )
    check_members(bid.members, bid.stage)


# --------------------------------------------------------------------------- details

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_TITLE = 500
MAX_NOTES = 5000


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


def clean_details(update: BidUpdate) -> dict[str, object]:
    """The fields `update` sets, cleaned (texts trimmed, blanks None); `ValidationError` in
    French for an empty title, an invalid e-mail address, a document that is not an http(s)
    URL, or notes longer than `MAX_NOTES`."""
    given = {name: getattr(update, name) for name in update.model_fields_set}
    out: dict[str, object] = {}
    if "title" in given:
        title = _text(given["title"])
        if title is None:
            raise ValidationError("le titre de la candidature groupée est vide")
        out["title"] = title[:MAX_TITLE]
    if "contact_name" in given:
        out["contact_name"] = _text(given["contact_name"])
    if "contact_email" in given:
        email = _text(given["contact_email"])
        if email is not None and not _EMAIL.match(email):
            raise ValidationError(f"adresse e-mail de contact invalide : {email!r}")
        out["contact_email"] = email
    if "documents" in given:
        documents = [d.strip() for d in given["documents"] or [] if d.strip()]
        for url in documents:
            if not url.lower().startswith(("https://", "http://")):
                raise ValidationError(f"un document est un lien http(s) : {url!r}")
        out["documents"] = list(dict.fromkeys(documents))
    if "notes" in given:
        notes = _text(given["notes"])
        if notes is not None and len(notes) > MAX_NOTES:
            raise ValidationError(f"les notes dépassent {MAX_NOTES} caractères")
        out["notes"] = notes
    if "form" in given:
        out["form"] = given["form"]
    if "members" in given and given["members"] is not None:
        out["members"] = list(given["members"])
    return out


def apply_update(bid: GroupedBid, update: BidUpdate, at: datetime) -> GroupedBid:
    """The bid with the details of `update` (its stage and history unchanged).

    Raises `ValidationError` for invalid details (`clean_details`), an invalid team at the bid's
    stage (`check_members`), or a change of the team of a bid at a terminal stage (its outcome,
    shares included, is what was recorded).
    """
    fields = clean_details(update)
    if "members" in fields:
        members = fields["members"]
        assert isinstance(members, list)
        if is_terminal(bid.stage) and members != bid.members:
            raise ValidationError(
                f"« {label(bid.stage)} » est une étape finale : l'équipe n'est plus modifiable"
            )
        check_members(members, bid.stage)
    if not fields:
        return bid
    return bid.model_copy(update={**fields, "updated_at": at})
