"""Configuration: the TOML file, BOT__ environment overrides and validation."""

from __future__ import annotations

import copy
import json
import os
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.settings import Settings, load_settings

REPO_ROOT = Path(__file__).resolve().parent.parent

BASE: dict[str, Any] = {
    "admins": [900],
    "admin_chat_id": -100900,
    "community": {"name": "Nanning St.", "timezone": "Europe/Berlin", "group_language": "en"},
    "database": {"path": "data/test.sqlite3"},
    "telegram": {
        "token": "111:FILE-TOKEN",
        "api_base_url": "http://file.example/bot",
        "poll_timeout_seconds": 7,
    },
    "grids": [
        {
            "id": "A",
            "name": "Grid A",
            "buildings": ["1", "2"],
            "group_chat_id": -100111,
            "workers": [201, 202],
        },
        {"id": "B", "name": "Grid B", "buildings": ["3"], "workers": [301]},
    ],
    "categories": [
        {
            "id": "water",
            "name_zh": "水管",
            "name_en": "Plumbing",
            "claim_hours": 2,
            "resolve_hours": 24,
        }
    ],
}


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(value)


def _toml(data: dict[str, Any]) -> str:
    """Just enough TOML for these tests: scalars, lists, tables and arrays of tables."""
    lines: list[str] = []
    tables: list[str] = []
    for key, value in data.items():
        if isinstance(value, dict):
            tables.append(f"\n[{key}]")
            tables.extend(f"{k} = {_value(v)}" for k, v in value.items())
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                tables.append(f"\n[[{key}]]")
                tables.extend(f"{k} = {_value(v)}" for k, v in item.items())
        else:
            lines.append(f"{key} = {_value(value)}")
    return "\n".join(lines + tables) + "\n"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.upper().startswith("BOT__"):
            monkeypatch.delenv(name)
    yield


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(_toml(data), encoding="utf-8")
    return path


def _base() -> dict[str, Any]:
    return copy.deepcopy(BASE)


def _error(tmp_path: Path, data: dict[str, Any]) -> ValidationError:
    path = _write(tmp_path, data)
    with pytest.raises(ValidationError) as caught:
        load_settings(path)
    return caught.value


def _locs(error: ValidationError) -> list[tuple[str | int, ...]]:
    return [tuple(e["loc"]) for e in error.errors()]


def test_load_from_toml(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, _base()))
    assert settings.community.name == "Nanning St."
    assert settings.community.timezone == "Europe/Berlin"
    assert settings.community.tz.key == "Europe/Berlin"
    assert settings.community.group_language == "en"
    assert settings.database.path == Path("data/test.sqlite3")
    assert settings.telegram.token.get_secret_value() == "111:FILE-TOKEN"
    assert settings.telegram.api_base_url == "http://file.example/bot"
    assert settings.telegram.poll_timeout_seconds == 7
    assert settings.admins == [900]
    assert settings.admin_chat_id == -100900
    assert [g.id for g in settings.grids] == ["A", "B"]
    assert settings.grids[0].workers == [201, 202]
    assert settings.grids[1].group_chat_id is None
    assert settings.buildings == ["1", "2", "3"]
    grid = settings.building_grid("3")
    assert grid is not None and grid.id == "B"
    assert settings.building_grid("99") is None
    category = settings.category("water")
    assert category is not None and category.claim_hours == 2
    assert settings.category("gas") is None
    # Defaults for what the file leaves out.
    assert settings.telegram.api_file_url == "https://api.telegram.org/file/bot"
    assert settings.outbox.poll_seconds == 1.0
    assert settings.community.duplicate_window_days == 7


def test_environment_wins_over_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, _base())
    monkeypatch.setenv("BOT__TELEGRAM__TOKEN", "222:ENV-TOKEN")
    monkeypatch.setenv("BOT__TELEGRAM__API_BASE_URL", "http://env.example:8081/bot")
    settings = load_settings(path)
    assert settings.telegram.token.get_secret_value() == "222:ENV-TOKEN"
    assert settings.telegram.api_base_url == "http://env.example:8081/bot"
    # Keys of the same section that the environment does not name stay from the file.
    assert settings.telegram.poll_timeout_seconds == 7
    assert settings.community.name == "Nanning St."
    assert [g.id for g in settings.grids] == ["A", "B"]


def test_environment_override_is_validated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, _base())
    monkeypatch.setenv("BOT__TELEGRAM__API_BASE_URL", "ftp://env.example/bot")
    with pytest.raises(ValidationError) as caught:
        load_settings(path)
    assert ("telegram", "api_base_url") in _locs(caught.value)


def test_token_is_not_shown(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, _base()))
    assert "FILE-TOKEN" not in repr(settings)
    assert "FILE-TOKEN" not in str(settings.telegram)


