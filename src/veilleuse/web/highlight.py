"""Search highlights as safe HTML.

Both stores return fragments of the notice's own text (untrusted: it comes from the sources)
with the matched words between `<mark>` and `</mark>`, the text itself left as it was. A
fragment is shown by escaping every piece of text and keeping only those two markers, always
balanced: a title that contains "<script>" or "<mark>" of its own shows it as text, nothing
else of it is ever markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from veilleuse.core.models import Notice

_MARKER = re.compile(r"(<mark>|</mark>)")
_ELLIPSIS = "…"


def highlight_html(fragment: str) -> Markup:
    """`fragment` escaped, with its `<mark>` markers kept (and closed when left open)."""
    out: list[str] = []
    inside = False
    for part in _MARKER.split(fragment):
        if part == "<mark>":
            if not inside:
                out.append("<mark>")
                inside = True
        elif part == "</mark>":
            if inside:
                out.append("</mark>")
                inside = False
        elif part:
            out.append(str(escape(part)))
    if inside:
        out.append("</mark>")
    return Markup("".join(out))


def plain_text(fragment: str) -> str:
    """The fragment's text without the markers."""
    return _MARKER.sub("", fragment)


@dataclass(frozen=True)
class HitText:
    """How one hit reads on the page: its title (highlighted when a fragment is the whole
    title) and excerpts of the description with the words marked."""

    title: Markup
    excerpts: list[Markup] = field(default_factory=list)


def hit_text(notice: Notice, highlights: list[str]) -> HitText:
    title = notice.title.strip()
    shown: Markup = escape(notice.title)
    excerpts: list[Markup] = []
    for fragment in highlights:
        text = " ".join(plain_text(fragment).split())
        if text == " ".join(title.split()):
            shown = highlight_html(fragment.strip())
        elif text.strip(_ELLIPSIS + " ") and text.strip(_ELLIPSIS + " ") in title:
            continue  # a cut piece of the title, which is shown whole
        else:
            excerpts.append(highlight_html(fragment))
    return HitText(shown, excerpts)
