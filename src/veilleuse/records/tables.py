"""Tables of the records database: actors, matches, feedback, the grouped-bid register and the
interests actors express, send log, source runs and the cross-source duplicate rates computed with
them.

Notices live in the notice store; everything a person or a run decides lives here, so it survives
a re-index. Schema changes go through Alembic migrations in `records/migrations/`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class ActorRow(Base):
    __tablename__ = "actors"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    siret: Mapped[str | None] = mapped_column(String(14), index=True)
    name: Mapped[str] = mapped_column(String(300))
    family: Mapped[str] = mapped_column(String(32))
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MatchRow(Base):
    """The latest match of an actor and a notice (re-runs update it in place)."""

    __tablename__ = "matches"
    actor_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # the key starts with the actor: one notice's matches are read through this index
    notice_uid: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)
    score: Mapped[float] = mapped_column(Float)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MatchStateRow(Base):
    """The hash a notice (kind "notice": content hash) or an actor (kind "actor": profile hash)
    was last scored at by the match stage, with the matching version folded in."""

    __tablename__ = "match_state"
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    ident: Mapped[str] = mapped_column(String(200), primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MatchRunRow(Base):
    """What one match run scored: all actors × open notices (full) or only what changed."""

    __tablename__ = "match_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    mode: Mapped[str] = mapped_column(String(16))
    actors: Mapped[int] = mapped_column(Integer)
    notices: Mapped[int] = mapped_column(Integer)
    changed_actors: Mapped[int] = mapped_column(Integer)
    new_notices: Mapped[int] = mapped_column(Integer)
    matches: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)


class SuggestionRow(Base):
    __tablename__ = "suggestions"
    notice_uid: Mapped[str] = mapped_column(String(200), primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FeedbackRow(Base):
    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor_id: Mapped[str] = mapped_column(String(64), index=True)
    notice_uid: Mapped[str] = mapped_column(String(200), index=True)
    target: Mapped[str] = mapped_column(String(16), default="match")  # match | suggestion
    relevant: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str | None] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GroupedBidRow(Base):
    """A grouped bid of the register (`core.bids.GroupedBid`); members and history beside it.

    `stage` only changes through `records.grouped_bids.move_grouped_bid`, which checks the rule
    of `core.grouped_bids` and writes the change only if the stage it checked is still there.
    """

    __tablename__ = "grouped_bids"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16), server_default="tender")  # tender | funding
    notice_uid: Mapped[str] = mapped_column(String(200), index=True)
    territory_id: Mapped[str | None] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(500), server_default="")
    stage: Mapped[str] = mapped_column(String(16), index=True)
    form: Mapped[str | None] = mapped_column(String(16))  # conjoint | solidaire
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    documents: Mapped[list[Any]] = mapped_column(JSON, server_default="[]")  # URLs
    notes: Mapped[str | None] = mapped_column(Text)
    amount_won: Mapped[float | None] = mapped_column(Float)
    currency: Mapped[str | None] = mapped_column(String(3))
    loss_reason: Mapped[str | None] = mapped_column(String(32))
    loss_detail: Mapped[str | None] = mapped_column(Text)
    from_suggestion: Mapped[bool] = mapped_column(Boolean, server_default=false())
    #: `core.bids.OutcomeProposal` as JSON, waiting for staff; null when none
    proposal: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: uids of award notices staff said were not this bid's (never proposed again)
    dismissed_awards: Mapped[list[Any]] = mapped_column(JSON, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GroupedBidMemberRow(Base):
    """An actor of a grouped bid: its role, its lots and its share of the amount won (%)."""

    __tablename__ = "grouped_bid_members"
    bid_id: Mapped[int] = mapped_column(
        ForeignKey("grouped_bids.id", ondelete="CASCADE"), primary_key=True
    )
    # a member's bids are read through this index (the key starts with the bid)
    actor_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # order in the team, lead first
    role: Mapped[str] = mapped_column(String(16))  # lead | cotraitant | sous_traitant
    lots: Mapped[list[Any]] = mapped_column(JSON)
    share_percent: Mapped[float | None] = mapped_column(Float)


class GroupedBidEventRow(Base):
    """One change of stage of a grouped bid (the creation has no `from_stage`)."""

    __tablename__ = "grouped_bid_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("grouped_bids.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str | None] = mapped_column(String(120))


class InterestRow(Base):
    """An actor said it is interested in a notice (once per actor × notice)."""

    __tablename__ = "interests"
    __table_args__ = (UniqueConstraint("actor_id", "notice_uid"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor_id: Mapped[str] = mapped_column(String(64), index=True)
    notice_uid: Mapped[str] = mapped_column(String(200), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: the notice's content hash when the interest was said (None before revision 0006): a
    #: reminder says « modifié » when the notice changed since
    content_hash: Mapped[str | None] = mapped_column(String(64))


class DigestRow(Base):
    """One digest e-mail: composed and stored as 'pending' before sending, 'sent' after.

    A crash between the two leaves it pending; the next run re-sends the same stored message
    (same Message-ID) instead of composing a new one, so no item goes out in two digests.
    """

    __tablename__ = "digests"
    digest_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    actor_id: Mapped[str] = mapped_column(String(64), index=True)
    period_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: pending | sent | failed (resent next run) | undeliverable (refused for good: not resent
    #: until an officer clears `address`)
    status: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)  # the whole RFC 5322 message
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: digest (the weekly one) | reminder | curated (the network's digest) | introduction
    kind: Mapped[str] = mapped_column(String(16), server_default="digest")
    #: sends tried, over every run
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    #: the recipient a mail server refused for good (status `undeliverable`)
    address: Mapped[str | None] = mapped_column(String(320))


class DigestItemRow(Base):
    """The send log: a notice is announced to an actor at most once, enforced by the key."""

    __tablename__ = "digest_items"
    __table_args__ = (UniqueConstraint("actor_id", "notice_uid", name="uq_digest_item"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor_id: Mapped[str] = mapped_column(String(64))
    notice_uid: Mapped[str] = mapped_column(String(200))
    digest_id: Mapped[str] = mapped_column(ForeignKey("digests.digest_id"), index=True)


class SourceRunRow(Base):
    __tablename__ = "source_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(80), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))  # COMPLETE | DEGRADED | FAILED
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[list[Any]] = mapped_column(JSON)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)


class SourceStateRow(Base):
    """Per-source incremental state: watermark and HTTP validators."""

    __tablename__ = "source_state"
    source: Mapped[str] = mapped_column(String(80), primary_key=True)
    watermark: Mapped[str | None] = mapped_column(String(64))
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DuplicateRateRow(Base):
    """Share of one source's notices also published by another, computed by the index stage.

    Replaced as a whole at the end of each index run (`records.sources.replace_duplicate_rates`),
    so the sources page reads a few rows instead of scanning every stored notice.
    """

    __tablename__ = "duplicate_rates"
    left: Mapped[str] = mapped_column(String(80), primary_key=True)  # the source counted
    right: Mapped[str] = mapped_column(String(80), primary_key=True)  # where its notices recur
    rate: Mapped[float] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --------------------------------------------------------------------------- web app (issue 10)


class TerritoryRow(Base):
    """A territory served by the deployment (an ESS plan's area): départements and/or communes."""

    __tablename__ = "territories"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    departments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    communes: Mapped[list[Any]] = mapped_column(JSON, default=list)  # INSEE codes
    epcis: Mapped[list[Any]] = mapped_column(JSON, default=list)  # SIREN of EPCI
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ActorTerritoryRow(Base):
    """Which served territory an actor belongs to (one each; notices are shared by all)."""

    __tablename__ = "actor_territories"
    actor_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("actors.id", ondelete="CASCADE"), primary_key=True
    )
    territory_id: Mapped[str] = mapped_column(String(64), ForeignKey("territories.id"), index=True)


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))  # admin, officer, staff, committee, actor
    password_hash: Mapped[str] = mapped_column(String(200))
    territory_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("territories.id"), index=True
    )
    actor_id: Mapped[str | None] = mapped_column(String(64), index=True)  # role actor only
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LoginAttemptRow(Base):
    """Failed logins, per e-mail and per client address, for throttling."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class ApiTokenRow(Base):
    """A personal API token: only its SHA-256 is stored; the clear token is shown once."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # shown to recognise a token
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SavedSearchRow(Base):
    """A stored search (the query string of the search page) with its alert settings."""

    __tablename__ = "saved_searches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    territory_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("territories.id"))
    name: Mapped[str] = mapped_column(String(200))
    query: Mapped[str] = mapped_column(Text)  # URL query string, the same as the page and API
    frequency: Mapped[str] = mapped_column(String(16), default="none")  # none, daily, weekly
    #: alerts carry only notices published after this instant (moved when an alert is sent)
    sent_up_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    unsubscribe_token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AlertItemRow(Base):
    """A notice announced by a saved search's alert: never twice (unique search × notice)."""

    __tablename__ = "alert_items"
    __table_args__ = (UniqueConstraint("search_id", "notice_uid"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    search_id: Mapped[int] = mapped_column(
        ForeignKey("saved_searches.id", ondelete="CASCADE"), index=True
    )
    notice_uid: Mapped[str] = mapped_column(String(200))
    alert_id: Mapped[str] = mapped_column(String(120), index=True)


class AlertRow(Base):
    """One alert e-mail (all of a user's alerts of the day), logged before it is sent."""

    __tablename__ = "alerts"
    alert_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # pending, sent, failed
    message: Mapped[str] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PushRow(Base):
    """A notice the watch officer pushed to an actor: it goes into the actor's next digest, once."""

    __tablename__ = "pushes"
    __table_args__ = (UniqueConstraint("actor_id", "notice_uid"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor_id: Mapped[str] = mapped_column(String(64), index=True)
    notice_uid: Mapped[str] = mapped_column(String(200), index=True)  # a notice's pushes
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --------------------------------------------------------------------------- statistics (issue 11)


class PlanTargetRow(Base):
    """A target of a territory's local ESS plan: `value` of `metric` over the days `starts_on`
    to `ends_on` (both included; a calendar year for a yearly target). One per territory,
    period and metric; the metrics are `app.plan_targets.METRICS`."""

    __tablename__ = "plan_targets"
    __table_args__ = (
        UniqueConstraint("territory_id", "starts_on", "ends_on", "metric", name="uq_plan_target"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    territory_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("territories.id", ondelete="CASCADE"), index=True
    )
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    metric: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(320))


# --------------------------------------------------------------------------- issue 12 (second half)


class ReminderRow(Base):
    """The reminder log: one deadline reminder per actor × notice (the key), whatever carried it
    — a weekly digest or a reminder e-mail, both rows of `digests` logged in the same
    transaction, so a crash resends the stored message and never reminds twice."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("actor_id", "notice_uid", name="uq_reminder"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor_id: Mapped[str] = mapped_column(String(64))
    notice_uid: Mapped[str] = mapped_column(String(200))
    digest_id: Mapped[str] = mapped_column(ForeignKey("digests.digest_id"), index=True)
    deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: the notice was corrected, or its content changed, after the actor's interest
    modified: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IntroductionRow(Base):
    """`requester_id` asked for partners for a notice; `actor_id` is one of them (the requester
    has a row of its own, accepted). Contact details are shared only between actors of the same
    requester × notice that both accepted."""

    __tablename__ = "introductions"
    __table_args__ = (
        UniqueConstraint("notice_uid", "requester_id", "actor_id", name="uq_introduction"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notice_uid: Mapped[str] = mapped_column(String(200))
    requester_id: Mapped[str] = mapped_column(String(64), index=True)
    actor_id: Mapped[str] = mapped_column(String(64), index=True)
    #: pending | accepted | declined | not_asked (its preferences refuse introductions)
    answer: Mapped[str] = mapped_column(String(16))
    bid_id: Mapped[int | None] = mapped_column(Integer)
    #: the introduction e-mail sent to `actor_id` (none for the requester)
    digest_id: Mapped[str | None] = mapped_column(ForeignKey("digests.digest_id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CuratedDigestRow(Base):
    """The network's digest: notices the officer picked, an editorial, an audience. Each actor's
    copy is a row of `digests` (kind `curated`, id `diffusion-<id>:<actor>`) with its items in
    `digest_items`: the same send log as the weekly digests."""

    __tablename__ = "curated_digests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    territory_id: Mapped[str] = mapped_column(ForeignKey("territories.id"), index=True)
    families: Mapped[list[Any]] = mapped_column(JSON)  # ESS families; empty: every family
    cpv_divisions: Mapped[list[Any]] = mapped_column(JSON)  # 2-digit CPV; empty: any
    editorial: Mapped[str] = mapped_column(Text)  # plain text
    notice_uids: Mapped[list[Any]] = mapped_column(JSON)  # in the officer's order
    status: Mapped[str] = mapped_column(String(16))  # sending | sent
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UndeliverableAddressRow(Base):
    """An address a mail server refused for good (5xx): skipped until an officer clears it."""

    __tablename__ = "undeliverable_addresses"
    address: Mapped[str] = mapped_column(String(320), primary_key=True)  # lower-case
    code: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    digest_id: Mapped[str | None] = mapped_column(String(120))
    marked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cleared_by: Mapped[str | None] = mapped_column(String(320))


class LeaseRow(Base):
    """A run's lease on a job name (SQLite; PostgreSQL uses advisory locks): see records.locks."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
