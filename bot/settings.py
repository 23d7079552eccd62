"""Configuration: a TOML file plus `BOT__SECTION__KEY` environment overrides."""

from __future__ import annotations

import re
import tomllib
from datetime import date, time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.limits import visible


class Section(BaseModel):
    # A misspelt key must fail at start, not silently fall back to a default.
    model_config = ConfigDict(extra="forbid")


class CommunitySettings(Section):
    name: str = "Community Service Center"
    timezone: str = "Asia/Shanghai"
    # Language of texts posted to group chats and the admin chat.
    group_language: str = "zh"
    # A new report matching an open one (same category, same building) this recent is offered
    # to the resident as a possible duplicate.
    duplicate_window_days: int = Field(default=7, ge=0, le=365)

    @field_validator("group_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        from bot.i18n import LANGUAGES

        if value not in LANGUAGES:
            raise ValueError(f"no texts in {value!r}: use one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r} (use an IANA name)") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class DatabaseSettings(Section):
    path: Path = Path("data/community.sqlite3")


class TelegramSettings(Section):
    token: SecretStr = SecretStr("")
    # Any Bot API-compatible server: Telegram's, a self-hosted telegram-bot-api, an emulator.
    api_base_url: str = "https://api.telegram.org/bot"
    api_file_url: str = "https://api.telegram.org/file/bot"
    # Updates handled at once across chats; each chat's updates are still handled in order.
    # A handler waiting for its reply's turn in the send budget holds one: many, so that a
    # burst of button presses is answered while the replies that follow wait for their turn.
    concurrent_updates: int = Field(default=256, ge=1, le=4096)
    # Updates of one person that may wait for their turn; more are refused politely.
    max_waiting_per_person: int = Field(default=20, ge=1, le=1000)
    # Bot API calls in flight at once (a call waits for a free connection up to
    # request_timeout_seconds). At 100 ms a call, 32 answer 1,000 presses in under 4 s.
    connection_pool_size: int = Field(default=32, ge=1, le=64)
    poll_timeout_seconds: int = Field(default=10, ge=0, le=50)
    # How long one Bot API call may take before it counts as timed out (and is tried again).
    request_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # How updates come in: "polling" (the bot asks Telegram) or "webhook" (Telegram posts to
    # webhook_url, which a reverse proxy passes to webhook_listen:webhook_port/webhook_path).
    mode: Literal["polling", "webhook"] = "polling"
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8081, ge=1, le=65535)
    webhook_path: str = "/telegram"
    # The public https address Telegram posts to (ending in webhook_path, as the proxy maps it).
    webhook_url: str = ""
    # Telegram sends it back in every request; set it in the environment
    # (BOT__TELEGRAM__WEBHOOK_SECRET), 1-256 characters of A-Z a-z 0-9 _ -.
    webhook_secret: SecretStr = SecretStr("")

    @field_validator("api_base_url", "api_file_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("webhook_path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must start with /")
        return value

    @model_validator(mode="after")
    def _webhook_complete(self) -> TelegramSettings:
        if self.mode != "webhook":
            return self
        if not self.webhook_url.startswith("https://"):
            raise ValueError("webhook mode needs webhook_url, the public https:// address")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", self.webhook_secret.get_secret_value()):
            raise ValueError(
                "webhook mode needs webhook_secret (BOT__TELEGRAM__WEBHOOK_SECRET): "
                "1-256 characters of A-Z a-z 0-9 _ -"
            )
        return self


class OutboxSettings(Section):
    poll_seconds: float = Field(default=1.0, gt=0, le=60)
    # Telegram allows about one message per second to one chat.
    per_chat_interval_seconds: float = Field(default=1.0, ge=0, le=60)
    backoff_base_seconds: float = Field(default=2.0, gt=0, le=600)
    backoff_max_seconds: float = Field(default=600.0, gt=0, le=86400)
    # A message that fails for a reason of ours (not Telegram's) is tried this often, then
    # parked as failed and reported to the admin chat.
    max_attempts: int = Field(default=8, ge=1, le=100)
    # Telegram's flood limits, kept by the bot's pacer (bot/pacer.py) for every message it
    # posts or edits: about 30 messages a second overall and 20 a minute in one group.
    messages_per_second: float = Field(default=30.0, gt=0, le=1000)
    group_messages: int = Field(default=20, ge=1, le=1000)
    group_period_seconds: float = Field(default=60.0, gt=0, le=3600)
    # The share of those limits the bot allows itself: a pace exactly at a limit reaches
    # Telegram with jitter and would be refused now and then.
    pace_share: float = Field(default=0.97, gt=0, le=1)
    # Sent messages are forgotten this many days after they went (the database grows with
    # requests, not with messages); a request's cards, events and figures stay.
    keep_sent_days: int = Field(default=30, ge=1, le=3650)


def _clock_time(value: str) -> str:
    try:
        time.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a time of day such as 08:00") from exc
    return value


class ScheduleSettings(Section):
    # How often the bot looks at deadlines, follow-ups and digests.
    tick_seconds: float = Field(default=60.0, gt=0, le=3600)
    # The holder of a request is warned this long before its resolve deadline.
    warn_before_minutes: int = Field(default=60, ge=0, le=24 * 60)
    # A resolved request the resident has not rated: one reminder after this many hours, then
    # it closes by itself ("closed without rating") after this many more.
    rating_reminder_hours: float = Field(default=24, gt=0, le=24 * 30)
    rating_close_hours: float = Field(default=72, gt=0, le=24 * 60)
    # Each grid's group gets its open, claimed and overdue requests every day at this time.
    digest_time: str = "08:00"
    # Residents get no message they did not ask for between these times; it waits in the
    # outbox until the end. Staff chats are not held. Equal times: no quiet hours.
    quiet_start: str = "22:00"
    quiet_end: str = "07:00"
    # Once a week (1 Monday … 7 Sunday) at this time: the echo wall post, and the admins' list
    # of wishes nobody has claimed.
    weekly_day: int = Field(default=7, ge=1, le=7)
    weekly_time: str = "18:00"

    _times = field_validator("digest_time", "quiet_start", "quiet_end", "weekly_time")(_clock_time)

    @property
    def quiet(self) -> tuple[time, time]:
        return time.fromisoformat(self.quiet_start), time.fromisoformat(self.quiet_end)


class WorkingHoursSettings(Section):
    # Off: deadlines count every hour. On: claim and resolve hours count only working time, as
    # helpdesks do: these weekdays (1 Monday … 7 Sunday) between start and end, except holidays.
    enabled: bool = False
    days: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5])
    start: str = "08:30"
    end: str = "17:30"
    holidays: list[date] = Field(default_factory=list)

    _times = field_validator("start", "end")(_clock_time)

    @field_validator("days")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if not value or any(not 1 <= d <= 7 for d in value):
            raise ValueError("list weekdays as 1 (Monday) … 7 (Sunday), at least one")
        return value

    @model_validator(mode="after")
    def _a_working_day(self) -> WorkingHoursSettings:
        if time.fromisoformat(self.start) >= time.fromisoformat(self.end):
            raise ValueError("start must come before end")
        return self


