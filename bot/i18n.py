"""Every user-visible text, from the gettext catalogs in bot/locales (one .po file a language).

The catalogs are key-based: each `msgid` is a key the code uses (`report.saved`), its `msgstr`
the text, with `{name}` placeholders and Telegram's HTML. A text that depends on a count is a
plural entry chosen by the `n` parameter, by the catalog's own Plural-Forms rule. English is
the source: a text missing in another language falls back to it, and the tests fail.
Adding a language is adding `bot/locales/<code>.po`.
"""

from __future__ import annotations

import functools
import gettext
import re
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from html import escape
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import DateTimePattern, match_skeleton, parse_pattern
from babel.messages.pofile import read_po

LOCALES = Path(__file__).parent / "locales"
SOURCE = "en"
# The languages the bot was written in come first in menus; any other follows by its code.
FIRST = ("zh", "en")

Text = str | tuple[str, ...]  # one text, or its plural forms


@dataclass(frozen=True)
class Catalog:
    lang: str
    texts: dict[str, Text]
    plural: Callable[[int], int]  # the form index for a count
    forms: int


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as fh:
        po = read_po(fh)
    texts: dict[str, Text] = {}
    for message in po:
        if not message.id:
            continue  # the header
        forms = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if message.fuzzy or not all(forms):
            continue  # untranslated or marked "needs work" (gettext skips those too): English
        key = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
        value = message.string
        texts[str(key)] = tuple(value) if isinstance(value, (list, tuple)) else str(value)
    return Catalog(path.stem, texts, gettext.c2py(po.plural_expr), po.num_plurals)


def read_catalogs(directory: Path) -> dict[str, Catalog]:
    """Every catalog in a directory, by language code."""
    return {path.stem: read_catalog(path) for path in sorted(directory.glob("*.po"))}


def _ordered(codes: Iterable[str]) -> tuple[str, ...]:
    codes = set(codes)
    return tuple(c for c in FIRST if c in codes) + tuple(sorted(codes - set(FIRST)))


def languages(directory: Path = LOCALES) -> tuple[str, ...]:
    """The languages of the catalogs in a directory: zh, en, then the others by code."""
    return _ordered(path.stem for path in directory.glob("*.po"))


_catalogs: dict[str, Catalog] = {}
_extra: list[Path] = []
LANGUAGES: tuple[str, ...] = ()


def _load() -> None:
    global LANGUAGES
    catalogs = read_catalogs(LOCALES)
    for directory in _extra:
        for lang, more in read_catalogs(directory).items():
            base = catalogs.get(lang)
            if base is not None:
                catalogs[lang] = Catalog(
                    lang, {**base.texts, **more.texts}, base.plural, base.forms
                )
    if SOURCE not in catalogs:
        raise RuntimeError(f"no {SOURCE}.po in {LOCALES}")
    _catalogs.clear()
    _catalogs.update(catalogs)
    LANGUAGES = _ordered(catalogs)


def add_catalogs(directory: Path) -> None:
    """Add the texts of more catalogs (say, of a request kind that brings its own)."""
    _extra.append(directory)
    _load()


def remove_catalogs(directory: Path) -> None:
    _extra.remove(directory)
    _load()


_load()


class Markup(str):
    """A string that is already safe HTML."""

    __slots__ = ()


def t(lang: str, key: str, **params: Any) -> str:
    """The text for `key` in `lang`, with params; str params are HTML-escaped.

    Pass markup that must survive (a user mention) wrapped in `Markup`. A plural text takes
    its form from the `n` parameter.
    """
    catalog = _catalogs.get(lang, _catalogs[SOURCE])
    text = catalog.texts.get(key)
    if text is None:  # not translated yet: the source text
        catalog = _catalogs[SOURCE]
        text = catalog.texts[key]
    if isinstance(text, tuple):
        index = catalog.plural(int(params.get("n", 1)))
        text = text[min(index, len(text) - 1)]
    safe = {k: v if isinstance(v, Markup) else _escape(v) for k, v in params.items()}
    return text.format(**safe)


def every(key: str, **params: Any) -> tuple[str, ...]:
    """The text in every language (to recognise a menu button pressed in any of them)."""
    return tuple(t(lang, key, **params) for lang in LANGUAGES)


_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def language_id(lang: str) -> int:
    """The number that stands for a language in button data: its code read in base 36, so a
    language added later never changes what an old button picks."""
    return int(lang, 36)


def language_of(number: int) -> str | None:
    """The language a button's number stands for, if the bot has it."""
    code = ""
    while number:
        number, digit = divmod(number, 36)
        code = _DIGITS[digit] + code
    return code if code in LANGUAGES else None


