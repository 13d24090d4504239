"""Reserved contracts and social clauses written in prose, detected the same way for every source.

Structured fields (BT-71, MARCHE_RESERVE_OUI…) are read by each parser; many buyers only write
"marché réservé aux ESAT" or "clause d'insertion" in the text. `detect` is the pure core working
on one text; `apply_text_signals` runs it over a notice (title, description, lots) and only ever
adds what the text states: a structured True/False is never replaced by a text-derived "unknown".

Rules work on folded text (lower case, no accents) sentence by sentence; a negation just before a
phrase ("n'est pas réservé", "aucune clause sociale") or a "non" right after it cancels the phrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from veilleuse.core.models import Evidence, Lot, Notice, ReservedKind
from veilleuse.core.normalise import fold, unique

EVIDENCE_CHARS = 200

# Sentence ends: '.', ';', '!' or '?' before white space, a new line, or a bullet. BOAMP texts often
# glue sentences ("par an.6 sites"), so a period directly followed by an upper-case letter or a
# digit also splits, but not inside references such as "L. 2113-12" or "art. 20".
_SPLIT = re.compile(r"(?<=[.;!?])\s+|\n+|\s+[-•]\s+|(?<=[a-zà-ÿ)]{3}[.;])(?=[A-ZÀ-Ý0-9])")
_ABBREVIATION = re.compile(r"\b([LRD]|art|Art|ART|cf|no|n°)\.\s+(?=\S)")
_GLUE = "\x00"

_REF = r"(?:l\.?\s*|article\s+l\.?\s*)"
_LEGAL_SHELTERED = re.compile(_REF + r"2113-12\b")
_LEGAL_INSERTION = re.compile(_REF + r"2113-13\b")
_LEGAL_ESS = re.compile(_REF + r"2113-15\b")

# A reservation phrase: "marché réservé", "lots réservés", "réservé(e)s aux / à des …".
_RESERVED_NOUN = re.compile(
    r"\b(?:marches?|lots?|accords?-cadres?|consultations?|procedures?|contrats?|participation)"
    r"\s+reserve(?:e|s|es)?\b"
)
_RESERVED_TO = re.compile(
    r"(?<!\bse )(?<!\bsous )\breserve(?:e|s|es)?\s+(?:exclusivement\s+|uniquement\s+)?"
    r"(?:aux?|a\s+des|a\s+l'|a\s+la|a\s+une?)\b"
)

_NOT_RESERVED = re.compile(
    r"\b(?:marches?|lots?|consultations?|accords?-cadres?|participation)\s+(?:n'est|ne\s+sont|ne\s+sera|ne\s+seront)"
    r"\s+pas\s+(?:un\s+marche\s+)?reserve"
)
_SHELTERED = re.compile(
    r"\besats?\b|\bentreprises?\s+adaptees?\b|\bea\b(?=\s*(?:\)|,|ou|et|$))"
    r"|etablissements?\s+(?:et|ou)\s+services?\s+d'aide\s+par\s+le\s+travail"
    r"|travailleurs?\s+handicapes?|personnes?\s+handicapees?|ateliers?\s+proteges?"
    r"|emplois?\s+proteges?|\bart(?:icle|\.)?\s*20\b"
)
_INSERTION = re.compile(
    r"\bsiae\b|structures?\s+d'insertion\s+par\s+l'activite\s+economique"
    r"|insertion\s+par\s+l'activite\s+economique|entreprises?\s+d'insertion"
    r"|ateliers?\s+et\s+chantiers?\s+d'insertion"
)
_PUBLIC_SERVICE = re.compile(r"mission\s+de\s+service\s+public")
_ESS = re.compile(r"economie\s+sociale\s+et\s+solidaire|\bess\b")

_SOCIAL = re.compile(
    r"\bclauses?\s+sociales?\b|\bclauses?\s+d'insertion\b|\bheures?\s+d'insertion\b"
    r"|\bclauses?\s+de\s+promotion\s+de\s+l'emploi\b"
)
_INSERTION_PRO = re.compile(r"\binsertion\s+professionnelle\b")
_CONDITION_WORDS = re.compile(
    r"\bconditions?\b|\bcriteres?\b|\bclauses?\b|\bexecution\b|\bexige|\bimpose|\bobligation"
    r"|\bheures?\b|\bpublics?\s+eloignes?\b"
)
_SOCIAL_ARTICLE = re.compile(r"(?:l\.?\s*2112-2|r\.?\s*2152-7)\b")
_SOCIAL_CONTEXT = re.compile(r"\bsocia|\binsertion\b|\bhandicap|\bemploi\b")

_NEGATION_BEFORE = re.compile(
    r"(?:\bn'|\bne\b|\bpas\b|\baucune?s?\b|\bsans\b|\bnon\b|\bni\b)[^.;]{0,25}$"
)
_NEGATION_AFTER = re.compile(r"^\s*(?::|=)?\s*(?:non\b|sans\s+objet|neant)")


@dataclass
class Signals:
    """What one text says about reservation and social clauses (None: it says nothing)."""

    reserved: bool | None = None
    kinds: list[ReservedKind] = field(default_factory=list)
    social: bool | None = None
    reserved_evidence: list[str] = field(default_factory=list)
    social_evidence: list[str] = field(default_factory=list)

    def merge(self, other: Signals) -> None:
        self.reserved = _combine(self.reserved, other.reserved)
        self.social = _combine(self.social, other.social)
        self.kinds = list(dict.fromkeys([*self.kinds, *other.kinds]))
        self.reserved_evidence = unique([*self.reserved_evidence, *other.reserved_evidence])
        self.social_evidence = unique([*self.social_evidence, *other.social_evidence])


def _combine(a: bool | None, b: bool | None) -> bool | None:
    """A positive statement wins over a negative one, which wins over silence."""
    if a is True or b is True:
        return True
    if a is False or b is False:
        return False
    return None


def sentences(text: str) -> list[str]:
    """Split on sentence ends, keeping "L. 2113-12" or "art. 20" inside their sentence."""
    glued = _ABBREVIATION.sub(lambda m: m[1] + "." + _GLUE, text.replace(_GLUE, ""))
    parts = (s.replace(_GLUE, " ").strip() for s in _SPLIT.split(glued) if s)
    return [s for s in parts if s]


def _negated(folded: str, start: int, end: int) -> bool:
    return bool(_NEGATION_BEFORE.search(folded[:start]) or _NEGATION_AFTER.match(folded[end:]))


def _excerpt(sentence: str, start: int) -> str:
    """The sentence, or a window of it around the match, at most EVIDENCE_CHARS long."""
    if len(sentence) <= EVIDENCE_CHARS:
        return sentence
    begin = max(0, min(start - EVIDENCE_CHARS // 3, len(sentence) - EVIDENCE_CHARS))
    window = sentence[begin : begin + EVIDENCE_CHARS].strip()
    return ("…" if begin else "") + window + ("…" if begin + EVIDENCE_CHARS < len(sentence) else "")


def _kinds(folded: str) -> list[ReservedKind]:
    kinds: list[ReservedKind] = []
    if _SHELTERED.search(folded) or _LEGAL_SHELTERED.search(folded):
        kinds.append(ReservedKind.SHELTERED_WORKSHOP)
    if _INSERTION.search(folded) or _LEGAL_INSERTION.search(folded):
        kinds.append(ReservedKind.INSERTION)
    if _ESS.search(folded) or _LEGAL_ESS.search(folded):
        kinds.append(ReservedKind.ESS)
    if _PUBLIC_SERVICE.search(folded):
        kinds.append(ReservedKind.PUBLIC_SERVICE_MISSION)
    return kinds


def _reserved_in(sentence: str, folded: str, out: Signals) -> None:
    legal = [
        m for rx in (_LEGAL_SHELTERED, _LEGAL_INSERTION, _LEGAL_ESS) if (m := rx.search(folded))
    ]
    phrases = [*_RESERVED_NOUN.finditer(folded), *_RESERVED_TO.finditer(folded)]
    kinds = _kinds(folded)
    # "réservé à …" without a beneficiary named is too vague ("réservée à une profession").
    phrases = [
        m for m in phrases if kinds or (m.re is _RESERVED_NOUN and "profession" not in folded)
    ]
    if not phrases and legal and "reserv" in folded:
        phrases = legal
    if not phrases:
        if out.reserved is None and (m := _NOT_RESERVED.search(folded)):
            out.reserved = False
            out.reserved_evidence.append(_excerpt(sentence, m.start()))
        return
    positive = [m for m in phrases if not _negated(folded, m.start(), m.end())]
    if positive:
        if out.reserved is False:  # a later positive statement replaces a negative one
            out.reserved_evidence = []
        out.reserved = True
        out.kinds = list(dict.fromkeys([*out.kinds, *kinds]))
        out.reserved_evidence.append(_excerpt(sentence, positive[0].start()))
    elif out.reserved is None:
        out.reserved = False
        out.reserved_evidence.append(_excerpt(sentence, phrases[0].start()))


def _social_in(sentence: str, folded: str, out: Signals) -> None:
    matches = list(_SOCIAL.finditer(folded))
    if _CONDITION_WORDS.search(folded):
        matches += list(_INSERTION_PRO.finditer(folded))
    if _SOCIAL_CONTEXT.search(folded):
        matches += list(_SOCIAL_ARTICLE.finditer(folded))
    if not matches:
        return
    positive = [m for m in matches if not _negated(folded, m.start(), m.end())]
    if positive:
        if out.social is False:
            out.social_evidence = []
        out.social = True
        out.social_evidence.append(_excerpt(sentence, positive[0].start()))
    elif out.social is None:
        out.social = False
        out.social_evidence.append(_excerpt(sentence, matches[0].start()))


def detect(text: str | None) -> Signals:
    """Reservation and social-clause statements in one French text, with their sentences."""
    out = Signals()
    if not text:
        return out
    for sentence in sentences(text):
        folded = fold(sentence.replace("’", "'").replace("ʼ", "'"))
        _reserved_in(sentence, folded, out)
        _social_in(sentence, folded, out)
    return out


# --------------------------------------------------------------------------- notices


def _apply(
    reserved: bool | None,
    kinds: list[ReservedKind],
    social: bool | None,
    signals: Signals,
) -> tuple[bool | None, list[ReservedKind], bool | None]:
    """Text may say True (always kept) or False (only where nothing structured was stated)."""
    if signals.reserved is True:
        reserved = True
        kinds = list(dict.fromkeys([*kinds, *signals.kinds]))
    elif signals.reserved is False and reserved is None:
        reserved = False
    if signals.social is True or (signals.social is False and social is None):
        social = signals.social
    return reserved, kinds, social


def _lot_with_signals(lot: Lot, all_signals: Signals) -> Lot:
    signals = detect(" \n".join(t for t in (lot.title, lot.description) if t))
    if signals.reserved:  # only positive lot statements speak for the notice
        all_signals.merge(Signals(True, signals.kinds, None, signals.reserved_evidence))
    if signals.social:
        all_signals.merge(Signals(social=True, social_evidence=signals.social_evidence))
    reserved, kinds, social = _apply(lot.reserved, lot.reserved_kinds, lot.social_clause, signals)
    if (reserved, kinds, social) == (lot.reserved, lot.reserved_kinds, lot.social_clause):
        return lot
    return lot.model_copy(
        update={"reserved": reserved, "reserved_kinds": kinds, "social_clause": social}
    )


def apply_text_signals(notice: Notice) -> Notice:
    """A copy of `notice` with reservation/social flags the text states added (hash not updated)."""
    signals = detect(" \n".join(t for t in (notice.title, notice.description) if t))
    lot_signals = Signals()
    lots = [_lot_with_signals(lot, lot_signals) for lot in notice.lots]
    # A reserved lot makes the notice (partly) reserved; a lot saying "not reserved" does not
    # make the whole notice unreserved (only positive lot signals were collected).
    signals.merge(lot_signals)
    reserved, kinds, social = _apply(
        notice.reserved, notice.reserved_kinds, notice.social_clause, signals
    )
    evidence = Evidence(
        reserved=unique(
            [
                *notice.evidence.reserved,
                *(signals.reserved_evidence if reserved == signals.reserved else []),
            ]
        ),
        social_clause=unique(
            [
                *notice.evidence.social_clause,
                *(signals.social_evidence if social == signals.social else []),
            ]
        ),
    )
    return notice.model_copy(
        update={
            "reserved": reserved,
            "reserved_kinds": kinds,
            "social_clause": social,
            "evidence": evidence,
            "lots": lots,
        }
    )
