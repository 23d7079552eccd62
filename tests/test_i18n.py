"""Texts: both languages for every key, matching placeholders, HTML escaping."""

from __future__ import annotations

import ast
import inspect
import string

import pytest

from bot import i18n
from bot.i18n import LANGUAGES, Markup, both, keys, pick_language, raw, t


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _catalog_keys_as_written() -> list[str]:
    """The keys of the _TEXTS literal as written: a repeated key silently replaces the first
    in the dict, so only the source shows it."""
    tree = ast.parse(inspect.getsource(i18n))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "_TEXTS":
            assert isinstance(node.value, ast.Dict)
            return [str(k.value) for k in node.value.keys if isinstance(k, ast.Constant)]
    raise AssertionError("no _TEXTS catalog in bot/i18n.py")


def test_there_are_texts() -> None:
    assert LANGUAGES == ("zh", "en")
    assert len(keys()) > 50


def test_no_key_is_written_twice() -> None:
    written = _catalog_keys_as_written()
    assert len(written) == len(keys())
    assert len(written) == len(set(written)), sorted(k for k in written if written.count(k) > 1)


@pytest.mark.parametrize("key", keys())
def test_both_languages_present(key: str) -> None:
    zh, en = raw(key)
    assert zh.strip() and en.strip()


@pytest.mark.parametrize("key", keys())
def test_same_placeholders(key: str) -> None:
    zh, en = raw(key)
    assert _fields(zh) == _fields(en)
    # Named placeholders only: t() passes keyword arguments.
    assert all(name.isidentifier() for name in _fields(zh))


@pytest.mark.parametrize("key", keys())
def test_every_text_formats(key: str) -> None:
    zh, _ = raw(key)
    params = {name: f"§{name}§" for name in _fields(zh)}
    for lang in LANGUAGES:
        text = t(lang, key, **params)
        for value in params.values():
            assert value in text


def test_language_choice() -> None:
    zh, en = raw("lang.set")
    assert t("zh", "lang.set") == zh
    assert t("en", "lang.set") == en
    assert t("fr", "lang.set") == zh  # zh unless en
    assert both("lang.set") == (zh, en)


def test_str_params_are_escaped() -> None:
    text = t("en", "error.admin_report", error="<b>x & y</b>")
    assert text == "⚠️ Error while handling an update: &lt;b&gt;x &amp; y&lt;/b&gt;"
    assert "<b>" not in text


def test_markup_params_are_not_escaped() -> None:
    link = Markup('<a href="tg://user?id=201">Wang &amp; co</a>')
    text = t("en", "error.admin_report", error=link)
    assert text.endswith('<a href="tg://user?id=201">Wang &amp; co</a>')


def test_non_str_params_are_formatted_as_is() -> None:
    assert "12" in t("en", "reg.unit_bad", max=12)
    assert "12" in t("zh", "reg.unit_bad", max=12)


def test_unknown_key() -> None:
    with pytest.raises(KeyError):
        t("en", "no.such.key")
    with pytest.raises(KeyError):
        raw("no.such.key")


@pytest.mark.parametrize(
    ("code", "lang"),
    [
        ("zh", "zh"),
        ("zh-hans", "zh"),
        ("zh-hant", "zh"),
        ("ZH-TW", "zh"),
        ("en", "en"),
        ("en-US", "en"),
        ("de", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_pick_language(code: str | None, lang: str) -> None:
    assert pick_language(code) == lang
