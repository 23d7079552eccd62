"""Telegram's size limits, and texts cut to fit them by construction.

Telegram counts a message's length after its HTML is parsed, in UTF-16 code units (an emoji
outside the basic plane counts twice), so that is what is counted here.
"""

from __future__ import annotations

import html
import re
import unicodedata

TEXT_MAX = 4096
CAPTION_MAX = 1024
ANSWER_MAX = 200  # callback query answers (toasts and alerts)
CALLBACK_DATA_MAX = 64  # bytes
MARK = "…"

# Characters that show nothing besides Unicode's format (Cf: zero-width space, joiners, BOM,
# bidi controls, soft hyphen) and control (Cc) characters: fillers that render as blanks.
_FILLERS = frozenset("\u3164\u115f\u1160\uffa0\u2800\u180e")
# Inside typed text these go: bidi overrides and isolates can make a card read backwards,
# and control characters other than line breaks and tabs show as boxes or nothing.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_KEPT_CONTROLS = frozenset("\n\t")
_TAG = re.compile(r"<[^<>]*>")
_TOKEN = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^<>]*>|&(?:#\d+|#x[0-9a-fA-F]+|\w+);|.", re.DOTALL)


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def plain(markup: str) -> str:
    """What a reader sees of an HTML text: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", markup))


def _shows(char: str) -> bool:
    """Whether a reader sees anything of this character (whitespace counts as not)."""
    if char.isspace() or char in _FILLERS:
        return False
    return unicodedata.category(char) not in ("Cf", "Cc", "Zs", "Zl", "Zp")


def _kept(char: str) -> bool:
    """Whether a typed character is stored: all but bidi overrides and stray controls."""
    if char in _BIDI:
        return False
    return char in _KEPT_CONTROLS or unicodedata.category(char) != "Cc"


def visible(text: str | None) -> str:
    """Typed text with surrounding blanks trimmed and bidi overrides and control characters
    (but line breaks and tabs) dropped; '' when nothing in it would show."""
    if not text or not any(_shows(char) for char in text):
        return ""
    kept = [char for char in text if _kept(char)]
    start = next(i for i, char in enumerate(kept) if _shows(char))
    end = max(i for i, char in enumerate(kept) if _shows(char))
    return "".join(kept[start : end + 1])


def visible_length(text: str) -> int:
    """How many characters of `text` a reader sees (a run of blanks counts as one)."""
    count, blank = 0, True
    for char in text.strip():
        if _shows(char):
            count, blank = count + 1, False
        elif not blank:
            count, blank = count + 1, True
    return count - 1 if blank and count else count


# Seven or more digits, maybe with spaces, dashes or a leading +: a phone number, most likely.
_PHONE = re.compile(r"\+?\d(?:[\s-]?\d){6,}")


def mask_phones(text: str) -> str:
    """The text with anything like a phone number hidden: for what a group or wall shows."""
    return _PHONE.sub("***", text)


def clip(text: str, limit: int) -> str:
    """Plain text cut to `limit` units, with a marker when something was cut."""
    if units(text) <= limit:
        return text
    out: list[str] = []
    used = units(MARK)
    for char in text:
        used += units(char)
        if used > limit:
            break
        out.append(char)
    return "".join(out).rstrip() + MARK


def fit(markup: str, limit: int = TEXT_MAX) -> str:
    """An HTML text cut so that what Telegram counts stays within `limit`.

    Tags are never split and every tag left open is closed, so the result still parses.
    """
    if units(plain(markup)) <= limit:
        return markup
    budget = limit - units(MARK)
    out: list[str] = []
    open_tags: list[str] = []
    used = 0
    for match in _TOKEN.finditer(markup):
        token = match.group(0)
        tag = match.group(2)
        if tag is not None:
            if match.group(1):
                if open_tags and open_tags[-1] == tag.lower():
                    open_tags.pop()
            else:
                open_tags.append(tag.lower())
            out.append(token)
            continue
        size = units(html.unescape(token))
        if used + size > budget:
            break
        used += size
        out.append(token)
    closing = "".join(f"</{tag}>" for tag in reversed(open_tags))
    return "".join(out).rstrip() + MARK + closing
