"""The newer texts at the worst inputs they accept: wish cards, the passbook, a volunteer's
wishes, the routes a wish takes when a chat refuses the bot."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot import render
from bot.callbacks import Verb
from bot.directory import Directory, Grid
from bot.domain import WISH_TEXT_MAX
from bot.kinds import WISH, wish_routes
from bot.limits import CAPTION_MAX, TEXT_MAX, plain, units
from bot.settings import Event, Settings
from storage.requests import Request
from storage.volunteers import Entry
from tests.conftest import community

NOW = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
LONGEST_NAME = "名" * 64 + " " + "姓" * 64
WALL, ADMIN_CHAT = -100333, -100900
DIRECTORY = Directory(
    grids=(Grid("A", "Grid A", -100111, (201,), ("1", "2")),),
    admins=frozenset({900, 901}),
    admin_chat_id=ADMIN_CHAT,
    volunteers=frozenset({7001, 7002}),
    wall_chat_id=WALL,
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return community(tmp_path / "unused.sqlite3")


def _wish(n: int = 1, status: str = "published", photos: tuple[str, ...] = ()) -> Request:
    return Request(
        id=n,
        kind="wish",
        seq=n,
        category="errand",
        description="愿" * WISH_TEXT_MAX,
        building="1",
        unit="2-301",
        photos=photos,
        reporter_id=1001,
        filed_by=None,
        grid_id="A",
        status=status,
        assignee_id=7001,
        assignee_name=LONGEST_NAME,
        claim_due_at=None,
        resolve_due_at=None,
        rating=None,
        duplicate_of=None,
        created_at=NOW,
        public_text="公" * WISH_TEXT_MAX,
    )


def _size(text: str) -> int:
    return units(plain(text))


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("photos", [(), ("photo",)])
@pytest.mark.parametrize("status", ["submitted", "published", "claimed", "fulfilled"])
@pytest.mark.parametrize("via", ["admin", "wall", "volunteers_fallback", "admins_fallback"])
def test_a_wish_card_fits_with_the_longest_texts_and_name(
    settings: Settings, lang: str, photos: tuple[str, ...], status: str, via: str
) -> None:
    wish = _wish(status=status, photos=photos)
    text, buttons = render.card(
        settings, DIRECTORY, wish, followers=0, via=via, lang=lang, claimed_at=NOW
    )
    assert _size(text) <= (CAPTION_MAX if photos else TEXT_MAX)
    assert "W-0001" in text and "公" * 100 in text
    assert all(len(b.callback.pack().encode()) <= 64 for row in buttons for b in row if b.callback)


def test_a_wish_card_copy_sent_to_a_volunteer_can_be_claimed_and_an_admins_curated() -> None:
    wish = _wish(status="published")
    volunteer = [
        b.callback.verb
        for row in render.card_buttons("zh", wish, "volunteers_fallback")
        for b in row
        if b.callback
    ]
    assert volunteer == [Verb.CLAIM]
    submitted = _wish(status="submitted")
    admin = [
        b.callback.verb
        for row in render.card_buttons("zh", submitted, "admins_fallback")
        for b in row
        if b.callback
    ]
    assert admin == [Verb.PUBLISH, Verb.EDIT_TEXT, Verb.REJECT]


def test_a_wish_falls_back_to_volunteers_then_the_admins() -> None:
    published = wish_routes(DIRECTORY, _wish(status="published"), {})
    assert [(r.via, r.chats) for r in published] == [
        ("wall", (WALL,)),
        ("volunteers", (7001, 7002)),
        ("admin", (ADMIN_CHAT,)),
        ("admins", (900, 901)),
    ]
    submitted = wish_routes(DIRECTORY, _wish(status="submitted"), {WALL: -1})
    assert [(r.via, r.chats) for r in submitted] == [
        ("admin", (ADMIN_CHAT,)),
        ("admins", (900, 901)),
    ]
    moved = wish_routes(DIRECTORY, _wish(), {WALL: -100999})
    assert moved[0].chats == (-100999,)
    assert WISH.routes is wish_routes


def _entry(n: int) -> Entry:
    return Entry(
        NOW, 1 if n % 3 else -1, "award" if n % 3 else "redeem", None, f"#{n}#" + "记" * 196
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_long_passbook_is_paged_and_every_row_is_on_a_page(
    settings: Settings, lang: str
) -> None:
    entries = [_entry(n) for n in range(200)]
    first, nav = render.passbook(settings, lang, 123456, entries, {})
    count = int(plain(first).rsplit("/", 1)[1].split()[0])
    assert count >= 10
    assert [b.callback.verb for b in nav[0] if b.callback] == [Verb.POINTS_PAGE]
    seen = ""
    for page in range(count):
        text, buttons = render.passbook(settings, lang, 123456, entries, {}, page)
        assert _size(text) <= TEXT_MAX and "123456" in text
        seen += plain(text)
    assert all(f"#{n}#" in seen for n in range(200))
    assert render.passbook(settings, lang, 123456, entries, {}, 999)[0] == text
    # A short passbook has no page line and no buttons.
    text, buttons = render.passbook(settings, lang, 5, entries[:3], {})
    assert buttons == [] and "/" not in plain(text).splitlines()[-1]


def test_a_volunteers_many_wishes_are_paged_newest_first() -> None:
    wishes = [_wish(n, status="claimed") for n in range(1, 36)]
    texts = [render.taken(DIRECTORY, "en", wishes, p) for p in range(4)]
    assert all(_size(t) <= TEXT_MAX for t, _ in texts)
    assert "Page 1/4" in plain(texts[0][0]) and "W-0035" in plain(texts[0][0])
    assert "W-0001" in plain(texts[3][0]) and "(35)" in plain(texts[3][0])
    last = [b.label for row in texts[3][1] for b in row]
    assert "◀️ Previous" in last and "Next ▶️" not in last
    one, buttons = render.taken(DIRECTORY, "en", wishes[:2])
    assert "Page" not in plain(one) and len(buttons) == 2


INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


@pytest.mark.parametrize("field", ["name_zh", "name_en", "place"])
def test_an_event_field_of_invisible_characters_is_empty(field: str) -> None:
    values: dict[str, Any] = {
        "id": "tea",
        "name_zh": "茶",
        "name_en": "Tea",
        "place": "Hall",
        "rule": "weekly:2",
    }
    with pytest.raises(ValueError, match=field):
        Event(**(values | {field: INVISIBLE * 3}))
    kept = Event(**(values | {field: INVISIBLE + "Room 2" + INVISIBLE}))
    assert getattr(kept, field) == "Room 2"
    assert Event(**(values | {"description": INVISIBLE})).description == ""


def test_a_card_with_a_public_text_is_not_masked_but_a_residents_text_is(
    settings: Settings,
) -> None:
    wish = replace(_wish(status="submitted"), description="Call 13800000001", public_text=None)
    text, _ = render.card(
        settings, DIRECTORY, wish, followers=0, via="admin", lang="en", claimed_at=None
    )
    assert "13800000001" not in text
