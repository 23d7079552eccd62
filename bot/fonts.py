"""Where to find a font with Chinese glyphs, for the posters and charts the bot draws.

In order: the configured file (`[posters] font_path`), a CJK font the system has, and the
Noto Sans CJK that the `cvttf-notosanscjk-regular` package (a dependency) ships, so a fresh
machine without system fonts still draws Chinese.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
from pathlib import Path

log = logging.getLogger(__name__)

# Common places of CJK fonts on Debian, Ubuntu, Fedora, Alpine and macOS.
SYSTEM_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
)
PACKAGE = "cvttf_NotoSansCJK_Regular"
PACKAGE_FONT = "NotoSansCJKtc-Regular.otf"


def cjk_font_path(configured: Path | str | None = None) -> Path | None:
    """A font file that has Chinese glyphs, or None if there is none at all.

    `configured` (the `[posters] font_path` setting) wins when it names a file; otherwise
    a system CJK font, otherwise the packaged Noto Sans CJK.
    """
    if configured:
        path = Path(configured).expanduser()
        if path.is_file():
            return path
        log.warning("font %s not found; looking for another CJK font", path)
    return _found()


@functools.cache
def _found() -> Path | None:
    for name in SYSTEM_FONTS:
        if Path(name).is_file():
            return Path(name)
    return _packaged()


def _packaged() -> Path | None:
    """The font inside the installed package, found without importing it."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        log.warning("no CJK font: install %s or set [posters] font_path", PACKAGE)
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / PACKAGE_FONT
        if path.is_file():
            return path
    return None
