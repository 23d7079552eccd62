"""Texts: the gettext catalogs in bot/locales agree with the English source, every key the
code uses is in them, plurals and dates read right, params are HTML-escaped."""

from __future__ import annotations

import ast
import re
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import i18n
from bot.domain import Action, Status
from bot.i18n import (
    LOCALES,
    Markup,
    catalog_problems,
    every,
    fields,
    keys,
    languages,
    moment,
    pick_language,
    read_catalogs,
    t,
)
from bot.kinds import kinds
from bot.menus import EVERY_COMMAND
from bot.render import CARD_BUTTONS
from bot.settings import AFFILIATIONS, DEFAULT_WISH_KINDS

ROOT = Path(__file__).resolve().parent.parent
PLURAL = {
    key for key, text in read_catalogs(LOCALES)["en"].texts.items() if isinstance(text, tuple)
}


def _copy(tmp_path: Path) -> Path:
    """The shipped catalogs, copied where a test may break them."""
    directory = tmp_path / "locales"
    shutil.copytree(LOCALES, directory)
    return directory


def _edit_entry(po: Path, key: str, change: Callable[[str], str]) -> None:
    """Change the entry (comments and all) of `key` in a .po file; "" deletes it."""
    blocks = po.read_text("utf-8").split("\n\n")
    hits = [n for n, block in enumerate(blocks) if f'\nmsgid "{key}"\n' in f"\n{block}\n"]
    assert len(hits) == 1, key
    blocks[hits[0]] = change(blocks[hits[0]])
    po.write_text("\n\n".join(b for b in blocks if b), "utf-8")


# --- the shipped catalogs ------------------------------------------------------------------


def test_there_are_texts_in_zh_and_en_first() -> None:
    assert i18n.LANGUAGES[:2] == ("zh", "en")
    assert languages(LOCALES) == i18n.LANGUAGES
    assert len(keys()) > 50
    assert [t(lang, "lang.name") for lang in ("zh", "en")] == ["中文", "English"]


def test_the_shipped_catalogs_agree_with_the_source() -> None:
    """Every entry in every language, the same placeholders, plural where English is, and
    every text formats: what a translator must get right."""
    assert catalog_problems(LOCALES) == []


def test_keys_are_in_the_written_order() -> None:
    catalogs = read_catalogs(LOCALES)
    assert list(catalogs["zh"].texts) == list(catalogs["en"].texts)


@pytest.mark.parametrize("key", keys())
def test_every_text_formats_in_every_language(key: str) -> None:
    names = set().union(*(fields(f) for f in _forms(read_catalogs(LOCALES)["en"].texts[key])))
    params: dict[str, object] = {name: f"§{name}§" for name in names - {"n"}}
    if "n" in names:
        params["n"] = 7
    for lang in i18n.LANGUAGES:
        text = t(lang, key, **params)
        assert text.strip()
        for name, value in params.items():
            assert str(value) in text, (lang, key, name)


def _forms(text: str | tuple[str, ...]) -> tuple[str, ...]:
    return text if isinstance(text, tuple) else (text,)


# --- what catalog_problems finds -----------------------------------------------------------


