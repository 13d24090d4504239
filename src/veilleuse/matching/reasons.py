"""The French wording of match and grouped-bid reasons, written at display time from their data.

A `Reason` is a code and its parameters (`matching.explain` and `matching.consortia` build them);
`reason_text` is the one place that turns one into a sentence, for the digests and any other
front end. Codes and their parameters:

- lot: activity (the actor's own words, or None), lots ([{id, title}]) the activity meets
- semantic: activity (or None), kind (the notice kind)
- lexical: words shared with the actor's profile
- cpv: code (the notice's closest CPV code), closeness (0..1)
- territory: case (national, unknown_actor, department, radius, neighbour, outside),
  department, km (radius only)
- reserved: case (eligible, check, unspecified, insertion_clause, social_clause), kind
- audience: audience (as the call gives it)
- deadline: deadline (ISO day or instant)
- pushed: note (the watch officer's word when pushing a notice to an actor, or None), by (the
  officer's name, optional: without it the officer is not named)
- coverage (grouped bid): covered, units, share (of the estimated value, or None),
  name (the best single actor, when it is the one covering)
- lead (grouped bid): name, lots, staff
- proximity (grouped bid): close, places ([{department, commune}] per member)
- assignment (grouped bid, why a member takes a lot): actor_id, name, activity (the member's own
  words meeting the lot, or None), fit (0..1), place ({department, commune}), reinforcement
  (true when it joins a lot whose value exceeds the first member's capacity)
- partner (funding call, a suggested partner): actor_id, name, family (EssFamily value), place
  ({department, commune}), complementary (another family), near (same or neighbouring territory)

A reason stored before reasons were data carries its sentence in `text`: it is shown as given.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from pydantic import TypeAdapter

from veilleuse.core import geo
from veilleuse.core.deadlines import format_datetime_fr
from veilleuse.core.models import DateOrDateTime, EssFamily, NoticeKind, Reason, ReservedKind
from veilleuse.matching import cpv as cpvmod
from veilleuse.matching.lexical import fold

Params = Mapping[str, Any]


def reason_text(reason: Reason) -> str:
    """The French sentence of a reason; empty for a code this version does not know."""
    if reason.text is not None:
        return reason.text
    render = _RENDERERS.get(reason.code)
    return render(reason.params) if render else ""


# --------------------------------------------------------------------------- matches


def _lot(p: Params) -> str:
    names = [
        lot_number(lot["id"]) + (f" « {clip(lot['title'])} »" if lot.get("title") else "")
        for lot in p["lots"]
    ]
    where = (
        f"au lot {names[0]}"
        if len(names) == 1
        else "aux lots " + ", ".join(names[:-1]) + " et " + names[-1]
    )
    if p.get("activity"):
        return f"Votre activité « {p['activity']} » correspond {where}"
    return f"Vos activités correspondent {where}"


def _semantic(p: Params) -> str:
    what = "à cet appel" if p.get("kind") == NoticeKind.FUNDING_CALL else "à ce marché"
    if p.get("activity"):
        return f"Votre activité « {p['activity']} » correspond {what}"
    return f"Le sujet de {what[2:]} est proche de vos activités"


def _lexical(p: Params) -> str:
    return "Mots en commun avec votre profil : " + ", ".join(p["words"])


def _cpv(p: Params) -> str:
    shown = cpvmod.cpv_display(p["code"])
    if p["closeness"] >= 1.0:
        return f"Code CPV de vos activités : {shown}"
    if p["closeness"] >= 0.6:
        return f"Code CPV proche de vos activités : {shown}"
    return f"Code CPV du même domaine que vos activités : {shown}"


def _territory(p: Params) -> str:
    case = p["case"]
    if case == "national":
        return "Lieu d'exécution national ou non précisé"
    if case == "unknown_actor":
        return "Territoire de votre structure non renseigné"
    place = department_label(p["department"])
    if case == "department":
        return f"Dans votre département ({place})"
    if case == "radius":
        return f"À environ {p['km']:.0f} km de chez vous ({place})"
    if case == "neighbour":
        return f"Département voisin du vôtre ({place})"
    return f"Hors de votre territoire ({place})"


RESERVED_PHRASES = {
    ReservedKind.SHELTERED_WORKSHOP: "aux ESAT, entreprises adaptées et structures d'insertion",
    ReservedKind.INSERTION: "aux structures d'insertion par l'activité économique",
    ReservedKind.ESS: "aux entreprises de l'économie sociale et solidaire",
    ReservedKind.PUBLIC_SERVICE_MISSION: "aux organismes à mission de service public",
}


def _reserved(p: Params) -> str:
    case = p["case"]
    if case == "eligible":
        return f"Marché réservé {RESERVED_PHRASES[ReservedKind(p['kind'])]} : vous êtes éligible"
    if case == "check":
        phrase = RESERVED_PHRASES[ReservedKind(p["kind"])]
        return f"Marché réservé {phrase} : vérifiez votre éligibilité"
    if case == "unspecified":
        return "Marché réservé : vérifiez à qui il est ouvert"
    if case == "insertion_clause":
        return "Clause sociale d'insertion : un atout pour votre structure"
    return "Clause sociale : votre projet social est un atout"


_AUDIENCE_LABELS = {"associations": "associations", "companies": "entreprises"}


def _audience(p: Params) -> str:
    audience = str(p["audience"])
    label = _AUDIENCE_LABELS.get(fold(audience).strip(), audience.lower())
    return f"Appel ouvert aux {label} : c'est votre cas"


_DEADLINE: TypeAdapter[date | datetime | None] = TypeAdapter(DateOrDateTime)


def _deadline(p: Params) -> str:
    deadline = _DEADLINE.validate_python(p["deadline"])
    return f"Date limite : {format_datetime_fr(deadline)}" if deadline else ""


def _pushed(p: Params) -> str:
    by = (p.get("by") or "").strip()
    text = f"Signalé pour vous par {by + ', ' if by else ''}votre chargé·e de veille"
    note = (p.get("note") or "").strip()
    return f"{text} : « {note} »" if note else text


# --------------------------------------------------------------------------- grouped bids


def _coverage(p: Params) -> str:
    who = f"Seul, le meilleur candidat ({p['name']}) couvre" if p.get("name") else "L'équipe couvre"
    covered = p["covered"]
    text = f"{who} {covered} lot{'s' if covered > 1 else ''} sur {p['units']}"
    if p.get("share") is not None:
        text += f" ({p['share'] * 100:.0f} % du montant estimé)"
    return text


def _lead(p: Params) -> str:
    size = f", {p['staff']} salariés" if p.get("staff") else ""
    return f"Mandataire proposé : {p['name']} (porte {p['lots']} lot(s){size})"


def _proximity(p: Params) -> str:
    places = ", ".join(dict.fromkeys(place_label(**place) for place in p["places"]))
    if p["close"]:
        return f"Membres proches les uns des autres : {places}"
    return f"Membres sur plusieurs territoires : {places}"


def _assignment(p: Params) -> str:
    if "name" not in p:  # prose of an older payload, lost by a later re-serialisation
        return ""
    text = f"{p['name']} : " + (f"« {p['activity']} », " if p.get("activity") else "")
    text += f"adéquation {p['fit'] * 100:.0f} %, {place_label(**p.get('place', {}))}"
    if p.get("reinforcement"):
        text += " — en renfort : le montant estimé dépasse la capacité d'un seul membre"
    return text


def _partner(p: Params) -> str:
    if "name" not in p:
        return ""
    who = f"{p['name']} ({family_label(p['family'])}, {place_label(**p.get('place', {}))})"
    family = "famille complémentaire" if p.get("complementary") else "même famille"
    where = "proche de chez vous" if p.get("near") else "autre territoire"
    return f"{who} — {family}, {where}"


_RENDERERS: dict[str, Callable[[Params], str]] = {
    "lot": _lot,
    "semantic": _semantic,
    "lexical": _lexical,
    "cpv": _cpv,
    "territory": _territory,
    "reserved": _reserved,
    "audience": _audience,
    "deadline": _deadline,
    "pushed": _pushed,
    "coverage": _coverage,
    "lead": _lead,
    "proximity": _proximity,
    "assignment": _assignment,
    "partner": _partner,
}


# --------------------------------------------------------------------------- shared wording

FAMILY_LABELS: dict[EssFamily, str] = {
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


def family_label(family: str) -> str:
    """'chantier d'insertion' for an `EssFamily` (or its value); an unknown value as given."""
    try:
        return FAMILY_LABELS.get(EssFamily(family), str(family))
    except ValueError:
        return str(family)


def department_label(code: str) -> str:
    """'Nord', or the code when the département is unknown."""
    return geo.department_name(code) or code


def place_label(department: str | None = None, commune: str | None = None) -> str:
    """Where an actor is: its (first) département's name, else its commune."""
    if department:
        return department_label(department)
    return commune or "territoire non renseigné"


def lot_number(lot_id: str) -> str:
    """'LOT-0002' → '2': the last number in the id, else the id."""
    digits = re.findall(r"\d+", lot_id)
    return str(int(digits[-1])) if digits else lot_id


def clip(text: str, size: int = 80) -> str:
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"
