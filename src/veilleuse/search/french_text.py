"""One French text analysis for both stores: the same terms are indexed and searched everywhere.

Elasticsearch's French analyzer lives in a module its test distribution lacks, and SQLite's FTS5
knows no French at all; so the analysis happens here, in Python, and both stores receive the
analysed terms as space-separated words (FTS5 `unicode61`, Elasticsearch `whitespace`). The two
stores then rank from the same terms, and what the tests exercise is the real analysis.

Steps, in order: typographic apostrophes and ligatures made plain, elided articles dropped
(l', d', qu'…), lower case, accents folded, French stop words dropped, Snowball French stem
(PyStemmer). Folding comes before stemming so that a query typed without accents ("activite")
meets the accented text ("activité").

Two bridges add terms beside the words:
- synonym groups (`data/french_synonyms.yaml`, each with its sources): a notice that says any
  member of a group is indexed with the group's term too, and a query phrase that is a member
  becomes that term, so "SIAE" finds "insertion par l'activité économique";
- the French CPV labels of a notice's codes (and its lots' codes), analysed the same way, in a
  field of their own that ranks lower: the bridge between a query's words and the codes.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import Stemmer
import yaml

from veilleuse.core.cpv_labels import cpv_label
from veilleuse.core.models import Notice
from veilleuse.core.normalise import fold

_ELISION = re.compile(r"\b(?:qu|jusqu|lorsqu|puisqu|quoiqu|presqu|[cdjlmnst])'", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+")
#: the analysed fields of a notice and their weights in BM25: Elasticsearch's field boosts and
#: the embedded store's FTS5 column weights, so that both rank alike
FRENCH_FIELDS = {"fr_title": 3.0, "fr_body": 1.0, "fr_cpv": 0.5}
#: prefix of a synonym group's term: letters only, so that every tokenizer keeps it whole
GROUP_PREFIX = "qsyn"

# French function words (articles, pronouns, prepositions, conjunctions, common auxiliaries),
# folded. Domain words ("marché", "lot", "aide") are kept: they discriminate in this corpus.
_STOP_WORDS = """
    a ai aie aient aies ait as au aucun aucune aupres aussi autre autres aux avait avec avez avoir
    avons c ca ce ceci cela celle celles celui ces cet cette ceux chaque chez comme d dans de des
    donc dont du elle elles en entre es est et etaient etait ete etre eu eux fait faites il ils
    j je l la le les leur leurs lui m ma mais me meme memes mes moi mon n ne ni nos notre nous
    on ont ou par pas peu peut plus pour pourquoi qu quand que quel quelle quelles quels qui s sa
    sans se sera ses si soit sommes son sont sous suis sur t ta te tes toi ton tous tout toute
    toutes tres tu un une unes uns vers via vos votre vous y
