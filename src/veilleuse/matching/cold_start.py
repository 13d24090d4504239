"""Cold start: CPV codes suggested for an actor that declared none.

Two sources of evidence, in order of trust: contracts the actor already won (DECP and award
notices naming its SIRET), then its own description read against the 9,454 French CPV labels
(rarity-weighted stem overlap, the lexical half of the matcher). Suggested codes are stored with
`declared=False` so the network can confirm or correct them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import cache

from veilleuse.core.models import Actor, CpvInterest, Notice
from veilleuse.matching import cpv as cpvmod
from veilleuse.matching.lexical import Lexicon, stems

MIN_LABEL_SIMILARITY = 0.25  # rarity-weighted cosine from which a label is taken as evidence
MAX_SUGGESTED = 5


@cache
def _label_index() -> tuple[list[str], list[frozenset[str]], Lexicon]:
    """Codes at class level or finer (4+ significant digits) with their label stems."""
    codes, sets = [], []
    for code, label in cpvmod.cpv_labels().items():
        if len(code.rstrip("0")) >= 4:
            codes.append(code)
            sets.append(stems(label))
    return codes, sets, Lexicon.from_stem_sets(sets)


def codes_from_description(description: str, limit: int = MAX_SUGGESTED) -> list[str]:
    """The CPV codes whose French labels best share the description's rarer words."""
    own = stems(description)
    if not own:
        return []
    codes, sets, lexicon = _label_index()
    scores = lexicon.cosine_matrix([own], sets)[0]
    ranked = sorted(
        (i for i in range(len(codes)) if scores[i] >= MIN_LABEL_SIMILARITY),
        key=lambda i: (-scores[i], codes[i]),
    )
    out: list[str] = []
    for i in ranked:
        if not any(
            codes[i].startswith(c.rstrip("0")) or c.startswith(codes[i].rstrip("0")) for c in out
        ):
            out.append(codes[i])  # one code per branch: no class and its own category twice
        if len(out) == limit:
            break
    return out


def codes_from_awards(
    actor: Actor, awards: Iterable[Notice], limit: int = MAX_SUGGESTED
) -> list[str]:
    """CPV codes of contracts awarded to the actor's SIRET, most frequent first."""
    if not actor.siret:
        return []
    counts: Counter[str] = Counter()
    for notice in awards:
        if any(a.siret == actor.siret for a in notice.awardees):
            counts.update(notice.all_cpv())
    return [code for code, _ in counts.most_common(limit)]


def with_suggested_cpv(actor: Actor, awards: Iterable[Notice] = ()) -> Actor:
    """The actor unchanged when it declared codes; else with suggested ones (declared=False)."""
    if actor.cpv_interests:
        return actor
    codes = list(
        dict.fromkeys(codes_from_awards(actor, awards) + codes_from_description(actor.description))
    )
    if not codes:
        return actor
    suggested = [CpvInterest(code=c, declared=False) for c in codes[:MAX_SUGGESTED]]
    return actor.model_copy(update={"cpv_interests": suggested})
