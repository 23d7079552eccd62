"""Building posters: an A4 page with the community, the building, short instructions in
Chinese and English, and a QR code of a deep link that starts registration in that building.

Drawing is CPU work: callers on the event loop run `poster_png` and `posters_pdf` in a thread.
"""

from __future__ import annotations

import functools
import io
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

from bot.directory import Building, Directory
from bot.i18n import t
from bot.limits import plain

# A4 at 300 dpi: what a print shop expects, and a PNG of a few hundred kB.
DPI = 300
WIDTH, HEIGHT = 2480, 3508
MARGIN = 180
RED = (200, 16, 46)  # the service center's red
INK = (33, 33, 33)
GREY = (110, 110, 110)
WHITE = (255, 255, 255)

# Telegram's deep-link payload: at most 64 of A-Za-z0-9_-. Ours is "b" and the building's id.
PAYLOAD_PREFIX = "b"
_PAYLOAD = re.compile(rf"^{PAYLOAD_PREFIX}([1-9][0-9]{{0,17}})$")


def payload(building_id: int) -> str:
    return f"{PAYLOAD_PREFIX}{building_id}"


def building_of_payload(text: str) -> int | None:
    """The building id a /start payload names, or None if it is not a poster's."""
    match = _PAYLOAD.match(text)
    return int(match.group(1)) if match else None


def deep_link(bot_username: str, building_id: int) -> str:
    """The link the poster's QR code holds: it opens the bot and starts registration there."""
    return f"https://t.me/{bot_username}?start={payload(building_id)}"


# A PDF holds at most this many pages, so that even a large community's file stays well
# under Telegram's 50 MB for a bot's upload (a page is about 0.45 MB).
PDF_PAGES = 40
MENU_PAGE = 24  # building buttons under /poster, three to a row


def printable(directory: Directory, user_id: int) -> list[Building]:
    """The buildings whose posters this person may print: every building in use for an
    admin, the buildings of their grids for a grid worker, none for anyone else."""
    staff = directory.staff(user_id)
    if staff is None:
        return []
    if staff.admin:
        return directory.active_buildings
    grids = {g.id for g in staff.grids}
    return [b for b in directory.active_buildings if b.grid in grids]


def find_building(directory: Directory, text: str) -> Building | None:
    """The building in use that a typed argument names: its name, else its id."""
    named = directory.building_named(text)
    if named is not None:
        return named
    return directory.building(int(text)) if text.isdecimal() and len(text) < 19 else None


