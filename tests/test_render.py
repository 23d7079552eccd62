"""What the bot renders fits Telegram's limits at the worst inputs it accepts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import render
from bot.callbacks import Verb
from bot.directory import Directory, Grid, Staff
from bot.domain import DESCRIPTION_MAX, NOTE_MAX
from bot.limits import CAPTION_MAX, TEXT_MAX, plain, units
from bot.settings import Settings
from storage.requests import Event, Request
from tests.conftest import community

NOW = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
LONGEST_NAME = "名" * 64 + " " + "姓" * 64  # Telegram's first and last name limits


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return community(tmp_path / "unused.sqlite3")


def _request(n: int = 1, photos: tuple[str, ...] = (), status: str = "claimed") -> Request:
    return Request(
        id=n,
        kind="repair",
        seq=n,
        category="water",
        description="漏" * DESCRIPTION_MAX,
        building="1",
        unit="2-301",
        photos=photos,
        reporter_id=1001,
        filed_by=None,
        grid_id="A",
        status=status,
        assignee_id=201,
        assignee_name=LONGEST_NAME,
        claim_due_at=NOW,
        resolve_due_at=NOW,
        rating=None,
        duplicate_of=None,
        created_at=NOW,
    )


DIRECTORY = Directory(grids=(Grid("A", "Grid A", -100111, (201,), ("1", "2")),))


def _size(text: str) -> int:
    return units(plain(text))


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("photos", [(), ("photo",)])
def test_a_card_fits_with_the_longest_description_and_name(
    settings: Settings, lang: str, photos: tuple[str, ...]
) -> None:
    text, _ = render.card(
        settings,
        DIRECTORY,
        _request(photos=photos),
        followers=999,
        via="admin",
        lang=lang,
        claimed_at=NOW,
    )
    assert _size(text) <= (CAPTION_MAX if photos else TEXT_MAX)
    assert "R-0001" in text and "…" in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_timeline_page_fits_and_holds_every_event(settings: Settings, lang: str) -> None:
    events = [
        Event(1, NOW, 201, LONGEST_NAME, "note", None, None, f"{n}:" + "记" * NOTE_MAX, None)
        for n in range(30)
    ]
    first, nav = render.timeline(settings, DIRECTORY, lang, _request(), events)
    count = int(plain(first).rsplit("/", 1)[1].split()[0])
    assert count >= 8 and [b.callback.verb for b in nav[0] if b.callback] == [Verb.TIMELINE_PAGE]
    seen = ""
    for page in range(count):
        text, _ = render.timeline(settings, DIRECTORY, lang, _request(), events, page)
        assert _size(text) <= TEXT_MAX
        seen += plain(text)
    assert all(f"{n}:" in seen for n in range(30))
    # A page past the end shows the last one.
    assert render.timeline(settings, DIRECTORY, lang, _request(), events, 99)[0] == text


def test_my_requests_are_paged(settings: Settings) -> None:
    requests = [_request(n, status="open") for n in range(1, 13)]
    texts = [render.my_requests(DIRECTORY, "en", 1001, requests, p) for p in range(3)]
    assert ["Page 1/3" in plain(t) for t, _ in texts] == [True, False, False]
    assert all(_size(t) <= TEXT_MAX for t, _ in texts)
    first_buttons = [b.label for row in texts[0][1] for b in row]
    assert "🔎 R-0001" in first_buttons and "Next ▶️" in first_buttons
    last_buttons = [b.label for row in texts[2][1] for b in row]
    assert "◀️ Previous" in last_buttons and "🔎 R-0011" in last_buttons


def test_staff_greeting_fits_with_many_claims(settings: Settings) -> None:
    claims = [_request(n) for n in range(1, 60)]
    staff = Staff(True, DIRECTORY.grids)
    text, buttons = render.staff_greeting(
        settings, DIRECTORY, "zh", LONGEST_NAME, staff, claims, False
    )
    assert _size(text) <= TEXT_MAX
    assert len(buttons) == render.STAFF_CLAIMS_SHOWN
    assert "另有 49 条" in plain(text) and "/profile" in plain(text)
