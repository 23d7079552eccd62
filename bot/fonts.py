"""A font that draws Chinese, for the charts: a system CJK font, else the one packaged in
PyPI's `cvttf-notosanscjk-regular`, else none (charts then label in Latin letters)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

_PACKAGE = "cvttf_NotoSansCJK_Regular"
_FONT_SUFFIXES = (".otf", ".ttf", ".ttc")


def _system_font() -> Path | None:
    """A font fontconfig knows for Chinese, if the machine has fontconfig and one."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        listed = subprocess.run(
            [fc_list, ":lang=zh", "file"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in sorted(listed.splitlines()):
        path = Path(line.split(":")[0].strip())
        if path.suffix.lower() in _FONT_SUFFIXES and path.is_file():
            return path
    return None


def _packaged_font() -> Path | None:
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        for path in sorted(Path(folder).iterdir()):
            if path.suffix.lower() in _FONT_SUFFIXES:
                return path
    return None


def cjk_font_path() -> Path | None:
    """The path of a font with Chinese glyphs, or None if there is none."""
    return _system_font() or _packaged_font()