class Grid(Section):
    id: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1)
    buildings: list[str] = Field(min_length=1)
    group_chat_id: int | None = None
    workers: list[int] = Field(default_factory=list)

    @field_validator("group_chat_id")
    @classmethod
    def _group_is_negative(cls, value: int | None) -> int | None:
        if value is not None and value >= 0:
            raise ValueError("a group chat id is negative (e.g. -1001234567890)")
        return value


class Category(Section):
    id: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_-]+$")
    name_zh: str = Field(min_length=1, max_length=40)
    name_en: str = Field(min_length=1, max_length=40)
    claim_hours: float = Field(gt=0, le=24 * 30)
    resolve_hours: float = Field(gt=0, le=24 * 90)

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


class WishKind(Section):
    id: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_-]+$")
    name_zh: str = Field(min_length=1, max_length=40)
    name_en: str = Field(min_length=1, max_length=40)
    # Service points a volunteer earns for fulfilling a wish of this kind.
    points: int = Field(default=10, ge=0, le=1000)

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


AFFILIATIONS = ("resident", "party_member", "unit_party_member", "student", "other")
Affiliation = Literal["resident", "party_member", "unit_party_member", "student", "other"]


class Volunteer(Section):
    id: int = Field(gt=0)
    name: str = Field(min_length=1, max_length=64)
    affiliation: Affiliation = "resident"