def test_bad_timezone(tmp_path: Path) -> None:
    data = _base()
    data["community"]["timezone"] = "Mars/Olympus_Mons"
    error = _error(tmp_path, data)
    assert ("community", "timezone") in _locs(error)
    assert "Mars/Olympus_Mons" in str(error)


def test_duplicate_grid_id(tmp_path: Path) -> None:
    data = _base()
    data["grids"][1]["id"] = "A"
    error = _error(tmp_path, data)
    assert "grids: 'A' appears twice" in str(error)


def test_duplicate_category_id(tmp_path: Path) -> None:
    data = _base()
    data["categories"].append(copy.deepcopy(data["categories"][0]))
    error = _error(tmp_path, data)
    assert "categories: 'water' appears twice" in str(error)


def test_building_in_two_grids(tmp_path: Path) -> None:
    data = _base()
    data["grids"][1]["buildings"] = ["3", "2"]
    error = _error(tmp_path, data)
    assert "grids[].buildings: '2' appears twice" in str(error)


@pytest.mark.parametrize("chat_id", [0, 100111])
def test_group_chat_id_must_be_negative(tmp_path: Path, chat_id: int) -> None:
    data = _base()
    data["grids"][0]["group_chat_id"] = chat_id
    error = _error(tmp_path, data)
    assert ("grids", 0, "group_chat_id") in _locs(error)


def test_grid_that_reaches_nobody_needs_an_admin_chat(tmp_path: Path) -> None:
    data = _base()
    data["grids"][1]["workers"] = []
    # With an admin chat, such a grid is fine: its cards go there.
    settings = load_settings(_write(tmp_path, data))
    assert settings.grids[1].workers == []
    del data["admin_chat_id"]
    error = _error(tmp_path, data)
    assert "grid 'B'" in str(error)
    assert "admin_chat_id" in str(error)


@pytest.mark.parametrize("field", ["grids", "categories"])
def test_missing_grids_or_categories(tmp_path: Path, field: str) -> None:
    data = _base()
    del data[field]
    error = _error(tmp_path, data)
    assert (field,) in _locs(error)


def test_missing_file_still_needs_grids_and_categories(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        load_settings(tmp_path / "absent.toml")
    assert {("grids",), ("categories",)} <= set(_locs(caught.value))


@pytest.mark.parametrize("field", ["api_base_url", "api_file_url"])
def test_bad_api_url(tmp_path: Path, field: str) -> None:
    data = _base()
    data["telegram"][field] = "api.telegram.org/bot"
    error = _error(tmp_path, data)
    assert ("telegram", field) in _locs(error)


def test_unknown_top_level_key(tmp_path: Path) -> None:
    data = _base()
    data["admin_chat"] = -100900  # a typo of admin_chat_id
    error = _error(tmp_path, data)
    assert ("admin_chat",) in _locs(error)
    assert error.errors()[0]["type"] == "extra_forbidden"


def test_unknown_section(tmp_path: Path) -> None:
    data = _base()
    data["telegramm"] = {"token": "x"}
    error = _error(tmp_path, data)
    assert ("telegramm",) in _locs(error)


@pytest.mark.parametrize(
    ("section", "key"),
    [("telegram", "api_base_ulr"), ("community", "timezon"), ("outbox", "poll_second")],
)
def test_unknown_key_in_a_section(tmp_path: Path, section: str, key: str) -> None:
    data = _base()
    data[section] = {**data.get(section, {}), key: "x"}
    error = _error(tmp_path, data)
    assert (section, key) in _locs(error)


def test_unknown_key_in_a_grid(tmp_path: Path) -> None:
    data = _base()
    data["grids"][1]["worker"] = [302]  # a typo of workers
    error = _error(tmp_path, data)
    assert ("grids", 1, "worker") in _locs(error)


def test_out_of_range_numbers(tmp_path: Path) -> None:
    data = _base()
    data["telegram"]["concurrent_updates"] = 0
    data["categories"][0]["claim_hours"] = 0
    error = _error(tmp_path, data)
    assert {("telegram", "concurrent_updates"), ("categories", 0, "claim_hours")} <= set(
        _locs(error)
    )


def test_example_config_loads_and_shows_every_setting() -> None:
    example = REPO_ROOT / "config.example.toml"
    settings = load_settings(example)
    assert isinstance(settings, Settings)
    assert settings.grids and settings.categories
    # Every key of every section is written (and commented) in the example.
    with example.open("rb") as fh:
        written = tomllib.load(fh)
    for section in ("community", "database", "telegram", "outbox"):
        model = type(getattr(settings, section))
        missing = set(model.model_fields) - set(written[section])
        assert not missing, f"[{section}] lacks {sorted(missing)}"
