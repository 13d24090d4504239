"""Which pairs a weekly run must score: new or changed notices × every actor, changed actors ×
the other open notices.

A pair's score depends on the notice, the actor, the matching settings and the embedding model
(and, through word rarity, a little on the corpus). Each notice and actor is therefore keyed by
a hash of its content *and* of a matching version (settings + model): when neither side nor the
version changed since the pair was last scored, the stored match stands. Changing a weight or
the model changes the version, so the next run scores everything again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from veilleuse.config.settings import MatchingSettings
from veilleuse.core.deadlines import is_past, start_of_day
from veilleuse.core.models import Actor, Notice, compute_content_hash

FULL_SHARE = 0.9  # measured: at 90 % of a full run's pairs, an incremental one cost 0.93


def matching_version(settings: MatchingSettings, model: str) -> str:
    """A short hash of what every score depends on besides the two sides."""
    blob = json.dumps([settings.model_dump(mode="json"), model], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def notice_key(notice: Notice, version: str, today: date | None = None) -> str:
    """The notice's content hash (computed when the notice carries none) under `version`, and
    which of its lots were closed when `today` began (the key of a notice without any is the
    same as before lots counted)."""
    content = notice.content_hash or compute_content_hash(notice)
    if today is not None and notice.lots:
        start = start_of_day(today)
        closed = [i for i, lot in enumerate(notice.lots) if is_past(lot.deadline, start)]
        if closed:
            content = f"{content}:closed-lots={closed}"
    return hashlib.sha256(f"{version}:{content}".encode()).hexdigest()


def actor_key(actor: Actor, version: str, extra: str = "") -> str:
    """A hash of the actor's whole profile, as matched, and of `extra` (its territory,
    `actor_extras`), under `version`."""
    blob = json.dumps(actor.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    if extra:
        blob = f"{blob}:{extra}"
    return hashlib.sha256(f"{version}:{blob}".encode()).hexdigest()


def actor_extras(territories: Mapping[str, str]) -> dict[str, str]:
    """Actor id → what besides its profile decides what a run stores for it: its territory
    (teams are suggested within one). Rejections are not in it: feedback is only ever added,
    and a rejected match of a full list is refilled (`actors_to_refill`)."""
    return {actor_id: f"territory={t}" for actor_id, t in territories.items()}


@dataclass
class MatchPlan:
    """What one run scores. `full`: nothing was scored before (or a full run was asked)."""

    full: bool
    new_notices: list[Notice]  # new or changed: scored against every actor
    other_notices: list[Notice]  # open and unchanged: scored against changed actors only
    # changed actors are scored against every open notice (new and other) in one pass
    changed_actors: list[Actor]
    notice_keys: dict[str, str]
    actor_keys: dict[str, str]
    actors: list[Actor]  # every active actor
    refilled: int = 0  # of `changed_actors`, unchanged ones whose full list lost a match

    def with_refilled(self, actors: Collection[str]) -> MatchPlan:
        """The plan where these unchanged actors are scored again like changed ones."""
        changed = {a.id for a in self.changed_actors}
        more = [a for a in self.actors if a.id in actors and a.id not in changed]
        return replace(self, changed_actors=self.changed_actors + more, refilled=len(more))

    def as_full(self) -> MatchPlan:
        """The full run of the same notices and actors."""
        notices = self.new_notices + self.other_notices
        return replace(self, full=True, new_notices=notices, other_notices=[],
                       changed_actors=list(self.actors), refilled=0)  # fmt: skip

    @property
    def cheaper_in_full(self) -> bool:
        """Whether the run would look at more than `FULL_SHARE` of a full run's pairs: it then
        costs as much as a full run (its bookkeeping eats the rest), which also brings word
        rarity up to date."""
        return self.pairs > FULL_SHARE * len(self.actor_keys) * len(self.notice_keys)

    @property
    def pairs(self) -> int:
        """How many actor × notice pairs the run looks at (before any filter): new notices ×
        the unchanged actors, every open notice × the changed (and refilled) ones."""
        changed = len(self.changed_actors)
        unchanged = len(self.actor_keys) - changed
        return unchanged * len(self.new_notices) + changed * len(self.notice_keys)


def plan_run(
    notices: Sequence[Notice],
    actors: Sequence[Actor],
    version: str,
    scored_notices: Mapping[str, str],
    scored_actors: Mapping[str, str],
    *,
    full: bool = False,
    today: date | None = None,
    extras: Mapping[str, str] | None = None,
) -> MatchPlan:
    """Split open notices and active actors by whether their key changed since last scored."""
    extras = extras or {}
    notice_keys = {n.uid: notice_key(n, version, today) for n in notices}
    actor_keys = {a.id: actor_key(a, version, extras.get(a.id, "")) for a in actors}
    everyone = list(actors)
    full = full or not scored_actors
    if full:
        return MatchPlan(True, list(notices), [], everyone, notice_keys, actor_keys, everyone)
    new = [n for n in notices if scored_notices.get(n.uid) != notice_keys[n.uid]]
    fresh = {n.uid for n in new}
    other = [n for n in notices if n.uid not in fresh]
    changed = [a for a in actors if scored_actors.get(a.id) != actor_keys[a.id]]
    return MatchPlan(False, new, other, changed, notice_keys, actor_keys, everyone)


def actors_to_refill(
    plan: MatchPlan,
    stored: Iterable[tuple[str, str, float]],
    rejected: Collection[tuple[str, str]],
    top_k: int,
) -> set[str]:
    """Unchanged actors whose stored list was full (`top_k` matches, so better-than-nothing
    notices below it were left out) and loses one this run: its notice is no longer open, was
    changed (scored again, it may fall out) or the pair was rejected. An actor with fewer than
    `top_k` holds every notice that reaches the minimum score: losing one hides nothing."""
    if plan.full:
        return set()
    changed = {a.id for a in plan.changed_actors}
    kept_notices = {n.uid for n in plan.other_notices}
    held: dict[str, int] = {}
    kept: dict[str, int] = {}
    for actor_id, uid, _ in stored:
        if actor_id in changed or actor_id not in plan.actor_keys:
            continue
        held[actor_id] = held.get(actor_id, 0) + 1
        if uid in kept_notices and (actor_id, uid) not in rejected:
            kept[actor_id] = kept.get(actor_id, 0) + 1
    return {a for a, count in held.items() if count >= top_k and kept.get(a, 0) < count}


def touched_notices(
    plan: MatchPlan,
    before: Iterable[tuple[str, str, float]],
    after: Iterable[tuple[str, str, float]],
) -> set[str]:
    """Notices whose grouped-bid suggestion may change after this run: new or changed ones,
    those whose stored (actor, score) pairs differ before and after it, and those a changed or
    refilled actor held or holds (its profile weighs in the team)."""
    changed = {a.id for a in plan.changed_actors}
    old, new = set(before), set(after)
    touched = {n.uid for n in plan.new_notices} | {uid for _, uid, _ in old ^ new}
    return touched | {uid for actor_id, uid, _ in old | new if actor_id in changed}
