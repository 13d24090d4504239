"""Helpers for API tests (`from api_helpers import …`): notices, a keyword embedder, tokens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import httpx
import numpy as np
from web_helpers import email_of

from veilleuse.app import accounts, api_tokens
from veilleuse.app.context import Context
from veilleuse.app.search import paris_today
from veilleuse.core.models import Buyer, Notice, NoticeKind, Places
from veilleuse.core.normalise import fold

TOPICS = ("nettoyage", "espaces", "restauration", "festival", "vitres", "collecte")
TODAY = paris_today(Context.now())
PROBLEM = "application/problem+json"


class KeywordEmbedder:
    """One axis per topic word in the folded text (plus a constant axis), unit length."""

    name = "keywords-test"
    dimension = len(TOPICS) + 1

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            folded = fold(text)
            for i, word in enumerate(TOPICS):
                if word in folded:
                    out[row, i] = 1.0
            out[row, -1] = 0.1
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def notice(uid: str, title: str, **fields: Any) -> Notice:
    source, native = uid.split(":", 1)
    return Notice.model_validate(
        {
            "uid": uid,
            "source": source,
            "native_id": native,
            "kind": NoticeKind.TENDER,
            "title": title,
            "raw": {"secret": "never in the API"},
            **fields,
        }
    ).with_hash()


_TITLES = (
    "Nettoyage des locaux de la mairie",
    "Nettoyage des vitres des écoles",
    "Entretien des espaces verts",
    "Restauration scolaire et nettoyage des cuisines",
    "Collecte des déchets verts",
    "Festival de quartier : buvette et accueil",
)
_DEPARTMENTS = ("59", "62", "80")


def _build() -> list[Notice]:
    out = []
    for i in range(23):
        out.append(
            notice(
                f"boamp:26-{i:03d}",
                f"{_TITLES[i % len(_TITLES)]} n°{i}",
                description="Prestations pour la collectivité.",
                buyer=Buyer(name="Ville de Lille" if i % 4 == 0 else "Département du Nord"),
                places=Places(departments=[_DEPARTMENTS[i % 3]]),
                deadline=TODAY + timedelta(days=5 + (i * 7) % 40) if i % 5 else None,
                published=TODAY - timedelta(days=i % 12),
                cpv=["90910000"] if i % 2 else ["77310000"],
                reserved=(i % 3 == 0) or None,
                kind=NoticeKind.FUNDING_CALL if i % 7 == 0 else NoticeKind.TENDER,
            )
        )
    # a uid with a slash: the notice route takes the rest of the path
    out.append(notice("ted:2026/S 012-034567", "Nettoyage de bâtiments publics à Arras"))
    return out


NOTICES = _build()
UIDS = sorted(n.uid for n in NOTICES)


def seed_notices(ctx: Context) -> None:
    """Write NOTICES (one batch: one `updated_at`) and their vectors into the app's store."""
    ctx.store.write(NOTICES)
    embedder = ctx.embedder
    vectors = embedder.encode([n.text_for_embedding() for n in NOTICES])
    ctx.store.set_vectors({n.uid: v for n, v in zip(NOTICES, vectors, strict=True)}, embedder.name)


def make_token(ctx: Context, who: str, name: str = "tests") -> str:
    """A new API token (the clear text) of the USERS account `who`."""
    user = accounts.get_user_by_email(ctx, email_of(who))
    _, clear = api_tokens.create_token(ctx, user, name)
    return clear


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["type"].startswith("urn:veilleuse:problem:")
    assert body["title"] and body["detail"]
    return body