# The kinds of wish when the config file names none, with their points.
DEFAULT_WISH_KINDS = {"company": 10, "errand": 5, "item": 10, "learning": 10, "other": 5}


def _default_wish_kinds() -> list[WishKind]:
    from bot.i18n import t

    return [
        WishKind(
            id=key,
            name_zh=t("zh", f"wish.kind.{key}"),
            name_en=t("en", f"wish.kind.{key}"),
            points=points,
        )
        for key, points in DEFAULT_WISH_KINDS.items()
    ]


class WishSettings(Section):
    # The wish wall: a group or channel where published wishes wait for volunteers. Without it,
    # published wishes go to the admin chat.
    wall_chat_id: int | None = None
    # A fulfilled wish the resident neither confirms nor disputes closes by itself after this
    # many days (and its volunteer gets the points).
    confirm_days: int = Field(default=7, ge=1, le=90)
    kinds: list[WishKind] = Field(default_factory=_default_wish_kinds, min_length=1)

    @field_validator("wall_chat_id")
    @classmethod
    def _wall_is_a_chat(cls, value: int | None) -> int | None:
        if value is not None and value >= 0:
            raise ValueError("a group or channel id is negative (e.g. -1001234567890)")
        return value


class Event(Section):
    """A series of community events (the free haircut on the 16th)."""

    id: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_-]+$")
    name_zh: str = Field(min_length=1, max_length=60)
    name_en: str = Field(min_length=1, max_length=60)
    place: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=500)
    # "monthly:16" (a month without that day: its last day), "weekly:5" (1 Monday … 7 Sunday),
    # "once:2026-12-01"
    rule: str
    time: str = "09:00"
    # "all", "grid:<grid id>" or "building:<building>"
    audience: str = "all"
    # Places to sign up for; none: no sign-up, everyone welcome.
    capacity: int | None = Field(default=None, ge=1, le=100000)

    _time = field_validator("time")(_clock_time)

    @field_validator("name_zh", "name_en", "place", "description", mode="before")
    @classmethod
    def _shows(cls, value: Any) -> Any:
        """A text of only invisible characters is no text (it is checked as empty)."""
        return visible(value) if isinstance(value, str) else value

    @field_validator("rule")
    @classmethod
    def _known_rule(cls, value: str) -> str:
        from bot.events import valid_rule

        if not valid_rule(value):
            raise ValueError("use monthly:<1-31>, weekly:<1-7> or once:<YYYY-MM-DD>")
        return value


class EventReminders(Section):
    # Residents the event is for, and the grid groups, are reminded the evening before at this
    # time ("" for no reminder then) and this many minutes before it starts (0 for none).
    evening_before: str = "19:00"
    minutes_before: int = Field(default=60, ge=0, le=24 * 60)
    # A reminder the bot could not send on time (it was down) is sent when it is back within
    # this many minutes (and before the event), otherwise skipped and logged.
    grace_minutes: int = Field(default=120, ge=0, le=24 * 60)

    @field_validator("evening_before")
    @classmethod
    def _time_or_nothing(cls, value: str) -> str:
        return _clock_time(value) if value else value


