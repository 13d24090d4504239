"""Why a result came up, in French, and a relevance a person can read.

A hit carries its support (`Hit.lexical`, `Hit.similarity`) and a 0–100 `Hit.relevance`; this
module words them: which words of the query the notice holds, which were found through a
synonym group or through the French label of one of its CPV codes, and how close its meaning is.
The page, the API and `veilleuse search --explain` all show these sentences.
"""

from __future__ import annotations

from veilleuse.core.cpv_labels import cpv_label
from veilleuse.search.french_text import Clause, analyse_notice, query_clauses, terms
from veilleuse.search.store import Hit

LABELS = ((75, "très pertinent"), (50, "pertinent"), (0, "proche"))


def relevance_label(relevance: int | None) -> str | None:
    """« très pertinent » (75–100), « pertinent » (50–74) or « proche » (under 50)."""
    if relevance is None:
        return None
    return next(label for floor, label in LABELS if relevance >= floor)


def _french_number(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def _cpv_of(notice_codes: list[str], term: str) -> str | None:
    """The first code of the notice whose French label holds the analysed term."""
    for code in notice_codes:
        label = cpv_label(code)
        if label and term in terms(label):
            return f"{code[:8]} {label}"
    return None


def explain(query: str, hit: Hit) -> list[str]:
    """The reasons a hit came up for `query`, most telling first (empty for a listing)."""
    analysed = analyse_notice(hit.notice)
    words = set(analysed.title.split()) | set(analysed.body.split())
    cpv_words = set(analysed.cpv.split())
    codes = [*hit.notice.cpv, *(c for lot in hit.notice.lots for c in lot.cpv)]
    found, synonyms, through_cpv = [], [], []
    for clause in query_clauses(query):
        if clause.term in words or _prefix_in(clause, words):
            if clause.group is not None:
                synonyms.append(clause.group.label)
            else:
                found.append(f"« {clause.word} »")
        elif clause.term in cpv_words:
            code = _cpv_of(codes, clause.term)
            through_cpv.append(f"« {clause.word} » (CPV {code})" if code else f"« {clause.word} »")
    reasons = []
    if found:
        reasons.append("Mots trouvés : " + ", ".join(found))
    if synonyms:
        reasons.append("Par synonymes : " + " ; ".join(synonyms))
    if through_cpv:
        reasons.append("Par le code CPV : " + ", ".join(through_cpv))
    if hit.similarity is not None:
        reasons.append(f"Proche par le sens (similarité {_french_number(hit.similarity)})")
    return reasons


def _prefix_in(clause: Clause, words: set[str]) -> bool:
    return clause.prefix is not None and any(w.startswith(clause.prefix) for w in words)
