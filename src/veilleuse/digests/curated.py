"""The network's digest (`app.network_digest`): the watch officer's editorial and the words
around the notices the network picked. The copy each actor gets is a `Digest` with
`editorial` set, rendered by the digest's own templates (`render.render_digest`), so its lines
look and act like the weekly digest's.

The editorial is plain text: no Markdown, no HTML — it is shown as written (escaped in the
HTML part), split into paragraphs at blank lines.
"""

from __future__ import annotations

import re
import unicodedata

#: the longest editorial the officer may write
MAX_EDITORIAL = 3000
_BLANK_LINE = re.compile(r"\n\s*\n")


def clean_editorial(text: str) -> str:
    """The editorial as stored: control characters removed (line breaks kept), line ends
    normalised, surrounding blanks trimmed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = "".join(c for c in text if c in "\n\t" or not unicodedata.category(c).startswith("C"))
    return kept.strip()


def editorial_paragraphs(text: str | None) -> list[str]:
    """Paragraphs of the editorial (at blank lines), each on one line."""
    if not text:
        return []
    return [" ".join(p.split()) for p in _BLANK_LINE.split(text) if p.strip()]


def curated_subject(actor_name: str, territory: str, count: int) -> str:
    what = "1 opportunité" if count == 1 else f"{count} opportunités"
    return f"Veilleuse — la sélection de votre réseau ({territory}) : {what} pour {actor_name}"


def curated_intro(actor_name: str, count: int) -> str:
    if count == 1:
        return f"Votre réseau a choisi cette opportunité pour {actor_name}."
    return f"Votre réseau a choisi ces {count} opportunités pour {actor_name}."


def curated_why(actor_name: str, territory: str) -> str:
    return (
        f"Vous recevez ce courriel parce que {actor_name} est inscrit·e à la veille économique "
        f"de l'ESS — {territory}. Cette sélection a été faite par votre réseau ; les avis déjà "
        "reçus n'y sont pas répétés."
    )
