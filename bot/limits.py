"""Telegram's size limits, and texts cut to fit them by construction.

Telegram counts a message's length after its HTML is parsed, in UTF-16 code units (an emoji
outside the basic plane counts twice), so that is what is counted here.
"""

from __future__ import annotations

import html
import re

TEXT_MAX = 4096
CAPTION_MAX = 1024
ANSWER_MAX = 200  # callback query answers (toasts and alerts)
CALLBACK_DATA_MAX = 64  # bytes
MARK = "…"

# Characters that show nothing: zero-width space, non-joiner, joiner, word joiner, BOM.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}\\s]+")
_TAG = re.compile(r"<[^<>]*>")
_TOKEN = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^<>]*>|&(?:#\d+|#x[0-9a-fA-F]+|\w+);|.", re.DOTALL)


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def plain(markup: str) -> str:
    """What a reader sees of an HTML text: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", markup))


def visible(text: str | None) -> str:
    """Typed text with surrounding blanks trimmed; '' when nothing in it would show."""
    if not text or not _INVISIBLE_RE.sub("", text):
        return ""
    return text.strip(" \t\r\n" + _INVISIBLE)


def visible_length(text: str) -> int:
    """How many characters of `text` a reader sees (invisible ones are not counted)."""
    return len(_INVISIBLE_RE.sub(" ", text).strip())


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
