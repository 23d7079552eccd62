"""What a group, a wall or a log may show of what a person typed: no phone, no unit.

A resident types anything into a description ("call 13800138000, room 2-301"); the grid's
group sees it with the phone number and the unit hidden, and the claimer alone gets it in full,
in private. The same holds for notes shown to a group and for the echo wall.
"""

from __future__ import annotations

import re

from bot.limits import mask_phones

HIDDEN = "***"
# Unit and room numbers as residents write them: 2-301, 3-2-501, 2 dong 301, 301 shi, room 301
# (the Chinese unit words are written as escapes: texts in Chinese live in the catalogs).
_UNIT = re.compile(
    r"\d+(?:\s*-\s*\d+){1,3}"
    r"|\d+\s*(?:\u680b|\u5e62|\u53f7\u697c|\u5355\u5143|\u5c42|\u697c)\s*\d+(?:\s*(?:\u5355\u5143|\u5ba4|\u53f7|\u5c42)\s*\d*)*"
    r"|\d+\s*(?:\u5ba4|\u53f7\u623f|\u623f\u95f4?)"
    r"|(?i:room|rm\.?|apt\.?|flat|unit)\s*#?\s*\d+(?:\s*-\s*\d+)*[a-zA-Z]?"
)
# In log lines only what is surely a phone: a Chinese mobile number (maybe with +86), or an
# international number written with its +. Ids of chats and people stay readable.
_LOG_PHONE = re.compile(r"(?<![\d-])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?!\d)|\+\d{7,15}")
# Units in log lines: short numbers joined by dashes (2-301, 3-2-501; a date's 4-digit year
# and a time do not match), Chinese unit words and "room 301".
_LOG_UNIT = re.compile(
    r"(?<![\w:.-])\d{1,3}(?:-\d{1,4}){1,2}(?![\w:-])(?!\.\d)"
    r"|\d+\s*(?:\u680b|\u5e62|\u53f7\u697c|\u5355\u5143|\u5ba4|\u53f7\u623f)"
    r"|(?i:\broom|\bapt\.?|\bflat)\s*#?\s*\d+(?:-\d+)*"
)


def for_group(text: str, *units: str | None) -> str:
    """`text` as a group may see it: phone numbers, the person's own unit (as registered)
    and anything written like a unit or room hidden."""
    masked = mask_phones(text)
    for unit in units:
        if unit and unit.strip():
            masked = masked.replace(unit.strip(), HIDDEN)
    return _UNIT.sub(HIDDEN, masked)


def for_log(text: str) -> str:
    """A log line without phone numbers or units (ids, dates and times are left alone)."""
    return _LOG_UNIT.sub(HIDDEN, _LOG_PHONE.sub(HIDDEN, text))
