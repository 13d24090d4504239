"""Pure helpers that turn source values into canonical ones, one field at a time.

Every parser calls these rather than re-implementing date, money, CPV or place logic, so a quirk
fixed here is fixed for every source.
"""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

_WS = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]+>")
_BLOCK_TAG = re.compile(r"</?(p|br|div|li|ul|ol|h[1-6]|tr|table)\b[^>]*>", re.I)


def clean_text(value: object) -> str | None:
    """Unescape HTML entities, drop tags, fold white space; empty becomes None."""
    if value is None:
        return None
    text = str(value)
    if "<" in text and ">" in text:
        text = _BLOCK_TAG.sub(" ", text)
        text = _TAG.sub("", text)
    text = html.unescape(html.unescape(text)) if "&" in text else text
    text = text.replace("\u00a0", " ").replace("\u200b", "")
    text = _WS.sub(" ", text).strip()
    return text or None


def fold(text: str) -> str:
    """Lowercase without accents, typographic apostrophes made ASCII: for comparisons and rules."""
    text = text.replace("\u2019", "'").replace("\u02bc", "'")
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# --------------------------------------------------------------------------- dates


def parse_date(value: object) -> date | None:
    """A calendar day from ISO ('2024-03-01', '2024-03-01+02:00', '2024-03-01T10:00'), 'YYYYMMDD'
    or French 'DD/MM/YYYY'. Returns None for empty input; raises ValueError for garbage."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d{8}", text):
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if m:
        return date(int(m[3]), int(m[2]), int(m[1]))
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    if m:
        return date(int(m[1]), int(m[2]), int(m[3]))
    raise ValueError(f"unrecognised date {value!r}")


_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")


def parse_offset(text: str) -> timezone | None:
    m = _OFFSET.search(text.strip())
    if not m:
        return None
    token = m[1]
    if token == "Z":
        return UTC
    sign = 1 if token[0] == "+" else -1
    digits = token[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def parse_deadline(
    day: object, at: object = None, default_tz: ZoneInfo | timezone | None = PARIS
) -> date | datetime | None:
    """Combine a day and an optional time into an aware datetime, or keep a bare date.

    `day` may already carry a time and offset ('2024-03-01T12:00:00+01:00'). A time without an
    offset is read in `default_tz` (French sources mean Paris time). No time at all → a date.
    """
    if day is None or (isinstance(day, str) and not day.strip()):
        return None
    if isinstance(day, datetime):
        return day if day.tzinfo else day.replace(tzinfo=default_tz)
    text = str(day).strip()
    day_part = parse_date(text)
    if day_part is None:
        return None
    time_text: str | None = None
    tz: tzinfo | None = None
    if "T" in text or (len(text) > 10 and text[10] == " " and ":" in text[10:]):
        time_text = text[11:]
    elif at is not None and str(at).strip():
        time_text = str(at).strip()
        tz = parse_offset(text)  # '2019-11-13+01:00' with time '12:00:00+01:00'
    if time_text is None:
        return day_part
    tz = parse_offset(time_text) or tz or default_tz
    m = re.match(r"(\d{1,2})[:h](\d{2})(?::(\d{2}))?", time_text)
    if not m:
        raise ValueError(f"unrecognised time {time_text!r}")
    clock = time(int(m[1]), int(m[2]), int(m[3] or 0))
    return datetime.combine(day_part, clock, tzinfo=tz)


# --------------------------------------------------------------------------- money

_MONEY_JUNK = re.compile(r"[^\d,.\-]")


def parse_money(value: object) -> float | None:
    """A number from '1 234 567,89 €', '1234567.89', 80000, '1,5e6'; None when empty or absurd."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        amount = float(value)
    else:
        text = str(value).replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        if re.fullmatch(r"-?\d+(\.\d+)?[eE][+-]?\d+", text):
            amount = float(text)
        else:
            text = _MONEY_JUNK.sub("", text)
            if not text:
                return None
            if "," in text and "." in text:
                text = (
                    text.replace(".", "").replace(",", ".")
                    if text.rfind(",") > text.rfind(".")
                    else text.replace(",", "")
                )
            elif "," in text:
                text = (
                    text.replace(",", ".")
                    if len(text.rsplit(",", 1)[1]) != 3
                    else text.replace(",", "")
                )
            amount = float(text)
    if amount < 0 or amount >= 1e12:  # DECP test data carries 1e17: not a real contract value
        return None
    return amount


# --------------------------------------------------------------------------- CPV

_CPV = re.compile(r"(\d{8})(?:-\d)?")


def cpv_code(value: object) -> str | None:
    """The 8-digit CPV code from '45210000', '45210000-2' or ' 45210000-2 '."""
    if value is None:
        return None
    m = _CPV.search(str(value))
    return m[1] if m else None


def cpv_codes(values: object) -> list[str]:
    """Distinct 8-digit codes in order of first appearance (main first)."""
    if values is None:
        return []
    items = values if isinstance(values, list | tuple) else [values]
    out: dict[str, None] = {}
    for item in items:
        code = cpv_code(item)
        if code:
            out.setdefault(code)
    return list(out)


def cpv_level_prefix(code: str) -> str:
    """The significant prefix of a CPV code: '45210000' → '4521' (class)."""
    stripped = code.rstrip("0")
    return stripped if len(stripped) >= 2 else code[:2]


# --------------------------------------------------------------------------- places

_POSTCODE = re.compile(r"\b(\d{5})\b")


def department_from_postcode(postcode: object) -> str | None:
    """French département from a postcode: '59000' → '59', '20090' → '2A', '97400' → '974'."""
    if postcode is None:
        return None
    m = _POSTCODE.search(str(postcode))
    if not m:
        return None
    code = m[1]
    if code.startswith("97") or code.startswith("98"):
        return code[:3]
    if code.startswith("20"):
        return "2A" if int(code) < 20200 else "2B"
    return code[:2]


def normalise_department(value: object) -> str | None:
    """'5' → '05', '059' → '59', '2a' → '2A', '974' stays; anything else → None."""
    if value is None:
        return None
    text = str(value).strip().upper()
    if re.fullmatch(r"\d{1,2}", text):
        return text.zfill(2)
    if re.fullmatch(r"0\d{2}", text):
        return text[1:]
    if re.fullmatch(r"2[AB]|97\d|98\d", text):
        return text
    return None


def siret(value: object) -> str | None:
    """A 14-digit SIRET with spaces removed, or None."""
    if value is None:
        return None
    digits = re.sub(r"\D", "", str(value))
    return digits if len(digits) == 14 else None


def unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))
