"""French explanations and eligibility rules of a match: what a small association reads and trusts.

Eligibility (a reservation or a funding call's audiences the actor can answer) is decided here
with the sentence that says why, so the rule and its wording cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence, Set
from datetime import date, datetime

from veilleuse.core.models import (
    SHELTERED_FAMILIES,
    SIAE_FAMILIES,
    Actor,
    EssFamily,
    Lot,
    Notice,
    NoticeKind,
    Reason,
    ReservedKind,
    eligible_reserved_kinds,
)
from veilleuse.matching import cpv as cpvmod
from veilleuse.matching.lexical import Lexicon, fold, keywords, notice_words, stems
from veilleuse.matching.lots import LotFit

FAMILY_LABELS = {
    EssFamily.ASSOCIATION: "association",
    EssFamily.SCOP: "SCOP",
    EssFamily.SCIC: "SCIC",
    EssFamily.COOPERATIVE: "coopérative",
    EssFamily.MUTUAL: "mutuelle",
    EssFamily.FOUNDATION: "fondation",
    EssFamily.ESUS: "entreprise ESUS",
    EssFamily.SIAE_EI: "entreprise d'insertion",
    EssFamily.SIAE_ACI: "chantier d'insertion",
    EssFamily.SIAE_AI: "association intermédiaire",
    EssFamily.SIAE_ETTI: "ETTI",
    EssFamily.GEIQ: "GEIQ",
    EssFamily.ESAT: "ESAT",
    EssFamily.EA: "entreprise adaptée",
}


def cpv_sentence(close: float, code: str) -> str:
    """How close the notice's CPV code is to the actor's, in French."""
    shown = cpvmod.cpv_display(code)
    if close >= 1.0:
        return f"Code CPV de vos activités : {shown}"
    if close >= 0.6:
        return f"Code CPV proche de vos activités : {shown}"
    return f"Code CPV du même domaine que vos activités : {shown}"


_RESERVED_PHRASE = {
    ReservedKind.SHELTERED_WORKSHOP: "aux ESAT, entreprises adaptées et structures d'insertion",
    ReservedKind.INSERTION: "aux structures d'insertion par l'activité économique",
    ReservedKind.ESS: "aux entreprises de l'économie sociale et solidaire",
    ReservedKind.PUBLIC_SERVICE_MISSION: "aux organismes à mission de service public",
}
_INSERTION_FAMILIES = SIAE_FAMILIES | SHELTERED_FAMILIES | {EssFamily.GEIQ}


def reservation_fit(
    actor: Actor, reserved: bool | None, kinds: Sequence[ReservedKind], social_clause: bool | None
) -> tuple[float | None, str | None]:
    """(component, sentence); None when the reservation excludes the actor.

    A reservation to public-service-mission organisations (art. 77) is left for the actor to
    check rather than excluded: many ESS organisations qualify and the family does not tell.
    """
    kinds = list(dict.fromkeys(kinds))
    if kinds:
        eligible = eligible_reserved_kinds(actor.family)
        fitting = [k for k in kinds if k in eligible]
        if fitting:
            return 1.0, f"Marché réservé {_RESERVED_PHRASE[fitting[0]]} : vous êtes éligible"
        if ReservedKind.PUBLIC_SERVICE_MISSION in kinds:
            phrase = _RESERVED_PHRASE[ReservedKind.PUBLIC_SERVICE_MISSION]
            return 0.5, f"Marché réservé {phrase} : vérifiez votre éligibilité"
        return None, None
    if reserved:
        return 0.5, "Marché réservé : vérifiez à qui il est ouvert"
    if social_clause:
        if actor.family in _INSERTION_FAMILIES:
            return 0.6, "Clause sociale d'insertion : un atout pour votre structure"
        return 0.3, "Clause sociale : votre projet social est un atout"
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
_AUDIENCE_LABEL = {"associations": "associations", "companies": "entreprises"}


def audience_fit(actor: Actor, audiences: Sequence[str]) -> tuple[float | None, str | None]:
    """(component, sentence) for a funding call; None when its audiences leave the actor out."""
    if not audiences:
        return 0.5, None
    accepted = set(_AUDIENCE_OF_FAMILY.get(actor.family, _COMPANY_WORDS)) | _ESS_WORDS
    if "association" in fold(actor.legal_form or ""):
        accepted.add("associations")
    for audience in audiences:
        key = fold(audience).strip()
        if key in accepted or key.replace(" ", "-") in accepted:
            label = _AUDIENCE_LABEL.get(key, audience.lower())
            return 1.0, f"Appel ouvert aux {label} : c'est votre cas"
    return None, None


# --------------------------------------------------------------------------- reasons


def _lot_number(lot: Lot) -> str:
    digits = re.findall(r"\d+", lot.id)
    return str(int(digits[-1])) if digits else lot.id


def activity_phrase(
    actor: Actor, target: Set[str], lexicon: Lexicon | None = None, size: int = 8
) -> str | None:
    """The actor's own words closest to `target`: the description fragment (or CPV label) whose
    shared stems weigh most, cut to `size` words around the first shared one."""
    weigh = lexicon.weight if lexicon else (lambda _: 1.0)
    fragments = [f.strip(" -•*\t") for f in re.split(r"[\n.;:!?()]+|\s[-–•]\s", actor.description)]
    fragments += [cpvmod.cpv_label(c) or "" for c in actor.cpv_codes()]
    best, best_score = "", 0.0
    for fragment in fragments:
        score = sum(weigh(s) for s in stems(fragment) & target)
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


def topic_reasons(
    actor: Actor, notice: Notice, lots: Sequence[LotFit], shared: Set[str], lexicon: Lexicon,
    points: float,
) -> list[Reason]:  # fmt: skip
    """French sentences for the subject: which activity meets which lot, which words are shared."""
    reasons: list[Reason] = []
    groups: dict[str | None, list[Lot]] = {}  # lots met by the same activity share a sentence
    for fit in lots[:3]:
        target = stems(f"{fit.lot.title or ''} {fit.lot.description or ''}")
        activity = activity_phrase(actor, target, lexicon) or activity_phrase(
            actor, stems(notice_words(notice)), lexicon
        )
        groups.setdefault(activity, []).append(fit.lot)
    shown = list(groups.items())[:2]
    for activity, group in shown:
        names = [
            _lot_number(lot) + (f" « {_clip(lot.title)} »" if lot.title else "") for lot in group
        ]
        where = f"au lot {names[0]}" if len(names) == 1 else (
            "aux lots " + ", ".join(names[:-1]) + " et " + names[-1])  # fmt: skip
        text = f"Votre activité « {activity} » correspond {where}" if activity else (
            f"Vos activités correspondent {where}")  # fmt: skip
        reasons.append(Reason(code="lot", text=text, weight=points / len(shown)))
    if not lots:
        activity = activity_phrase(actor, stems(notice_words(notice)), lexicon)
        what = "à cet appel" if notice.kind is NoticeKind.FUNDING_CALL else "à ce marché"
        if activity:
            text = f"Votre activité « {activity} » correspond {what}"
            reasons.append(Reason(code="semantic", text=text, weight=points))
        elif points >= 10:
            text = f"Le sujet de {what[2:]} est proche de vos activités"
            reasons.append(Reason(code="semantic", text=text, weight=points))
    surface = keywords(notice_words(notice))
    ranked = sorted(shared, key=lambda s: -lexicon.weights.get(s, lexicon.default))
    words = [surface[s] for s in ranked if s in surface][:5]
    if words:
        reasons.append(
            Reason(
                code="lexical",
                text="Mots en commun avec votre profil : " + ", ".join(words),
                weight=0.0,
            )
        )
    return reasons


def _clip(text: str, size: int = 80) -> str:
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre",
)  # fmt: skip


def deadline_sentence(deadline: date | datetime | None) -> str | None:
    """'Date limite : 24 juin 2019 à 16 h 00' (the time as the source gives it, with its offset)."""
    if deadline is None:
        return None
    day = deadline.date() if isinstance(deadline, datetime) else deadline
    text = f"Date limite : {day.day} {_MONTHS[day.month - 1]} {day.year}"
    if isinstance(deadline, datetime):
        text += f" à {deadline.hour} h {deadline.minute:02d}"
    return text