def menu_page(buildings: Sequence[Building], page: int) -> tuple[list[Building], int, int]:
    """The buildings on one page of the /poster buttons, that page (kept in range) and the
    number of pages."""
    count = max(1, -(-len(buildings) // MENU_PAGE))
    page = min(max(page, 0), count - 1)
    return list(buildings[page * MENU_PAGE : (page + 1) * MENU_PAGE]), page, count


def chunks(buildings: Sequence[Building], size: int = PDF_PAGES) -> list[list[Building]]:
    return [list(buildings[i : i + size]) for i in range(0, len(buildings), size)]


@dataclass(frozen=True)
class Poster:
    """What one poster says; every text plain (no HTML)."""

    community: str
    building: str
    grid: str
    link: str
    heading_zh: str
    heading_en: str
    steps_zh: str
    steps_en: str


def poster_for(community: str, directory: Directory, building: Building, username: str) -> Poster:
    """The poster of one building: always both languages, whoever asks for it."""
    grid = directory.grid(building.grid)
    return Poster(
        community=community,
        building=building.name,
        grid=grid.name if grid is not None else "",
        link=deep_link(username, building.id),
        heading_zh=plain(t("zh", "poster.heading")),
        heading_en=plain(t("en", "poster.heading")),
        steps_zh=plain(t("zh", "poster.steps")),
        steps_en=plain(t("en", "poster.steps")),
    )


def poster_png(poster: Poster, font: Path | None) -> bytes:
    """The poster as a PNG file's bytes."""
    out = io.BytesIO()
    draw_poster(poster, font).save(out, "PNG", dpi=(DPI, DPI))
    return out.getvalue()


def posters_pdf(posters: Iterable[Poster], font: Path | None) -> bytes:
    """One PDF, a page per poster. Each page is drawn and appended in turn, so memory holds
    one page however many buildings there are."""
    out = io.BytesIO()
    first = True
    for poster in posters:
        page = draw_poster(poster, font)
        page.save(out, "PDF", resolution=DPI, append=not first)
        first = False
    if first:
        raise ValueError("a PDF needs at least one poster")
    return out.getvalue()


# The fonts are cached and shared, and FreeType faces are not safe to use from two threads at
# once: one poster is drawn at a time.
_DRAWING = threading.Lock()


def draw_poster(poster: Poster, font_path: Path | None) -> Image.Image:
    """Draw the page: red band with the community, the building, headings, QR code, steps."""
    with _DRAWING:
        return _draw(poster, font_path)


def _draw(poster: Poster, font_path: Path | None) -> Image.Image:
    image = Image.new("RGB", (WIDTH, HEIGHT), WHITE)
    draw = ImageDraw.Draw(image)
    width = WIDTH - 2 * MARGIN
    face = functools.partial(_font, font_path)

    band = 460
    draw.rectangle((0, 0, WIDTH, band), fill=RED)
    lines, font = _fit(poster.community, face, 140, 60, width, 2)
    _centered(draw, lines, font, (band - _block(lines, font)) // 2, WHITE)

    y = band + 110
    lines, font = _fit(poster.building, face, 300, 90, width, 2)
    y = _centered(draw, lines, font, y, INK)
    if poster.grid:
        lines, font = _fit(poster.grid, face, 80, 50, width, 1)
        y = _centered(draw, lines, font, y + 10, GREY)

    y += 80
    lines, font = _fit(poster.heading_zh, face, 170, 80, width, 1)
    y = _centered(draw, lines, font, y, RED)
    lines, font = _fit(poster.heading_en, face, 90, 50, width, 2)
    y = _centered(draw, lines, font, y + 10, INK)

    # The steps and the link take the bottom; the QR code gets what is left, up to 1500 px.
    steps_font = face(54)
    steps_zh = _wrap(poster.steps_zh, steps_font, width)[:3]
    steps_en = _wrap(poster.steps_en, steps_font, width)[:3]
    link_lines, link_font = _fit(poster.link, face, 48, 30, width, 1)
    bottom = HEIGHT - 130 - _block(link_lines, link_font)
    steps_top = bottom - 40 - _block(steps_zh, steps_font) - 20 - _block(steps_en, steps_font)
    room = steps_top - 60 - (y + 60)
    qr = qr_image(poster.link, min(1500, room))
    image.paste(qr, ((WIDTH - qr.width) // 2, y + 60 + (room - qr.height) // 2))

    below = _centered(draw, steps_zh, steps_font, steps_top, INK)
    _centered(draw, steps_en, steps_font, below + 20, GREY)
    _centered(draw, link_lines, link_font, bottom + 40, GREY)
    return image


def qr_image(data: str, size: int) -> Image.Image:
    """A QR code at most `size` pixels square, with whole pixels per module and its quiet
    zone, so any phone reads it from the printed page."""
    code = segno.make(data, error="m", micro=False)
    rows = [list(row) for row in code.matrix_iter(scale=1, border=4)]
    modules = len(rows)
    small = Image.new("L", (modules, modules), 255)
    small.putdata([0 if dark else 255 for row in rows for dark in row])
    scale = max(1, size // modules)
    return small.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)


# --- text --------------------------------------------------------------------------------

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@functools.cache
def _font(path: Path | None, size: int) -> Font:
    if path is None:  # no CJK font anywhere: Latin still reads, Chinese will not
        return ImageFont.load_default(size)
    return ImageFont.truetype(str(path), size, index=_face_index(path))


@functools.cache
def _face_index(path: Path) -> int:
    """In a font collection (.ttc) the Simplified Chinese face, else the first."""
    if path.suffix.lower() != ".ttc":
        return 0
    for index in range(16):
        try:
            family = ImageFont.truetype(str(path), 12, index=index).getname()[0] or ""
        except OSError:
            break
        if family.endswith((" SC", "SC", " GB")) or "Hans" in family:
            return index
    return 0


def _line_height(font: Font) -> int:
    size = getattr(font, "size", 20)
    return int(size * 1.3)


def _block(lines: Sequence[str], font: Font) -> int:
    return len(lines) * _line_height(font)


def _wrap(text: str, font: Font, width: int) -> list[str]:
    """Lines that fit `width`: a run of Latin letters and digits stays whole where it can,
    other characters (Chinese has no spaces) break anywhere; too long a run is cut."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for token in re.findall(r"[!-~]+\s*|\S\s*|\s+", paragraph):
            if line and font.getlength(line + token.rstrip()) > width:
                lines.append(line.rstrip())
                line = token.lstrip()
            else:
                line += token
            while len(line) > 1 and font.getlength(line.rstrip()) > width:
                cut = len(line) - 1
                while cut > 1 and font.getlength(line[:cut]) > width:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line.rstrip())
    return lines


def _fit(
    text: str, face: functools.partial[Font], largest: int, smallest: int, width: int, most: int
) -> tuple[list[str], Font]:
    """The largest size at which `text` takes at most `most` lines; at the smallest size what
    is still too long is cut with "…"."""
    size = largest
    while True:
        font = face(size)
        lines = _wrap(text, font, width)
        if len(lines) <= most:
            return lines, font
        if size <= smallest:
            kept = lines[:most]
            last = kept[-1]
            while last and font.getlength(last + "…") > width:
                last = last[:-1]
            kept[-1] = last + "…"
            return kept, font
        size = max(smallest, int(size * 0.9))


def _centered(
    draw: ImageDraw.ImageDraw,
    lines: Sequence[str],
    font: Font,
    top: int,
    fill: tuple[int, int, int],
) -> int:
    """Draw lines centred from `top`; the y below them."""
    step = _line_height(font)
    for n, line in enumerate(lines):
        draw.text((WIDTH // 2, top + n * step), line, font=font, fill=fill, anchor="mt")
    return top + len(lines) * step
