"""The composition root: build the Application, open the database, schedule the jobs."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, Defaults

from bot import i18n
from bot.context import BotContext, Services
from bot.core import Requests
from bot.delivery import Deliverer
from bot.directory import DirectoryBook, sync_with_config
from bot.gatherings import Gatherings
from bot.i18n import t
from bot.people import People
from bot.processor import PerPersonUpdateProcessor
from bot.schedule import Reminders
from bot.settings import Settings
from bot.volunteering import Volunteering
from storage import clock
from storage.db import Database

log = logging.getLogger(__name__)

OUTBOX_JOB = "outbox-delivery"
# The share of Telegram's flood limits the bot allows itself.
HEADROOM = 0.9
PRUNE_JOB = "prune-processed-updates"
SCHEDULE_JOB = "deadlines-follow-ups-digests"

# The command menu, in this order; each description is the text command.<name>. Staff get
# their queue first in their own chat's menu.
COMMANDS = (
    "report",
    "wish",
    "my",
    "events",
    "volunteer",
    "points",
    "profile",
    "language",
    "cancel",
    "help",
)
STAFF_COMMANDS = ("queue", "proxy", "transfer", *COMMANDS)


def build_application(settings: Settings) -> Application[Any, Any, Any, Any, Any, Any]:
    """An Application wired to our handlers; the database opens in post_init."""
    from handlers import build_handlers, error_handler, too_fast

    tg = settings.telegram
    application = (
        ApplicationBuilder()
        .token(tg.token.get_secret_value())
        .base_url(tg.api_base_url)
        .base_file_url(tg.api_file_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(
            PerPersonUpdateProcessor(tg.concurrent_updates, tg.max_waiting_per_person, too_fast)
        )
        # Keeps the overall (30/s) and per-group (20/min) pace, a little under the limits: a
        # call paced exactly at a limit reaches Telegram with jitter and is refused now and
        # then. Retries are the outbox's job.
        .rate_limiter(
            AIORateLimiter(
                overall_max_rate=settings.outbox.messages_per_second * HEADROOM,
                overall_time_period=1,
                group_max_rate=settings.outbox.group_messages * HEADROOM,
                group_time_period=settings.outbox.group_period_seconds,
                max_retries=0,
            )
        )
        .connection_pool_size(tg.connection_pool_size)
        .connect_timeout(tg.request_timeout_seconds)
        .read_timeout(tg.request_timeout_seconds)
        .write_timeout(tg.request_timeout_seconds)
        .get_updates_read_timeout(tg.poll_timeout_seconds + 10)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data["settings"] = settings
    groups, dialog_router = build_handlers()
    application.bot_data["dialogs"] = dialog_router
    for group, handlers in groups.items():
        application.add_handlers(handlers, group=group)
    application.add_error_handler(error_handler)
    return application


async def _post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    settings: Settings = application.bot_data["settings"]
    db = await Database.open(settings.database.path)
    # The config file's grids, buildings, categories and staff, into the directory.
    await sync_with_config(db, settings)
    directory = await DirectoryBook.open(db)
    deliverer = Deliverer(db, application.bot, settings, directory)
    job_queue = application.job_queue
    assert job_queue is not None, "install python-telegram-bot[job-queue]"

    async def deliver(_: Any) -> None:
        await deliverer.run()

    def kick() -> None:
        job_queue.run_once(deliver, 0)

    me = application.bot
    requests = Requests(db, settings, directory, me.username)
    gatherings = Gatherings(db, settings, directory)
    services = Services(
        settings=settings,
        db=db,
        directory=directory,
        people=People(db),
        requests=requests,
        volunteering=Volunteering(db, settings, directory),
        reminders=Reminders(db, settings, directory, requests, gatherings),
        gatherings=gatherings,
        kick=kick,
    )
    application.bot_data["services"] = services
    # The database is the truth; these jobs only tick. Delivery starts at once, which also
    # catches up on whatever was owed when the bot stopped.
    job_queue.run_repeating(
        deliver,
        interval=settings.outbox.poll_seconds,
        first=0,
        name=OUTBOX_JOB,
        # A long delivery run (paced sends) must not make the scheduler warn at every tick;
        # overlapping ticks return at once and make the running one go round again.
        job_kwargs={"max_instances": 4, "coalesce": True},
    )
    job_queue.run_repeating(_prune, interval=timedelta(hours=6), first=60, name=PRUNE_JOB)
    job_queue.run_repeating(
        _tick,
        interval=settings.schedule.tick_seconds,
        first=settings.schedule.tick_seconds,
        name=SCHEDULE_JOB,
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
    await _command_menus(application, services)
    log.info("bot @%s ready for %s", me.username, settings.community.name)


async def _command_menus(
    application: Application[Any, Any, Any, Any, Any, Any], services: Services
) -> None:
    """The command menu in every language, and each member of staff's with their queue.

    A cosmetic call: a failure (a worker who never opened the private chat) is only logged.
    """
    bot = application.bot
    group_lang = services.settings.community.group_language

    def menu(lang: str, commands: tuple[str, ...]) -> list[BotCommand]:
        return [BotCommand(c, t(lang, f"command.{c}")) for c in commands]

    for lang in i18n.LANGUAGES:
        try:
            await bot.set_my_commands(
                menu(lang, COMMANDS), language_code=None if lang == group_lang else lang
            )
        except TelegramError:
            log.warning("could not set the command menu for %s", lang, exc_info=True)
    directory = services.directory.current
    staff = sorted(directory.admins | {w for g in directory.active_grids for w in g.workers})
    for user_id in staff:
        person = await services.people.get(user_id)
        lang = person.lang if person else group_lang
        try:
            await bot.set_my_commands(
                menu(lang, STAFF_COMMANDS), scope=BotCommandScopeChat(user_id)
            )
        except TelegramError as exc:
            log.info("no command menu for staff member %s yet: %s", user_id, exc)


async def _tick(context: BotContext) -> None:
    """Deadlines, follow-ups and digests: whatever is due by the clock now."""
    if (await context.services.reminders.tick()).anything:
        context.services.kick()


async def _prune(context: BotContext) -> None:
    """Forget handled update ids after two days; Telegram keeps updates for one."""
    await context.services.people.prune(clock.now() - timedelta(days=2))


async def _post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    services = application.bot_data.get("services")
    if isinstance(services, Services):
        await services.db.close()
