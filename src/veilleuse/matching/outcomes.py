"""Outcome proposals: which award notice is the award of a bid's procedure, and who won it.

Pure functions over notices and actors; `app.bid_outcomes` reads the store and the register
and writes the proposals. An award notice (BOAMP attribution, TED contract award, DECP record)
is the award of a bid's notice when they share a procedure key (`procedure_keys`):

- the cross-source keys of `spiders.dedup.keys` (a TED publication number, an eForms/BOAMP
  procedure UUID), computed by the caller and passed in (`matching` does not import `spiders`);
- a notice uid: the notice's own, those of its duplicates (`also_in`), and those its
  identifiers name in its own source — a BOAMP award names the call for competition it
  concludes by its IDWEB;
- the buyer's reference: buyer SIREN + an identifier (how a DECP record, keyed by the buyer's
  own contract id, meets a notice that carries that id).

The proposal says `won` when a member is among the awardees — by SIRET first (the same SIREN:
the same legal entity), else, for an awardee or a member without SIRET, by folded name (case,
accents, punctuation, legal forms and a parenthesised role such as « (mandataire) » ignored) —
else `lost`. An award naming no awardee proposes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from veilleuse.core.bids import BidStage, OutcomeProposal
from veilleuse.core.models import Actor, Awardee, Notice
from veilleuse.core.normalise import fold

_PARENTHESES = re.compile(r"\([^)]*\)")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_LEGAL_FORMS = frozenset({
    "sarl", "sas", "sasu", "sa", "eurl", "scop", "scic", "sci", "snc", "gie", "ste", "societe",
    "ets", "etablissements", "association", "asso",
})  # fmt: skip
_SIRET = re.compile(r"^\d{14}$")
#: the order in which a shared key is reported (the strongest evidence first)
_KEY_ORDER = ("procedure:", "ted:", "uid:", "ref:")


def siren(siret: str | None) -> str | None:
    """The legal entity (9 digits) of a SIRET, or None (also for a placeholder of zeros)."""
    text = re.sub(r"\s", "", siret or "")
    if not _SIRET.match(text) or not text.strip("0"):
        return None
    return text[:9]


def name_key(name: str | None) -> str:
    """A name reduced for comparison (see the module docstring); empty when nothing is left."""
    text = _PARENTHESES.sub(" ", fold(name or ""))
    words = [w for w in _NOT_WORD.split(text) if w and w not in _LEGAL_FORMS]
    return " ".join(words)


def procedure_keys(notice: Notice, dedup_keys: Iterable[str]) -> set[str]:
    """Every key that identifies the procedure of `notice` (see the module docstring)."""
    keys = set(dedup_keys)
    keys.add(f"uid:{notice.uid}")
    keys |= {f"uid:{uid}" for uid in notice.also_in}
    buyer = siren(notice.buyer.siret)
    for identifier in notice.identifiers:
        text = identifier.strip()
        if not text or "://" in text or text.startswith("/"):
            continue  # a URL names a page, not a procedure
        keys.add(f"uid:{notice.source}:{text}")
        if buyer:
            keys.add(f"ref:{buyer}:{fold(text)}")
    return keys


def awarded_members(awardees: Sequence[Awardee], members: Mapping[str, Actor]) -> list[str]:
    """The members (actor ids, in `members`' order) found among the awardees."""
    found = []
    for actor_id, actor in members.items():
        mine, my_name = siren(actor.siret), name_key(actor.name)
        for awardee in awardees:
            theirs = siren(awardee.siret)
            if mine and theirs:
                hit = mine == theirs
            else:
                hit = bool(my_name) and my_name == name_key(awardee.name)
            if hit:
                found.append(actor_id)
                break
    return found


def awardee_label(awardee: Awardee) -> str:
    """« Nom (SIRET) », « Nom » or « SIRET » as the award gives them."""
    if awardee.name and awardee.siret:
        return f"{awardee.name} ({awardee.siret})"
    return awardee.name or awardee.siret or ""


def _shown(key: str) -> str:
    return key.removeprefix("uid:")


def shared_key(left: set[str], right: set[str]) -> str | None:
    """The key two notices share, the strongest evidence first (None when none)."""
    shared = left & right
    if not shared:
        return None
    rank = {prefix: i for i, prefix in enumerate(_KEY_ORDER)}
    return min(shared, key=lambda k: (rank.get(k.split(":", 1)[0] + ":", len(rank)), k))


@dataclass(frozen=True)
class AwardKeys:
    """An award notice with its procedure keys (computed once per run)."""

    notice: Notice
    keys: frozenset[str]


def _published(notice: Notice) -> date:
    return notice.published or date.min


def propose_outcome(
    bid_keys: set[str],
    awards: Sequence[AwardKeys],
    members: Mapping[str, Actor],
    at: datetime,
) -> OutcomeProposal | None:
    """The proposal for a bid whose notice (and duplicates) has `bid_keys`, from the awards of
    its procedure among `awards`: an award where a member won first (several awards may each
    conclude some lots), then the latest published. None when no award of the procedure names
    an awardee."""
    candidates = []
    for award in awards:
        key = shared_key(bid_keys, set(award.keys))
        if key is None or not award.notice.awardees:
            continue
        winners = awarded_members(award.notice.awardees, members)
        candidates.append((bool(winners), _published(award.notice), award.notice.uid, key, winners))
    if not candidates:
        return None
    _, _, uid, key, winners = max(candidates)
    chosen = next(a.notice for a in awards if a.notice.uid == uid)
    return OutcomeProposal(
        award_uid=chosen.uid,
        outcome=BidStage.WON if winners else BidStage.LOST,
        awardees=[label for a in chosen.awardees if (label := awardee_label(a))],
        amount=chosen.estimated_value,
        matched_by=_shown(key),
        proposed_at=at,
        members_awarded=winners,
    )
