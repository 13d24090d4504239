"""French words for the matcher: light stems, keywords and a rarity-weighted stem overlap.

The embedding model is English-trained and misses French paraphrase, so the matcher also compares
the folded word stems an actor and a notice share, each weighted by how rare it is in the run.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence, Set
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import repeat

import numpy as np

from veilleuse.core import normalise
from veilleuse.core.models import Actor, Notice
from veilleuse.matching import cpv as cpvmod

_STOP_WORDS = """
    a au aux avec ce ces cet cette dans de des du elle en est et etre il ils la le les leur leurs
    lui mais me meme nos notre nous ou par pas plus pour qu que qui sa se ses son sur ta te tes
    ton tu un une vos votre vous ainsi afin apres avant chez comme dont entre hors lors selon sans
    sous tout tous toute toutes tres autre autres aussi deux trois sont ont fait faire peut
    lot lots marche marches objet present presente consultation relatif relative relatifs
    prestation prestations accord accords cadre cadres commande commandes bons bon ville
    concerne compter partir cours annee annees mission missions type divers diverses nos
    aupres notamment nouveau nouvelle nouveaux nouvelles exemple moins parmi non etc des celle
    ceux cela ici chaque plusieurs permet permettre via egalement ceci leurs quelle quel depuis
"""
_STOP = frozenset(_STOP_WORDS.split())
_SUFFIXES = (
    "issements", "issement", "ations", "ation", "ements", "ement", "ments", "ment", "euses",
    "euse", "eurs", "eur", "ives", "ive", "ifs", "iques", "ique", "ages", "age", "ees", "ee",
    "es", "er", "ez", "e", "s", "x",
)  # fmt: skip
_WORD = re.compile(r"[^\W_]+")
LEXICAL_FULL = 0.3  # rarity-weighted cosine of stem sets that counts as a full lexical match


def fold(text: str) -> str:
    """`core.normalise.fold` with the œ ligature spelt out, so "œuvre" and "oeuvre" share a stem."""
    return normalise.fold(text.replace("œ", "oe").replace("Œ", "OE"))


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A light French stem: the longest known suffix off, keeping at least 4 letters."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=1 << 14)
def _keywords(text: str) -> tuple[tuple[str, str], ...]:
    out: dict[str, str] = {}
    for word in _WORD.findall(text.lower()):
        key = _word_stem(word)
        if key is not None:
            out.setdefault(key, word)
    return tuple(out.items())


@lru_cache(maxsize=1 << 16)
def _word_stem(word: str) -> str | None:
    """The stem of one lower-case word, None for a stop word, a number or under 3 letters."""
    folded = fold(word)
    if len(folded) >= 3 and folded not in _STOP and not folded.isdigit():
        return stem(folded)
    return None


def keywords(text: str) -> dict[str, str]:
    """stem → first surface word, stop words and words under 3 letters left out."""
    return dict(_keywords(text))


@lru_cache(maxsize=1 << 14)
def stems(text: str) -> frozenset[str]:
    """The set of keyword stems of a text (cached: the same texts come back for every actor)."""
    return frozenset(s for s, _ in _keywords(text))


@dataclass
class Lexicon:
    """Rarity of each stem over this run's notices: a word every notice uses proves nothing."""

    weights: dict[str, float]
    default: float = 1.0
    _norms: dict[frozenset[str], float] = field(default_factory=dict, repr=False)
    _squares: dict[str, float] = field(default_factory=dict, repr=False)

    @classmethod
    def from_texts(cls, texts: Sequence[str]) -> Lexicon:
        return cls.from_stem_sets([stems(text) for text in texts])

    @classmethod
    def from_stem_sets(cls, sets: Sequence[Set[str]]) -> Lexicon:
        """The same, from stem sets already computed (the matcher needs them anyway)."""
        df: dict[str, int] = {}
        for items in sets:
            for s in items:
                df[s] = df.get(s, 0) + 1
        norm = math.log(1 + len(sets)) or 1.0
        return cls({s: math.log(1 + len(sets) / c) / norm for s, c in df.items()})

    def weight(self, stem_: str) -> float:
        return self.weights.get(stem_, self.default)

    def _square_table(self) -> dict[str, float]:
        """`weight(s) ** 2` of every known stem, computed once (the same values)."""
        if not self._squares:
            self._squares.update((s, w**2) for s, w in self.weights.items())
        return self._squares

    def _norm(self, items: Set[str]) -> float:
        key = items if isinstance(items, frozenset) else frozenset(items)
        found = self._norms.get(key)
        if found is None:
            squares, missing = self._square_table(), self.default**2
            found = math.sqrt(sum(map(squares.get, items, repeat(missing, len(items)))))
            self._norms[key] = found
        return found

    def similarity(self, left: Set[str], right: Set[str]) -> float:
        """Rarity-weighted cosine of two stem sets, scaled so that LEXICAL_FULL counts as 1."""
        shared = left & right
        if not shared:
            return 0.0
        squares, missing = self._square_table(), self.default**2
        dot = sum(map(squares.get, shared, repeat(missing, len(shared))))
        return min(1.0, dot / (self._norm(left) * self._norm(right)) / LEXICAL_FULL)

    def similarity_matrix(self, left: Sequence[Set[str]], right: Sequence[Set[str]]) -> np.ndarray:
        """(len(left), len(right)) `similarity` values via one weighted indicator product."""
        cos = self.cosine_matrix(left, right)
        return np.clip(cos / LEXICAL_FULL, 0.0, 1.0).astype(np.float32)

    def cosine_matrix(self, left: Sequence[Set[str]], right: Sequence[Set[str]]) -> np.ndarray:
        """The rarity-weighted cosines themselves, unscaled and unclipped (rankings need no cap)."""
        vocab = sorted(set().union(*left) & set().union(*right)) if left and right else []
        index = {s: i for i, s in enumerate(vocab)}
        lm = np.zeros((len(left), len(vocab)), np.float32)
        rm = np.zeros((len(right), len(vocab)), np.float32)
        for matrix, sets in ((lm, left), (rm, right)):
            for row, items in enumerate(sets):
                for s in items & index.keys():
                    matrix[row, index[s]] = self.weight(s)
        norms = np.outer([self._norm(x) for x in left], [self._norm(x) for x in right])
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(norms > 0, (lm @ rm.T) / norms, 0.0)


def notice_words(notice: Notice) -> str:
    """The text the lexical component reads: title, description and every lot."""
    parts = [notice.title, notice.description or ""]
    parts += [f"{lot.title or ''} {lot.description or ''}" for lot in notice.lots]
    return " ".join(parts)


def actor_words(actor: Actor) -> str:
    """The text the lexical component reads for an actor: its description and CPV labels."""
    labels = [cpvmod.cpv_label(c) or "" for c in actor.cpv_codes()]
    return " ".join([actor.description, *labels])
