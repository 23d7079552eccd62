"""Building posters: the QR code reads back as the deep link, Chinese is drawn with a real
font, a PDF has a page per building, and only staff may print their buildings."""

from __future__ import annotations

import io
import re
import tomllib
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageFont
from pydantic import ValidationError

from bot.directory import Building, Directory, Grid
from bot.fonts import cjk_font_path
from bot.posters import (
    HEIGHT,
    WIDTH,
    building_of_payload,
    chunks,
    deep_link,
    find_building,
    payload,
    poster_for,
    poster_png,
    posters_pdf,
    printable,
)
from bot.settings import PosterSettings, load_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
LONG_NAME = "幸福里社区东区第十七号楼（老年活动中心楼上、原供销社旧址）"
ADMIN, WORKER_A, WORKER_B, RESIDENT = 900, 201, 301, 1001


def directory() -> Directory:
    buildings = (
        Building(1, "1栋", "A", True),
        Building(17, LONG_NAME, "A", True),
        Building(3, "3栋", "B", True),
        Building(4, "旧楼", "B", False),
    )
    return Directory(
        grids=(
            Grid("A", "第一网格", None, (WORKER_A,), ("1栋", LONG_NAME)),
            Grid("B", "第二网格", None, (WORKER_B,), ("3栋",)),
        ),
        buildings=buildings,
        admins=frozenset({ADMIN}),
    )


def page_count(pdf: bytes) -> int:
    """Pages in a PDF written with incremental updates: the last page tree's /Count."""
    counts = re.findall(rb"/Count (\d+)", pdf)
    assert counts, "no page tree in the PDF"
    return int(counts[-1])


def test_the_qr_code_reads_back_as_the_deep_link_for_a_long_chinese_name() -> None:
    book = directory()
    building = book.building(17)
    assert building is not None
    poster = poster_for("南宁街道党群服务中心", book, building, "community_test_bot")
    image = Image.open(io.BytesIO(poster_png(poster, cjk_font_path())))
    assert image.size == (WIDTH, HEIGHT)  # A4 at 300 dpi
    assert image.info["dpi"] == pytest.approx((300, 300), abs=1)
    codes = zxingcpp.read_barcodes(image)
    assert [c.text for c in codes] == ["https://t.me/community_test_bot?start=b17"]
    assert poster.heading_zh == "扫码登记报修"
    assert poster.heading_en == "Scan to register and report repairs"
    assert (poster.building, poster.grid) == (LONG_NAME, "第一网格")


def test_a_cjk_font_is_found_and_draws_chinese_not_boxes() -> None:
    path = cjk_font_path()
    assert path is not None and path.is_file()
    font = ImageFont.truetype(str(path), 64, index=0)
    # A font without Chinese draws every character as the same "missing" box.
    drawn = {bytes(font.getmask(char)) for char in "扫码登记报修"}
    assert len(drawn) == 6


def test_a_configured_font_wins_and_a_missing_one_falls_back(tmp_path: Path) -> None:
    mine = tmp_path / "mine.otf"
    found = cjk_font_path()
    assert found is not None
    mine.write_bytes(found.read_bytes())
    assert cjk_font_path(mine) == mine
    assert cjk_font_path(tmp_path / "gone.ttf") == found
    with pytest.raises(ValidationError, match="no font file"):
        PosterSettings(font_path=str(tmp_path / "gone.ttf"))


def test_the_pdf_has_one_page_per_building() -> None:
    book = directory()
    pages = [poster_for("社区", book, b, "community_test_bot") for b in book.active_buildings]
    pdf = posters_pdf(pages, cjk_font_path())
    assert pdf.startswith(b"%PDF")
    assert page_count(pdf) == 3
    # A4: 2480 x 3508 pixels at 300 dpi is 595.2 x 841.92 points.
    assert re.search(rb"/MediaBox \[ ?0 0 595\.2 841\.92 ?\]", pdf)
    with pytest.raises(ValueError):
        posters_pdf([], None)


def test_a_large_community_is_split_into_pdfs_of_at_most_40_pages() -> None:
    buildings = [Building(n, str(n), "A", True) for n in range(1, 101)]
    assert [len(part) for part in chunks(buildings)] == [40, 40, 20]


def test_the_payload_is_a_valid_deep_link_parameter_and_reads_back() -> None:
    link = deep_link("community_test_bot", 123456789012)
    start = link.split("?start=", 1)[1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", start)
    assert building_of_payload(start) == 123456789012
    assert building_of_payload(payload(17)) == 17
    for other in ("", "b", "b0", "b017", "b1x", "x17", "B17", "b" + "9" * 30):
        assert building_of_payload(other) is None, other


def test_admins_print_every_building_workers_their_grids_residents_none() -> None:
    book = directory()
    assert [b.id for b in printable(book, ADMIN)] == [1, 17, 3]  # not the retired one
    assert [b.id for b in printable(book, WORKER_A)] == [1, 17]
    assert [b.id for b in printable(book, WORKER_B)] == [3]
    assert printable(book, RESIDENT) == []


def test_a_building_is_found_by_its_name_else_its_id() -> None:
    book = directory()
    assert find_building(book, "3栋") == book.building(3)
    assert find_building(book, "17") == book.building(17)
    assert find_building(book, "4") is None  # retired
    assert find_building(book, "9" * 40) is None
    assert find_building(book, "nowhere") is None


def test_the_example_config_shows_the_poster_settings() -> None:
    example = REPO_ROOT / "config.example.toml"
    load_settings(example)
    with example.open("rb") as fh:
        written = tomllib.load(fh)
    assert set(PosterSettings.model_fields) <= set(written["posters"])


def test_without_any_cjk_font_the_poster_is_still_drawn_and_scans() -> None:
    book = directory()
    building = book.building(1)
    assert building is not None
    poster = poster_for("Nanning St.", book, building, "community_test_bot")
    image = Image.open(io.BytesIO(poster_png(poster, None)))
    assert [c.text for c in zxingcpp.read_barcodes(image)] == [
        "https://t.me/community_test_bot?start=b1"
    ]
