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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from veilleuse.config.settings import MatchingSettings
from veilleuse.core.models import Actor, Notice, compute_content_hash


def matching_version(settings: MatchingSettings, model: str) -> str:
    """A short hash of what every score depends on besides the two sides."""
    blob = json.dumps([settings.model_dump(mode="json"), model], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def notice_key(notice: Notice, version: str) -> str:
    """The notice's content hash (computed when the notice carries none) under `version`."""
    content = notice.content_hash or compute_content_hash(notice)
    return hashlib.sha256(f"{version}:{content}".encode()).hexdigest()


def actor_key(actor: Actor, version: str) -> str:
    """A hash of the actor's whole profile, as matched, under `version`."""
    blob = json.dumps(actor.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(f"{version}:{blob}".encode()).hexdigest()


@dataclass
class MatchPlan:
    """What one run scores. `full`: nothing was scored before (or a full run was asked)."""

    full: bool
    new_notices: list[Notice]  # new or changed: scored against every actor
    other_notices: list[Notice]  # open and unchanged: scored against changed actors only
    changed_actors: list[Actor]
    notice_keys: dict[str, str]
    actor_keys: dict[str, str]

    @property
    def pairs(self) -> int:
        """How many actor × notice pairs the run looks at (before any filter)."""
        actors = len(self.actor_keys)
        return actors * len(self.new_notices) + len(self.changed_actors) * len(self.other_notices)


def plan_run(
    notices: Sequence[Notice],
    actors: Sequence[Actor],
    version: str,
    scored_notices: Mapping[str, str],
    scored_actors: Mapping[str, str],
    *,
    full: bool = False,
) -> MatchPlan:
    """Split open notices and active actors by whether their key changed since last scored."""
    notice_keys = {n.uid: notice_key(n, version) for n in notices}
    actor_keys = {a.id: actor_key(a, version) for a in actors}
    full = full or not scored_actors
    if full:
        return MatchPlan(True, list(notices), [], list(actors), notice_keys, actor_keys)
    new = [n for n in notices if scored_notices.get(n.uid) != notice_keys[n.uid]]
    fresh = {n.uid for n in new}
    other = [n for n in notices if n.uid not in fresh]
    changed = [a for a in actors if scored_actors.get(a.id) != actor_keys[a.id]]
    return MatchPlan(False, new, other, changed, notice_keys, actor_keys)
