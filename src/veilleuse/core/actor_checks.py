"""What an actor profile may hold at the door, whatever the file or form it comes from.

- **No control characters.** A CR/LF in a name or an id once reached an e-mail header and
  stopped the digest stage; NUL and the other C0/C1 characters break files, terminals and
  databases. Every text field refuses them (U+0000–U+001F, U+007F–U+009F), keys included; the
  free-text `description` alone may hold line breaks and tabs (CR/LF is read as a line break).
- **Identifiers are slugs**: `ID_PATTERN` — 1 to 64 letters, digits, `-`, `_` or `.`,
  starting with a letter or a digit (they appear in URLs, file names and e-mail headers).
- **E-mail addresses are plain addresses** (`email_ok`): `local@domain.tld`, no display name,
  no spaces, no brackets or separators, no empty label.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

#: what an actor identifier may be (see the module docstring)
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
ID_RULE = "de 1 à 64 lettres sans accent, chiffres, « - », « _ » ou « . », commençant par une lettre ou un chiffre"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # keeps \t \n \r
#: fields whose text may span several lines
MULTILINE = frozenset({"description"})
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_EMAIL = re.compile(rf"{_LOCAL}@(?:{_LABEL}\.)+[^\W\d_]{{2,63}}")


def email_ok(text: str) -> bool:
    """A plain address `local@domain.tld` (see the module docstring)."""
    return len(text) <= 254 and _EMAIL.fullmatch(text) is not None


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(field path, text) of every string in a nested mapping/list, keys included."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            name = f"{path}.{key}" if path else str(key)
            if isinstance(key, str):
                yield (path or name), key
            yield from _walk(inner, name)
    elif isinstance(value, list | tuple):
        for index, inner in enumerate(value):
            yield from _walk(inner, f"{path}.{index}")


def control_problems(item: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, French message) for each field of `item` holding a control character."""
    found: dict[str, str] = {}
    for path, text in _walk(item, ""):
        pattern = _CONTROL_IN_TEXT if path in MULTILINE else _CONTROL
        match = pattern.search(text)
        if match is not None and path not in found:
            code = f"U+{ord(match.group()):04X}"
            found[path] = (
                f"caractère de contrôle interdit ({code}) à la position {match.start() + 1}"
            )
    return list(found.items())
