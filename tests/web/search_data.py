"""Notices for the search page, export and saved-search tests (import: `from search_data import …`).

Twelve "nettoyage" notices that differ in département, kind, reserved flag, social clause,
buyer and amount, so that every facet has several values with counts, plus one notice whose
title and description carry markup (it must always be shown as text).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import numpy as np
from fastapi import FastAPI

from veilleuse.app.context import Context
from veilleuse.core.models import Buyer, Money, Notice, NoticeKind, Places

COUNT = 12
XSS_UID = "boamp:XSS-1"
XSS_TITLE = '<script>alert("x")</script> Nettoyage spécial'
XSS_DESCRIPTION = "Prestation spéciale <img src=x onerror=alert(1)> pour les bureaux."


def department(i: int) -> str:
    """59 for even numbers, 62 for odd ones, except the last (75)."""
    return "75" if i == COUNT - 1 else ("59" if i % 2 == 0 else "62")


def kind(i: int) -> NoticeKind:
    return NoticeKind.FUNDING_CALL if i % 3 == 0 else NoticeKind.TENDER


def reserved(i: int) -> bool:
    return i % 4 == 0


def notices(today: date) -> list[Notice]:
    out = []
    for i in range(COUNT):
        funding = kind(i) is NoticeKind.FUNDING_CALL
        out.append(
            Notice(
                uid=f"boamp:T{i:02d}",
                source="boamp" if i % 2 == 0 else "ted",
                native_id=f"T{i:02d}",
                kind=kind(i),
                title=f"Nettoyage des locaux numéro {i}",
                description="Entretien et nettoyage des bâtiments communaux.",
                buyer=Buyer(name="Ville de Valenciennes" if i < 6 else "Département du Nord"),
                published=today - timedelta(days=i),
                deadline=today + timedelta(days=5 * (i + 1)),
                cpv=["90910000"] if i % 2 == 0 else ["77310000"],
                places=Places(departments=[department(i)]),
                estimated_value=Money(amount=1000.0 * (i + 1)),
                reserved=reserved(i),
                social_clause=i % 5 == 0,
                audiences=["associations"] if funding else [],
            ).with_hash()
        )
    out.append(
        Notice(
            uid=XSS_UID,
            source="boamp",
            native_id="XSS-1",
            kind=NoticeKind.TENDER,
            title=XSS_TITLE,
            description=XSS_DESCRIPTION,
            deadline=today + timedelta(days=90),
            places=Places(departments=["62"]),
        ).with_hash()
    )
    return out


def count_where(predicate: object) -> int:
    assert callable(predicate)
    return sum(1 for i in range(COUNT) if predicate(i))


def seed(app: FastAPI) -> Context:
    """Write the notices into the app's own store; returns its context."""
    ctx: Context = app.state.ctx
    report = ctx.store.write(notices(datetime.now(UTC).date()))
    assert len(report.created) == COUNT + 1, report.summary()
    return ctx


class WordEmbedder:
    """A fake embedder (a seam: the real model is never loaded in these tests)."""

    name = "fake-words"
    dimension = 8

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.ones((len(texts), self.dimension), dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)