def test_a_missing_entry_is_named_with_its_language(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit_entry(directory / "zh.po", "report.saved", lambda _: "")
    problems = catalog_problems(directory)
    assert problems == ["zh: report.saved is missing"]


def test_an_untranslated_entry_counts_as_missing(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit_entry(directory / "zh.po", "btn.skip", lambda b: b.replace('"跳过"', '""'))
    assert catalog_problems(directory) == ["zh: btn.skip is missing"]


def test_a_changed_placeholder_is_named(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit_entry(directory / "zh.po", "report.saved", lambda b: b.replace("{number}", "{numero}"))
    problems = catalog_problems(directory)
    assert len(problems) == 1
    assert problems[0].startswith("zh: report.saved has placeholders")
    assert "numero" in problems[0] and "number" in problems[0]


@pytest.mark.parametrize(
    ("lang", "key", "change", "expected"),
    [
        # An entry English does not have.
        ("zh", "btn.skip", lambda b: b + '\n\nmsgid "btn.nowhere"\nmsgstr "哪里"', "btn.nowhere"),
        # Plural in English, a plain text here.
        (
            "zh",
            "my.header",
            lambda b: b.replace('msgid_plural "my.header"\n', "").replace("msgstr[0]", "msgstr"),
            "must be plural",
        ),
        # A stray brace.
        ("zh", "report.saved", lambda b: b.replace("{number}", "{number"), "does not format"),
        # The count left out of a form used for many counts.
        ("en", "card.followers", lambda b: b.replace("{n} more residents", "More"), "['n']"),
        # Written twice: only the first would count.
        ("en", "btn.skip", lambda b: b + "\n\n" + b, "written twice"),
    ],
)
def test_problems_are_named(
    tmp_path: Path, lang: str, key: str, change: Callable[[str], str], expected: str
) -> None:
    directory = _copy(tmp_path)
    _edit_entry(directory / f"{lang}.po", key, change)
    problems = catalog_problems(directory)
    assert any(expected in p for p in problems), problems


def test_the_count_may_be_left_out_only_where_a_form_means_one(tmp_path: Path) -> None:
    """As msgfmt: English "one" is used for 1 only, so "Your request:" needs no {n}; the one
    form of Chinese is used for every count and must show it."""
    assert t("en", "my.header", n=1) == "Your request:"
    directory = _copy(tmp_path)
    _edit_entry(directory / "zh.po", "my.header", lambda b: b.replace("最近 {n} 条", "最近"))
    assert catalog_problems(directory) == [
        "zh: my.header has placeholders [], en has ['n']",
    ]


# --- a third language ------------------------------------------------------------------------


def test_a_language_is_a_file(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    english = (directory / "en.po").read_text("utf-8")
    french = english.replace('"Language: en\\n"', '"Language: fr\\n"').replace(
        "nplurals=2; plural=(n != 1);", "nplurals=2; plural=(n > 1);"
    )
    french = french.replace('msgstr "English"', 'msgstr "Français"')
    (directory / "fr.po").write_text(french, "utf-8")
    assert languages(directory) == ("zh", "en", "fr")
    catalogs = read_catalogs(directory)
    assert catalogs["fr"].texts["lang.name"] == "Français"
    assert catalogs["fr"].plural(1) == catalogs["fr"].plural(0) == 0  # French: 0 is singular
    # French says "0 demande" too: a singular form without {n} would hide the count.
    assert [p for p in catalog_problems(directory) if "has placeholders" in p] == [
        "fr: my.header has placeholders [], en has ['n']",
        "fr: staff.claims has placeholders [], en has ['n']",
    ]
    french = french.replace('msgstr[0] "Your request:"', 'msgstr[0] "Votre demande ({n}) :"')
    french = french.replace("The request you are working on;", "Votre demande en cours ({n}) ;")
    (directory / "fr.po").write_text(french, "utf-8")
    assert catalog_problems(directory) == []


def test_a_catalog_is_named_by_its_language_code(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    shutil.copy(directory / "en.po", directory / "pt_BR.po")
    assert "pt_BR.po: name it by the language's code, such as ja.po" in catalog_problems(directory)


def test_a_language_button_names_its_language_whatever_is_added() -> None:
    # The number is the code itself, not a place in a list that a new language would shift.
    assert [i18n.language_of(i18n.language_id(lang)) for lang in i18n.LANGUAGES] == list(
        i18n.LANGUAGES
    )
    assert i18n.language_id("en") != i18n.language_id("zh")
    assert i18n.language_of(i18n.language_id("ja")) is None  # no ja.po
    assert i18n.language_of(0) is None and i18n.language_of(1) is None


def test_other_languages_follow_zh_and_en_by_code(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    for code in ("ja", "de"):
        shutil.copy(directory / "en.po", directory / f"{code}.po")
    assert languages(directory) == ("zh", "en", "de", "ja")


@pytest.fixture
def english_only(tmp_path: Path) -> Iterator[str]:
    """A text added in English only (as a kind that brings its own catalogs might)."""
    directory = tmp_path / "more"
    directory.mkdir()
    (directory / "en.po").write_text(
        'msgid ""\nmsgstr "Language: en\\n"\n\nmsgid "test.only_en"\nmsgstr "Only {what}"\n',
        "utf-8",
    )
    i18n.add_catalogs(directory)
    try:
        yield "test.only_en"
    finally:
        i18n.remove_catalogs(directory)


def test_a_text_missing_in_a_language_falls_back_to_english(english_only: str) -> None:
    assert t("zh", english_only, what="<b>") == "Only &lt;b&gt;"
    assert t("en", english_only, what="x") == "Only x"


def test_a_language_without_catalog_reads_english() -> None:
    assert t("fr", "lang.set") == t("en", "lang.set") == "Language set to English."


# --- plurals, dates ----------------------------------------------------------------------------


def test_plural_entries() -> None:
    assert {"card.followers", "my.header", "staff.claims", "staff.more"} <= PLURAL
    assert "report.photo_added" not in PLURAL  # "Photo 1/3": a number, not a count


def test_english_plurals_read_right_for_one_and_many() -> None:
    assert t("en", "my.header", n=1) == "Your request:"
    assert t("en", "my.header", n=3) == "Your requests (latest 3):"
    assert t("en", "card.followers", n=1) == "👥 1 more resident reported the same problem"
    assert t("en", "card.followers", n=2) == "👥 2 more residents reported the same problem"
    assert t("en", "staff.more", n=1) == "…and 1 more request"
    assert t("en", "staff.more", n=11) == "…and 11 more requests"
    assert t("en", "staff.claims", n=1).startswith("The request you are working on;")
    assert t("en", "staff.claims", n=2).startswith("Requests you are working on (2);")


def test_chinese_has_one_form() -> None:
    assert t("zh", "my.header", n=1) == "您的报修(最近 1 条):"
    assert t("zh", "my.header", n=3) == "您的报修(最近 3 条):"
    assert all(len(read_catalogs(LOCALES)["zh"].texts[key]) == 1 for key in PLURAL)


def test_moment_is_written_as_the_reader_writes_dates() -> None:
    when = datetime(2026, 11, 23, 19, 6, tzinfo=UTC)
    shanghai = ZoneInfo("Asia/Shanghai")
    assert moment("zh", when, shanghai) == "11月24日 03:06"
    assert moment("en", when, shanghai) == "Nov 24, 03:06"
    assert moment("en", when, ZoneInfo("Europe/Berlin")) == "Nov 23, 20:06"


# --- HTML and lookups --------------------------------------------------------------------------


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


def test_every_language_at_once() -> None:
    assert every("btn.skip") == ("跳过", "Skip")


def test_unknown_key() -> None:
    with pytest.raises(KeyError):
        t("en", "no.such.key")
    with pytest.raises(KeyError):
        t("zh", "no.such.key")


@pytest.mark.parametrize(
    ("code", "lang"),
    [
        ("zh", "zh"),
        ("zh-hans", "zh"),
        ("zh-hant", "zh"),
        ("ZH-TW", "zh"),
        ("zh_CN", "zh"),
        ("en", "en"),
        ("en-US", "en"),
        ("de", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_pick_language(code: str | None, lang: str) -> None:
    assert pick_language(code) == lang


# --- every key the code uses is in the catalogs ----------------------------------------------

# Keyword arguments whose string value is a text key (a refusal's reason, a notice's key).
KEY_KEYWORDS = {"reason", "key", "refused_who", "refused_status"}
# Calls whose first (or, for t, second) argument is a text key.
FIRST_ARG_IS_KEY = {"both", "every", "_refuse"}
# f-string keys the code builds; their members are listed in test_dynamic_keys_exist.
DYNAMIC = ("status.", "event.", "command.", "card_status", "wish.kind.", "points.", "affiliation.")


def _python_files() -> list[Path]:
    return sorted(p for d in ("bot", "handlers") for p in (ROOT / d).rglob("*.py"))


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _strings(node: ast.expr | None, assigned: dict[str, set[str]]) -> set[str]:
    """The literal strings an expression can be: a literal, either side of `a if c else b`, or
    a local name only ever assigned such."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body, assigned) | _strings(node.orelse, assigned)
    if isinstance(node, ast.Name):
        return assigned.get(node.id, set())
    return set()


def _assigned_literals(tree: ast.AST) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                found.setdefault(target.id, set()).update(_strings(node.value, {}))
    return found


def _keys_in_code() -> tuple[dict[str, set[str]], set[str]]:
    """Literal keys (key -> files using it) and the source of every f-string key."""
    used: dict[str, set[str]] = {}
    dynamic: set[str] = set()
    for path in _python_files():
        if path.name == "i18n.py":
            continue
        tree = ast.parse(path.read_text("utf-8"), str(path))
        assigned = _assigned_literals(tree)
        where = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node)
            candidates: list[ast.expr | None] = []
            if name == "t" and len(node.args) >= 2:
                candidates.append(node.args[1])
            elif name in FIRST_ARG_IS_KEY and node.args:
                candidates.append(node.args[0])
            elif name == "Notice" and len(node.args) >= 2:
                candidates.append(node.args[1])
            candidates += [k.value for k in node.keywords if k.arg in KEY_KEYWORDS]
            for candidate in candidates:
                if isinstance(candidate, ast.JoinedStr):
                    dynamic.add(ast.unparse(candidate))
                for key in _strings(candidate, assigned):
                    used.setdefault(key, set()).add(where)
    return used, dynamic


def _add_event_actions() -> set[str]:
    """The literal actions the code writes to a request's timeline."""
    actions = set()
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and _call_name(node) == "add_event" and node.args[2:]:
                actions |= _strings(node.args[2], {})
    return actions


def _missing(wanted: dict[str, set[str]]) -> list[str]:
    known = set(keys())
    return sorted(
        f"{key} (in {', '.join(sorted(where))})"
        for key, where in wanted.items()
        if key not in known
    )


def test_every_literal_key_in_code_exists() -> None:
    used, _ = _keys_in_code()
    assert len(used) > 80  # the scan finds the code's keys
    assert _missing(used) == []


def test_dynamic_keys_are_known_families() -> None:
    _, dynamic = _keys_in_code()
    assert dynamic, "no f-string keys found: the scan is broken"
    unknown = [d for d in dynamic if not any(family in d for family in DYNAMIC)]
    assert unknown == [], "a new family of keys: list its members in test_dynamic_keys_exist"


def test_dynamic_keys_exist() -> None:
    wanted: dict[str, set[str]] = {}
    for status in Status:
        wanted.setdefault(f"status.{status}", set()).add("render.status_name")
    actions = _add_event_actions() | {r.action.value for p in kinds() for r in p.rules}
    assert {"filed", "follow", "claim", "resolve"} <= actions
    for action in actions:
        wanted.setdefault(f"event.{action}", set()).add("render.event_line")
    for command in EVERY_COMMAND:
        wanted.setdefault(f"command.{command}", set()).add("menus.EVERY_COMMAND")
    for wish_kind in DEFAULT_WISH_KINDS:
        wanted.setdefault(f"wish.kind.{wish_kind}", set()).add("settings.DEFAULT_WISH_KINDS")
    for reason in ("wish", "award", "redeem"):
        wanted.setdefault(f"points.{reason}", set()).add("volunteer.points")
    for affiliation in AFFILIATIONS:
        wanted.setdefault(f"affiliation.{affiliation}", set()).add("settings.AFFILIATIONS")
    for _, label in CARD_BUTTONS.values():
        wanted.setdefault(label, set()).add("render.CARD_BUTTONS")
    for decided in ("volunteer.decided_yes_by", "volunteer.decided_no_by"):
        wanted.setdefault(decided, set()).add("volunteer.decision")
    for policy in kinds():
        texts = policy.texts
        for key in (texts.card, texts.saved, texts.following, texts.details, texts.resolved):
            wanted.setdefault(key, set()).add(f"policy {policy.kind}")
        statuses = set(policy.active) | {s for r in policy.rules for s in r.sources}
        statuses |= {r.target for r in policy.rules if r.target is not None}
        for status in statuses:
            wanted.setdefault(f"{texts.card_status}.{status}", set()).add(f"{policy.kind} card")
        if policy.rule(Action.RATE):
            wanted.setdefault(f"{texts.card_status}.closed_unrated", set()).add("render.card")
        for rule in policy.rules:
            for key in (rule.refused_who, rule.refused_status, *(n.key for n in rule.notices)):
                wanted.setdefault(key, set()).add(f"policy {policy.kind}")
    assert _missing(wanted) == []


def test_no_text_is_left_in_code() -> None:
    """The catalogs are the only home of texts: no Chinese string literal in the code."""
    han = re.compile(r"[\u4e00-\u9fff]")
    found = []
    for path in _python_files():
        tree = ast.parse(path.read_text("utf-8"))
        docstrings = {id(d) for d in _docstrings(tree)}
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and han.search(node.value)
                and id(node) not in docstrings
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


def _docstrings(tree: ast.AST) -> Iterator[ast.expr]:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            yield body[0].value
