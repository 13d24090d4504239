"""A notice as front ends show it: fetching one, whether it is closed, the French words of its
codes and its CPV codes with their labels.

Shared by the notice page (`app.notice_page`), pushing a notice to actors
(`app.notice_pushes`) and the actor pages (`app.actor_admin`).
"""

from __future__ import annotations

from dataclasses import dataclass

from veilleuse.app.context import Context
from veilleuse.app.search_wording import STATUS_LABELS
from veilleuse.core.deadlines import effective_deadline, is_past
from veilleuse.core.errors import NotFoundError
from veilleuse.core.models import ContractNature, Notice, NoticeStatus
from veilleuse.digests.render import KIND_LABELS, RESERVED_LABELS, source_label
from veilleuse.matching.cpv import cpv_label

NATURE_LABELS = {
    ContractNature.WORKS: "travaux",
    ContractNature.SUPPLIES: "fournitures",
    ContractNature.SERVICES: "services",
}


@dataclass(frozen=True)
class NoticeLabels:
    """The French words of a notice's codes, for front ends (the digests' own words)."""

    kinds = KIND_LABELS
    statuses = STATUS_LABELS
    natures = NATURE_LABELS
    reserved = RESERVED_LABELS

    @staticmethod
    def source(name: str) -> str:
        return source_label(name)


LABELS = NoticeLabels()


@dataclass(frozen=True)
class CpvLine:
    code: str
    label: str | None


def cpv_lines(codes: list[str]) -> list[CpvLine]:
    return [CpvLine(code, cpv_label(code)) for code in codes]


def get_notice(ctx: Context, uid: str) -> Notice:
    notice = ctx.store.get(uid)
    if notice is None:
        raise NotFoundError(f"avis inconnu : {uid!r}")
    return notice


def is_closed(ctx: Context, notice: Notice) -> bool:
    """Its status is no longer open, or its deadline has passed."""
    return notice.status != NoticeStatus.OPEN or is_past(effective_deadline(notice), ctx.now())
