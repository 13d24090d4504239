"""Eligibility rules of a match and the reasons behind its score, as data.

Eligibility (a reservation or a funding call's audiences the actor can answer) is decided here
together with the reason that says why, so the rule and its reason cannot drift apart. Reasons
are codes with parameters; `matching.reasons.reason_text` words them in French at display time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence, Set
from datetime import date, datetime
from itertools import repeat
from typing import Any

from veilleuse.core.models import (
    SHELTERED_FAMILIES,
    SIAE_FAMILIES,
    Actor,
    EssFamily,
    Lot,
    Notice,
    Reason,
    ReservedKind,
    eligible_reserved_kinds,
)
from veilleuse.matching import cpv as cpvmod
from veilleuse.matching.lexical import Lexicon, fold, keywords, notice_words, stems
from veilleuse.matching.lots import LotFit
from veilleuse.matching.territory import territory_fit

_INSERTION_FAMILIES = SIAE_FAMILIES | SHELTERED_FAMILIES | {EssFamily.GEIQ}


def reservation_fit(
    actor: Actor, reserved: bool | None, kinds: Sequence[ReservedKind], social_clause: bool | None
) -> tuple[float | None, dict[str, Any] | None]:
    """(component, reason params); None when the reservation excludes the actor.

    A reservation to public-service-mission organisations (art. 77) is left for the actor to
    check rather than excluded: many ESS organisations qualify and the family does not tell.
    """
    kinds = list(dict.fromkeys(kinds))
    if kinds:
        eligible = eligible_reserved_kinds(actor.family)
        fitting = [k for k in kinds if k in eligible]
        if fitting:
            return 1.0, {"case": "eligible", "kind": fitting[0].value}
        if ReservedKind.PUBLIC_SERVICE_MISSION in kinds:
            return 0.5, {"case": "check", "kind": ReservedKind.PUBLIC_SERVICE_MISSION.value}
        return None, None
    if reserved:
        return 0.5, {"case": "unspecified"}
    if social_clause:
        if actor.family in _INSERTION_FAMILIES:
            return 0.6, {"case": "insertion_clause"}
        return 0.3, {"case": "social_clause"}
    return 0.0, None


_AUDIENCE_OF_FAMILY: dict[EssFamily, set[str]] = {
    EssFamily.ASSOCIATION: {"associations"},
    EssFamily.FOUNDATION: {"associations", "fondations"},
    EssFamily.SIAE_ACI: {"associations"},
    EssFamily.SIAE_AI: {"associations"},
    EssFamily.GEIQ: {"associations"},
    EssFamily.ESAT: {"associations"},
}
_COMPANY_WORDS = {"companies", "entreprises", "private_sector"}
_ESS_WORDS = {"ess", "economie-sociale-et-solidaire", "esus", "structures-de-l-ess"}


def audience_fit(
    actor: Actor, audiences: Sequence[str]
) -> tuple[float | None, dict[str, Any] | None]:
    """(component, reason params) for a funding call; None when its audiences leave the actor
    out."""
    if not audiences:
        return 0.5, None
    accepted = set(_AUDIENCE_OF_FAMILY.get(actor.family, _COMPANY_WORDS)) | _ESS_WORDS
    if "association" in fold(actor.legal_form or ""):
        accepted.add("associations")
    for audience in audiences:
        key = fold(audience).strip()
        if key in accepted or key.replace(" ", "-") in accepted:
            return 1.0, {"audience": audience}
    return None, None


# --------------------------------------------------------------------------- reasons


def actor_fragments(actor: Actor) -> list[tuple[str, frozenset[str]]]:
    """The actor's description fragments and CPV labels with their stems, which
    `activity_phrase` weighs; worth computing once per actor when it is asked many times."""
    fragments = [f.strip(" -•*\t") for f in re.split(r"[\n.;:!?()]+|\s[-–•]\s", actor.description)]
    fragments += [cpvmod.cpv_label(c) or "" for c in actor.cpv_codes()]
    return [(fragment, stems(fragment)) for fragment in fragments]


def activity_phrase(
    actor: Actor,
    target: Set[str],
    lexicon: Lexicon | None = None,
    size: int = 8,
    fragments: Sequence[tuple[str, frozenset[str]]] | None = None,
) -> str | None:
    """The actor's own words closest to `target`: the description fragment (or CPV label) whose
    shared stems weigh most, cut to `size` words around the first shared one. `fragments`:
    `actor_fragments(actor)`, computed beforehand by a caller that asks for many notices."""
    weights, default = (lexicon.weights, lexicon.default) if lexicon else ({}, 1.0)
    best, best_score = "", 0.0
    for fragment, own in fragments if fragments is not None else actor_fragments(actor):
        if own.isdisjoint(target):
            continue  # scores 0, never better than the best so far
        shared = own & target  # `Lexicon.weight` of each, without a Python call per stem
        score = sum(map(weights.get, shared, repeat(default, len(shared))))
        if score > best_score + 1e-9:
            best, best_score = fragment, score
    if not best:
        return None
    words = best.split()
    first = next((i for i, w in enumerate(words) if stems(w) & target), 0)
    start = max(0, min(first - 2, len(words) - size))
    short = " ".join(words[start : start + size])
    short = ("… " if start else "") + short + (" …" if start + size < len(words) else "")
    return short[:1].lower() + short[1:] if short[1:2].islower() else short


def topic_reason_fields(
    actor: Actor, notice: Notice, lots: Sequence[LotFit], shared: Set[str], lexicon: Lexicon,
    points: float, *, fragments: Sequence[tuple[str, frozenset[str]]] | None = None,
    surface: dict[str, str] | None = None, theirs: frozenset[str] | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Reasons for the subject: which activity meets which lot, which words are shared, as
    `Reason` fields (a run builds ~150,000 matches: each is validated once, as a whole).
    `fragments` (`actor_fragments`), `surface` (`keywords(notice_words(notice))`) and `theirs`
    (`stems(notice_words(notice))`) may be given by a caller that already has them."""
    if fragments is None:
        fragments = actor_fragments(actor)
    if theirs is None:
        theirs = stems(notice_words(notice))
    reasons: list[dict[str, Any]] = []
    groups: dict[str | None, list[Lot]] = {}  # lots met by the same activity share a sentence
    for fit in lots[:3]:
        target = stems(f"{fit.lot.title or ''} {fit.lot.description or ''}")
        activity = activity_phrase(actor, target, lexicon, fragments=fragments) or activity_phrase(
            actor, theirs, lexicon, fragments=fragments
        )
        groups.setdefault(activity, []).append(fit.lot)
    shown = list(groups.items())[:2]
    for activity, group in shown:
        params = {
            "activity": activity,
            "lots": [{"id": lot.id, "title": lot.title} for lot in group],
        }
        reasons.append({"code": "lot", "params": params, "weight": points / len(shown)})
    if not lots:
        activity = activity_phrase(actor, theirs, lexicon, fragments=fragments)
        if activity or points >= 10:
            params = {"activity": activity, "kind": notice.kind.value}
            reasons.append({"code": "semantic", "params": params, "weight": points})
    if surface is None:
        surface = keywords(notice_words(notice))
    # rarest first; ties by stem, so the order does not follow the process's string hash seed
    ranked = sorted(shared, key=lambda s: (-lexicon.weights.get(s, lexicon.default), s))
    words = [surface[s] for s in ranked if s in surface][:5]
    if words:
        reasons.append({"code": "lexical", "params": {"words": words}, "weight": 0.0})
    return reasons


def territory_params(actor: Actor, departments: Sequence[str]) -> dict[str, Any]:
    """The territory case and the place it names, as reason params (`territory.territory_fit`)."""
    return territory_fit(actor, departments)[1]


def deadline_fields(deadline: date | datetime | None) -> dict[str, Any] | None:
    """The notice's deadline as `Reason` fields ('Date limite : …', worded by
    `matching.reasons`)."""
    if deadline is None:
        return None
    return {"code": "deadline", "params": {"deadline": deadline.isoformat()}, "weight": 0.0}


def deadline_reason(deadline: date | datetime | None) -> Reason | None:
    """`deadline_fields` as a `Reason`."""
    fields = deadline_fields(deadline)
    return Reason(**fields) if fields else None
