"""Texts fit Telegram's limits by construction: counted as Telegram counts, cut with a marker."""

from __future__ import annotations

import pytest

from bot.callbacks import MAX_BYTES, TWO_ARGS, Callback, Verb
from bot.limits import (
    ANSWER_MAX,
    CAPTION_MAX,
    MARK,
    TEXT_MAX,
    clip,
    fit,
    plain,
    units,
    visible,
    visible_length,
)


def test_units_count_as_telegram_does() -> None:
    assert units("abc") == 3
    assert units("报修") == 2
    assert units("🔧") == 2  # outside the basic plane: two UTF-16 code units
    assert units("") == 0


def test_plain_drops_tags_then_decodes() -> None:
    assert plain("<b>R-0001</b> &amp; co") == "R-0001 & co"
    # Escaped markup typed by a person stays text.
    assert plain("Tom &amp; Jerry &lt;3 &lt;b&gt;") == "Tom & Jerry <3 <b>"


@pytest.mark.parametrize("limit", [TEXT_MAX, CAPTION_MAX, ANSWER_MAX])
def test_fit_leaves_a_text_at_the_limit_alone(limit: int) -> None:
    text = "<b>x</b>" + "y" * (limit - 1)
    assert units(plain(text)) == limit
    assert fit(text, limit) == text


@pytest.mark.parametrize("limit", [TEXT_MAX, CAPTION_MAX])
def test_fit_cuts_one_over_the_limit(limit: int) -> None:
    text = "<b>x</b>" + "y" * limit
    cut = fit(text, limit)
    assert units(plain(cut)) == limit
    assert cut.endswith(MARK)


def test_fit_never_splits_a_tag_or_entity_and_closes_what_is_open() -> None:
    text = "<b>" + "&amp;" * 10 + '<a href="tg://user?id=1">' + "名" * 50 + "</a></b>"
    cut = fit(text, 20)
    assert units(plain(cut)) <= 20
    assert cut.startswith("<b>&amp;&amp;") and cut.endswith(MARK + "</a></b>")
    assert "&am" not in cut.replace("&amp;", "")


def test_fit_counts_emoji_twice() -> None:
    cut = fit("🔧" * 10, 9)
    assert units(plain(cut)) <= 9 and cut == "🔧" * 4 + MARK


def test_clip_plain_text() -> None:
    assert clip("short", 200) == "short"
    long = "Already claimed by " + "N" * 300
    assert units(clip(long, ANSWER_MAX)) == ANSWER_MAX
    assert clip(long, ANSWER_MAX).endswith(MARK)


@pytest.mark.parametrize(
    "text", ["", "   ", "\u200b", "\u200b\u200c\u200d", "\ufeff", " \u200b \n\u2060 ", None]
)
def test_invisible_text_counts_as_empty(text: str | None) -> None:
    assert visible(text) == ""


def test_visible_keeps_real_text_and_joined_emoji() -> None:
    assert visible("  2-301\u200b ") == "2-301"
    family = "👨\u200d👩\u200d👧"
    assert visible(family) == family
    assert visible_length("ab\u200b\u200b\u200bc") == 4  # the zero-width run counts as a space


@pytest.mark.parametrize("verb", list(Verb))
def test_callback_data_fits_64_bytes_at_the_largest_numbers(verb: Verb) -> None:
    largest = 10**12 - 1
    data = Callback(verb, largest, largest if verb in TWO_ARGS else None).pack()
    assert len(data.encode()) <= MAX_BYTES


def test_visible_drops_what_shows_nothing_and_what_turns_text_around() -> None:
    from bot.limits import visible, visible_length

    for blank in ("\u202e", "\u200e\u200f", "\u00ad", "\u3164\u2800", "\x00\x07", "\u2066\u2069"):
        assert visible(blank) == "", repr(blank)
    assert visible("Leak \u202eR-0001\u202c here") == "Leak R-0001 here"
    assert visible("pipe\x00 broken\x1b\n2nd line\t!") == "pipe broken\n2nd line\t!"
    family = "👨\u200d👩\u200d👧"  # joiners inside an emoji stay
    assert visible(f"\u200b {family} \ufeff") == family
    assert visible_length("a  \u200b  b") == 3