"""
STOP = frozenset(_STOP_WORDS.split())


class _Stemmers(threading.local):
    """PyStemmer objects are not thread-safe: one per thread."""

    def __init__(self) -> None:
        self.french = Stemmer.Stemmer("french")


_stemmers = _Stemmers()


@lru_cache(maxsize=1 << 16)
def stem(folded_word: str) -> str:
    """The Snowball French stem of a folded word (numbers and codes are kept as they are)."""
    if folded_word.isdigit():
        return folded_word
    return str(_stemmers.french.stemWord(folded_word))


def words(text: str) -> list[str]:
    """The folded words of `text` that carry meaning: elisions and stop words removed."""
    plain = text.replace("\u2019", "'").replace("\u02bc", "'").replace("œ", "oe").replace("Œ", "OE")
    plain = _ELISION.sub(" ", plain)
    return [w for w in _WORD.findall(fold(plain)) if w not in STOP]


def terms(text: str) -> list[str]:
    """The analysed terms of `text`, in order (duplicates kept: they weigh in BM25)."""
    return [stem(w) for w in words(text)]


# --------------------------------------------------------------------------- synonyms

#: raised when the analysis itself changes (steps, stop words): indexed terms must be rebuilt
ANALYSIS_VERSION = 1


def _synonyms_text() -> str:
    return (
        resources.files("veilleuse.search")
        .joinpath("data/french_synonyms.yaml")
        .read_text(encoding="utf-8")
    )


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """Identifies the analysis and the synonym table: a store whose terms were indexed under
    another fingerprint re-indexes them (the embedded store does it when it opens)."""
    digest = hashlib.sha256(f"{ANALYSIS_VERSION}\n{_STOP_WORDS}\n{_synonyms_text()}".encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class SynonymGroup:
    id: str
    label: str
    phrases: tuple[tuple[str, ...], ...]  # each member, analysed
    members: tuple[str, ...]  # as written in the table
    sources: tuple[str, ...]

    @property
    def term(self) -> str:
        return GROUP_PREFIX + self.id


def _group(entry: dict[str, Any]) -> SynonymGroup:
    group_id = str(entry["id"])
    if not group_id.isalpha() or not group_id.islower():
        raise ValueError(f"french_synonyms.yaml: group id {group_id!r} must be lower-case letters")
    members = tuple(str(m) for m in entry["members"])
    phrases = tuple(p for p in (tuple(terms(m)) for m in members) if p)
    return SynonymGroup(
        group_id,
        str(entry.get("label", group_id)),
        phrases,
        members,
        tuple(str(s) for s in entry.get("sources", [])),
    )


@lru_cache(maxsize=1)
def synonym_groups() -> tuple[SynonymGroup, ...]:
    """The synonym table shipped with the package (data, with its sources)."""
    text = (
        resources.files("veilleuse.search")
        .joinpath("data/french_synonyms.yaml")
        .read_text(encoding="utf-8")
    )
    return tuple(_group(entry) for entry in yaml.safe_load(text)["groups"])


@lru_cache(maxsize=1)
def _phrase_index() -> dict[str, list[tuple[tuple[str, ...], SynonymGroup]]]:
    """first term → (phrase, group), longest phrases first."""
    index: dict[str, list[tuple[tuple[str, ...], SynonymGroup]]] = {}
    for group in synonym_groups():
        for phrase in group.phrases:
            index.setdefault(phrase[0], []).append((phrase, group))
    for entries in index.values():
        entries.sort(key=lambda e: -len(e[0]))
    return index


def groups_in(analysed: Sequence[str]) -> list[SynonymGroup]:
    """The synonym groups one of whose members occurs in the analysed terms."""
    found: dict[str, SynonymGroup] = {}
    index = _phrase_index()
    for i, term in enumerate(analysed):
        for phrase, group in index.get(term, ()):
            if tuple(analysed[i : i + len(phrase)]) == phrase:
                found.setdefault(group.id, group)
    return list(found.values())


# --------------------------------------------------------------------------- what is indexed


@dataclass(frozen=True)
class AnalysedNotice:
    """The three analysed fields of a notice, as space-separated terms."""

    title: str
    body: str
    cpv: str


def _notice_body(notice: Notice) -> str:
    parts = [notice.description or "", notice.buyer.name or ""]
    for lot in notice.lots:
        parts += [lot.title or "", lot.description or ""]
    return " ".join(p for p in parts if p)


def cpv_terms(codes: Iterable[str]) -> list[str]:
    """The analysed French labels of CPV codes (unknown codes add nothing)."""
    out: list[str] = []
    for code in dict.fromkeys(codes):
        label = cpv_label(code)
        if label:
            out += terms(label)
    return out


def analyse_notice(notice: Notice) -> AnalysedNotice:
    """Title and body terms (with the synonym groups they hold, in the body) and CPV-label terms."""
    title = terms(notice.title or "")
    body = terms(_notice_body(notice))
    groups = groups_in(title) + groups_in(body)
    codes = [*notice.cpv, *(c for lot in notice.lots for c in lot.cpv)]
    return AnalysedNotice(
        " ".join(title),
        " ".join([*body, *dict.fromkeys(g.term for g in groups)]),
        " ".join(cpv_terms(codes)),
    )


# --------------------------------------------------------------------------- what is searched


@dataclass(frozen=True)
class Clause:
    """One thing a query asks for: a term, or a synonym group; the last word may be a prefix.

    `word` is what the person typed (folded), for explanations; `prefix`, when set, is matched
    as a prefix of indexed terms, so that a word being typed ("nett") still finds "nettoyage".
    """

    term: str
    word: str
    group: SynonymGroup | None = None
    prefix: str | None = None


MAX_COMBINED = 8  # clauses beyond this are required (a query that long is a phrase)


def relaxations(count: int) -> list[int]:
    """How many of a query's `count` clauses a notice must have, tried in turn until some
    notice has them: all, then one fewer… down to half (one of one or two). A search for three
    words never falls to notices that have just one of them."""
    return list(range(count, max(1, (count + 1) // 2) - 1, -1)) if count else []


def match_expression(clauses: Sequence[Clause], need: int | None = None) -> str | None:
    """An FTS5 MATCH over the analysed columns: at least `need` of the clauses (default all).
    A clause is its term, or its term or the typed prefix. Terms are quoted: nothing a person
    types can be read as FTS5 syntax."""
    parts = []
    for clause in clauses:
        term = f'"{clause.term}"'
        parts.append(f'({term} OR "{clause.prefix}"*)' if clause.prefix else term)
    if not parts:
        return None
    need = len(parts) if need is None else need
    if need >= len(parts):
        return " AND ".join(parts)
    if need <= 1:
        return " OR ".join(parts)
    optional = parts[:MAX_COMBINED]
    required = parts[MAX_COMBINED:]
    groups = [
        "(" + " AND ".join([*combo, *required]) + ")"
        for combo in itertools.combinations(optional, min(need, len(optional)))
    ]
    return " OR ".join(groups)


def query_clauses(text: str) -> list[Clause]:
    """The clauses of a query, synonym phrases first (longest match), then single terms."""
    folded = words(text)
    analysed = [stem(w) for w in folded]
    index = _phrase_index()
    clauses: list[Clause] = []
    i = 0
    while i < len(analysed):
        for phrase, group in index.get(analysed[i], ()):
            if tuple(analysed[i : i + len(phrase)]) == phrase:
                clauses.append(Clause(group.term, " ".join(folded[i : i + len(phrase)]), group))
                i += len(phrase)
                break
        else:
            clauses.append(Clause(analysed[i], folded[i]))
            i += 1
    unique = list({c.term: c for c in clauses}.values())
    if unique and unique[-1].group is None and not text[-1:].isspace():
        last = unique[-1]
        unique[-1] = Clause(last.term, last.word, None, last.word if len(last.word) >= 3 else None)
    return unique