def keys() -> list[str]:
    return list(_catalogs[SOURCE].texts)


def _escape(value: Any) -> Any:
    return escape(value, quote=False) if isinstance(value, str) else value


def pick_language(telegram_code: str | None) -> str:
    """The Telegram client's language if there is a catalog for it (zh-hans → zh), else
    English."""
    primary = (telegram_code or "").lower().replace("_", "-").split("-")[0]
    return primary if primary in LANGUAGES else SOURCE


def moment(lang: str, when: datetime, tz: tzinfo) -> str:
    """A date and time as a reader of `lang` writes it: 11月24日 03:06, Nov 24, 03:06."""
    locale, day, time, both = _moment_formats(lang)
    local = when.astimezone(tz)
    return both.format(time.apply(local, locale), day.apply(local, locale))


@functools.cache
def _moment_formats(lang: str) -> tuple[Locale, DateTimePattern, DateTimePattern, str]:
    """The language's patterns for `moment`, looked up once (as babel's format_skeleton
    would, at every call: a digest formats thousands of deadlines)."""
    try:
        locale = Locale.parse(lang)
    except (UnknownLocaleError, ValueError):  # a catalog CLDR does not know: English dates
        locale = Locale.parse(SOURCE)

    def pattern(skeleton: str) -> DateTimePattern:
        known = locale.datetime_skeletons
        if skeleton not in known:
            skeleton = match_skeleton(skeleton, known) or skeleton
        return parse_pattern(known[skeleton])

    return locale, pattern("MMMd"), pattern("Hm"), str(locale.datetime_formats["medium"])


# --- checking catalogs against the source -----------------------------------------------


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def catalog_problems(directory: Path = LOCALES) -> list[str]:
    """What is wrong with the catalogs in a directory, against the English source: missing
    or extra entries, placeholders that differ, plural entries that are not plural elsewhere,
    a wrong number of plural forms, and texts that do not format."""
    catalogs = read_catalogs(directory)
    source = catalogs.get(SOURCE)
    if source is None:
        return [f"no {SOURCE}.po in {directory}"]
    problems: list[str] = []
    for path in sorted(directory.glob("*.po")):
        if not re.fullmatch(r"[a-z]{2,3}", path.stem):
            problems.append(f"{path.name}: name it by the language's code, such as ja.po")
        written = re.findall(r'^msgid "(.+)"$', path.read_text("utf-8"), re.MULTILINE)
        for key in sorted({k for k in written if written.count(k) > 1}):
            problems.append(f"{path.stem}: {key} is written twice (only the first counts)")
    for lang, catalog in catalogs.items():
        for key in source.texts.keys() - catalog.texts.keys():
            problems.append(f"{lang}: {key} is missing")
        for key in catalog.texts.keys() - source.texts.keys():
            problems.append(f"{lang}: {key} is not in {SOURCE}.po")
        for key, text in catalog.texts.items():
            original = source.texts.get(key)
            if original is None:
                continue
            forms = text if isinstance(text, tuple) else (text,)
            wanted = _placeholders(original)
            if isinstance(original, tuple) != isinstance(text, tuple):
                problems.append(
                    f"{lang}: {key} must {'' if isinstance(original, tuple) else 'not '}be plural"
                )
            elif isinstance(text, tuple) and len(text) != catalog.forms:
                problems.append(f"{lang}: {key} has {len(text)} plural forms, not {catalog.forms}")
            for index, form in enumerate(forms):
                if not form.strip():
                    problems.append(f"{lang}: {key} is empty")
                    continue
                try:
                    got = fields(form)
                    form.format(**dict.fromkeys(got, "x"))
                except (ValueError, IndexError, KeyError, AttributeError) as exc:
                    problems.append(f"{lang}: {key} does not format ({exc!r})")
                    continue
                if not all(name.isidentifier() for name in got):
                    problems.append(f"{lang}: {key} has a placeholder that is not a plain name")
                # As msgfmt --check-format: a plural form used for one count only ("one" in
                # English) may leave the count out: "Your request:".
                if got != wanted and not (
                    isinstance(text, tuple) and got == wanted - {"n"} and _only_one(catalog, index)
                ):
                    problems.append(
                        f"{lang}: {key} has placeholders {sorted(got)}, {SOURCE} has {sorted(wanted)}"
                    )
    return sorted(problems)


def _only_one(catalog: Catalog, index: int) -> bool:
    """Is plural form `index` of the catalog used for a single count (of 0-999)?"""
    return sum(1 for n in range(1000) if catalog.plural(n) == index) == 1


def _placeholders(text: Text) -> set[str]:
    forms = text if isinstance(text, tuple) else (text,)
    return set().union(*(fields(form) for form in forms))
