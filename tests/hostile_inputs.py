"""The hostile input catalogue: what people (and other programs) may send the bot.

Each case says how to send it and whether a step that asks for words must refuse it (nothing
in it would show, it is too long, or it is not text at all) or take it as typed (markup, SQL,
emoji: shown escaped, stored as typed). The end-to-end tests in test_e2e_hostile.py send every
case at every free-text step and outside wizards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.fakebot import FakeGroup, FakeUser

Send = Callable[[FakeUser, FakeGroup | None], object]


@dataclass(frozen=True)
class Case:
    name: str
    send: Send
    refused: bool  # at a step that asks for words: asked again, nothing stored


def _text(text: str) -> Send:
    return lambda user, chat: user.send(text, chat)


def _refused(name: str, text: str) -> Case:
    return Case(name, _text(text), True)


def _taken(name: str, text: str) -> Case:
    return Case(name, _text(text), False)


BLANK = [
    _refused("space", " "),
    _refused("whitespace", " \t\n \r\n "),
    _refused("ideographic space", "\u3000\u3000"),
    _refused("zero-width space", "\u200b"),
    _refused("zero-width non-joiner", "\u200c"),
    _refused("zero-width joiner", "\u200d"),
    _refused("word joiner", "\u2060"),
    _refused("byte order mark", "\ufeff"),
    _refused("zero-width mix", "\u200b\u200c\u200d\u2060\ufeff" * 20),
    _refused("RTL override only", "\u202e"),
    _refused("bidi controls only", "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"),
    _refused("marks only", "\u200e\u200f\u061c \u200b"),
    _refused("soft hyphen only", "\u00ad\u00ad"),
    _refused("hangul fillers", "\u3164\u115f\u1160\uffa0"),
    _refused("braille blank", "\u2800\u2800"),
    _refused("NUL only", "\x00"),
    _refused("control characters only", "\x01\x02\x07\x1b\x7f"),
]
LONG = [
    _refused("4097 characters", "x" * 4097),
    _refused("100k characters", "漏" * 100_000),
    _refused("4097 units of emoji", "💧" * 2049),
    _refused("joined emoji past the limit", "👨\u200d👩\u200d👧\u200d👦" * 400),
]
MEDIA = [
    Case("sticker", lambda user, chat: user.send_sticker(chat), True),
    Case("voice", lambda user, chat: user.send_voice(chat), True),
    Case("location", lambda user, chat: user.send_location(chat), True),
    Case("document", lambda user, chat: user.send_document(chat=chat), True),
    Case("poll", lambda user, chat: user.send_poll(chat), True),
    Case("dice", lambda user, chat: user.send_dice(chat), True),
    Case(
        "contact of someone else",
        lambda user, chat: user.send_contact("+86 138 0000 9999", 424242, chat),
        True,
    ),
]
TAKEN = [
    _taken("HTML bold", "<b>bold</b> pipe"),
    _taken("stray closing tag", "pipe </i> broke"),
    _taken("javascript link", '<a href="javascript:alert(1)">click</a> here'),
    _taken("entity", "pipe &amp; tap &lt;b&gt; &#60;"),
    _taken("script tag", "<script>alert('x')</script> lift"),
    _taken("unclosed tag", "the <b lift <i stops"),
    _taken("Markdown", "*bold* _it_ `code` [x](javascript:alert(1)) ~~s~~"),
    _taken("SQL", "'; DROP TABLE requests;--"),
    _taken("SQL 2", '" OR 1=1; DELETE FROM users WHERE "a"="a'),
    _taken("emoji", "💧🚿 漏水 🔥"),
    _taken("joined emoji", "👨\u200d👩\u200d👧\u200d👦 🏳️\u200d🌈 👍🏽 family"),
    _taken("RTL override inside", "Leak \u202eR-0001 evil\u202c in the hall"),
    _taken("surrogate-looking", "\\ud83d\\ude00 \\x00 %s %n {0} {number}"),
    _taken("NUL inside", "pipe\x00 broken\x07 \x1b[31mred"),
    _taken("mixed scripts", "水管 pipe трубa أنبوب"),
]
OTHER = [
    Case(
        "forwarded text",
        lambda user, chat: user.forward("Forwarded: the lift is stuck", user, chat),
        False,
    ),
]
# Commands: in private a polite answer, in a group a pointer or silence; never an error.
COMMANDS = [
    _taken("/report@otherbot", "/report@otherbot"),
    _taken("/start@otherbot", "/start@otherbot"),
    _taken("/start too long payload", "/start " + "A" * 65),
    _taken("/start non-ASCII payload", "/start 你好世界"),
    _taken("/start forged invite", "/start inv-AAAAAAAAAAAAAAAA"),
    _taken("/start empty invite", "/start inv-"),
    _taken("/start building huge", "/start b" + "9" * 40),
    _taken("/start building negative", "/start b-1"),
    _taken("/start two payloads", "/start b1 inv-x"),
    _taken("unknown command", "/definitely_not_ours"),
    _taken("command with HTML", "/report <b>x</b>"),
    _taken("/my with junk", "/my ' OR 1=1"),
    _taken("/transfer forged", "/transfer R-99999999999999999999"),
    _taken("/award forged", "/award 1 99999999999999 <b>x</b>"),
    _taken("/award blank reason", "/award 201 5 \u200b\u200b"),
    _taken("/event_add junk", "/event_add <b> name_zh=\u200b rule=monthly:99 time=25:99"),
    _taken("/event_cancel junk", "/event_cancel <script> 2026-13-45"),
    _taken("/stats junk", "/stats 9999-99"),
    _taken("/export junk", "/export ' DROP"),
    _taken("/language junk", "/language xx-<b>"),
    _taken("/cancel with nothing open", "/cancel"),
]

# An admin's commands whose arguments are free text: each is refused with its usage or the
# fields named, and nothing is saved.
ADMIN_COMMANDS = [
    _taken(
        "/event_add invisible name",
        "/event_add cut name_zh=\u200b name_en=\u202e place=x rule=monthly:16 time=09:00",
    ),
    _taken(
        "/event_add HTML id",
        "/event_add <b>x</b> name_zh=理发 name_en=Cut place=Hall rule=monthly:16 time=09:00",
    ),
    _taken(
        "/event_add huge capacity",
        "/event_add cut2 name_zh=理发 name_en=Cut place=Hall"
        " rule=monthly:16 time=09:00 capacity=99999999999999999999",
    ),
    _taken(
        "/event_add long place",
        "/event_add cut3 name_zh=理发 name_en=Cut place="
        + "x" * 5000
        + " rule=monthly:16 time=09:00",
    ),
    _taken("/event_edit unknown", "/event_edit nosuch place=<script>"),
    _taken("/award blank reason", "/award 7001 5 \u200b\u2060"),
    _taken("/award RTL-only reason", "/award 7001 5 \u202e"),
    _taken("/award long reason", "/award 7001 5 " + "x" * 5000),
    _taken("/award huge id", "/award 99999999999999999999999 5 thanks"),
    _taken("/award negative", "/award 7001 -5 thanks"),
    _taken("/redeem over", "/redeem 7001 999999 <b>x</b>"),
    _taken("/broadcast with args", "/broadcast <b>now</b>"),
    _taken("/stats junk", "/stats 2026-02-30"),
    _taken("/export junk", "/export ' OR 1=1"),
    _taken("/invite junk", "/invite <b>worker</b> Z"),
    _taken("/staff junk", "/staff \u202e"),
]

# At a step that asks for words: every refused case, then the ones taken as typed.
AT_TEXT_STEPS = BLANK + LONG + MEDIA
TAKEN_TEXTS = TAKEN + OTHER
OUTSIDE = BLANK + LONG + MEDIA + TAKEN + OTHER + COMMANDS
PSEUDO_SENDERS = ["anonymous admin", "service 777000", "channel 136817688", "a bot"]
PSEUDO_SENDERS += ["channel post", "message without a sender"]
# Valid buttons pressed by the wrong person or at the wrong time (test_e2e_hostile.py).
WRONG_PRESSES = ["claim by the resident", "claim by grid B's worker", "claim from a private chat"]
WRONG_PRESSES += ["a worker's private buttons by another", "another person's timeline"]
WRONG_PRESSES += ["a wizard button after a restart"]


def total() -> int:
    """Distinct cases in the catalogue."""
    names = {case.name for case in OUTSIDE + ADMIN_COMMANDS}
    return len(names) + len(FORGED_DATA) + len(PSEUDO_SENDERS) + len(WRONG_PRESSES)


# Forged callback data (pressed on real messages by the wrong or the right person).
FORGED_DATA = [
    "v1:zzz:1",
    "v1:claim:999999999999",
    "v1:claim:9999999999999",
    "v1:claim:-1",
    "v1:claim:0",
    "v1:claim:1:2",
    "v1:rate:1",
    "v1:rate:1:99",
    "v1:claim:" + "1" * 60,
    "v2:claim:1",
    "claim_1",
    "v1:claim:１",  # a full-width digit
    "v1:CLAIM:1",
    "v1:claim:1\n",
    "v1:tlp:1:-5",
    "v1:ok:1:0",
    "v1:skip:0:999999999999",
    "<b>",
    " ",
]