class StaffSettings(Section):
    # An invite link (/invite) can be used for this many days after it was made.
    invite_days: int = Field(default=7, ge=1, le=90)


class PosterSettings(Section):
    # A font file with Chinese glyphs (.ttf, .otf, .ttc) for the building posters (and
    # charts). Empty: a CJK font of the system if there is one, else the packaged Noto Sans CJK.
    font_path: str = ""

    @field_validator("font_path")
    @classmethod
    def _font_exists(cls, value: str) -> str:
        if value and not Path(value).expanduser().is_file():
            raise ValueError(f"no font file at {value!r}")
        return value


class BackupSettings(Section):
    # A copy of the database is taken every day at this time (local), and at the next start if
    # the bot was down then; copies older than keep_days are removed.
    time: str = "03:30"
    keep_days: int = Field(default=14, ge=1, le=3650)
    dir: Path = Path("data/backups")

    _time = field_validator("time")(_clock_time)


class LimitsSettings(Section):
    """Per-person limits against floods; staff are never limited; 0 switches one off."""

    # New requests (repairs and wishes together) a resident may file in an hour and in a day.
    requests_per_hour: int = Field(default=5, ge=0, le=1000)
    requests_per_day: int = Field(default=20, ge=0, le=10000)
    # Button presses a resident may make in a minute; more are answered "slow down".
    presses_per_minute: int = Field(default=30, ge=0, le=10000)
    # How long /unlimit lifts a person's limits.
    lift_hours: int = Field(default=24, ge=1, le=24 * 90)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BOT__", env_nested_delimiter="__", extra="forbid", case_sensitive=False
    )

    community: CommunitySettings = CommunitySettings()
    database: DatabaseSettings = DatabaseSettings()
    telegram: TelegramSettings = TelegramSettings()
    outbox: OutboxSettings = OutboxSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    working_hours: WorkingHoursSettings = WorkingHoursSettings()
    admins: list[int] = Field(default_factory=list)
    admin_chat_id: int | None = None
    # The echo wall (回音壁): a group or channel where the week's resolved requests and
    # fulfilled wishes are posted, with no personal data.
    echo_wall_chat_id: int | None = None
    grids: list[Grid] = Field(min_length=1)
    categories: list[Category] = Field(min_length=1)
    wishes: WishSettings = WishSettings()
    volunteers: list[Volunteer] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    event_reminders: EventReminders = EventReminders()
    staff: StaffSettings = StaffSettings()
    posters: PosterSettings = PosterSettings()
    backup: BackupSettings = BackupSettings()
    limits: LimitsSettings = LimitsSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over the file, which arrives as init values.
        return (env_settings, init_settings)

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        _unique("grids", [g.id for g in self.grids])
        _unique("categories", [c.id for c in self.categories])
        _unique("wishes.kinds", [k.id for k in self.wishes.kinds])
        _unique("volunteers", [str(v.id) for v in self.volunteers])
        _unique("events", [e.id for e in self.events])
        _unique("grids[].buildings", [b for g in self.grids for b in g.buildings])
        for grid in self.grids:
            if grid.group_chat_id is None and not grid.workers and self.admin_chat_id is None:
                raise ValueError(
                    f"grid {grid.id!r} has no group_chat_id and no workers, so its requests "
                    "would reach nobody: set admin_chat_id"
                )
        return self

    def building_grid(self, building: str) -> Grid | None:
        return next((g for g in self.grids if building in g.buildings), None)

    @property
    def buildings(self) -> list[str]:
        return [b for g in self.grids for b in g.buildings]

    def category(self, category_id: str) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)


def _unique(field: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{field}: {value!r} appears twice")
        seen.add(value)


def load_settings(path: Path | None) -> Settings:
    """Read the TOML file (if it exists) and apply environment overrides."""
    data: dict[str, Any] = {}
    if path is not None and path.exists():
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    return Settings(**data)
