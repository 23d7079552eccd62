"""The composition root: build the Application, open the database, schedule the jobs."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

from bot import menus
from bot.abuse import Limits
from bot.backups import Backups
from bot.broadcasting import Broadcasts
from bot.context import BotContext, Services
from bot.core import Requests
from bot.delivery import Deliverer
from bot.directory import DirectoryBook, sync_with_config
from bot.gatherings import Gatherings
from bot.housekeeping import housekeep
from bot.intake import Intake
from bot.pacer import Pacer
from bot.people import People
from bot.processor import PerPersonUpdateProcessor
from bot.redact import install as redact_logs
from bot.request import AiohttpRequest
from bot.schedule import Reminders
from bot.settings import Settings
from bot.staff import StaffDesk
from bot.volunteering import Volunteering
from storage import clock
from storage.db import Database

log = logging.getLogger(__name__)

OUTBOX_JOB = "outbox-delivery"
PRUNE_JOB = "prune-processed-updates"
SCHEDULE_JOB = "deadlines-follow-ups-digests"
BACKUP_JOB = "daily-backup"
# The backup job looks at the clock this often (and this long after start: a missed copy).
BACKUP_TICK_SECONDS = 60.0

# The command menus (by role, chat type and language) are in bot/menus.py.
COMMANDS = menus.COMMANDS


def build_application(settings: Settings) -> Application[Any, Any, Any, Any, Any, Any]:
    """An Application wired to our handlers; the database opens in start_bot."""
    from handlers import build_handlers, error_handler, too_fast

    tg = settings.telegram
    outbox = settings.outbox
    # Before anything can log a URL or an error that holds the token.
    redact_logs(tg.token.get_secret_value())
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
        # Keeps the overall, per-group and (for the outbox) per-chat pace, a little under the
        # limits, replies first. Retries are the outbox's and the replies' own job.
        .rate_limiter(
            Pacer(
                outbox.messages_per_second * outbox.pace_share,
                outbox.group_messages * outbox.pace_share,
                outbox.group_period_seconds,
                outbox.per_chat_interval_seconds,
            )
        )
        # The Bot API over aiohttp (bot/request.py): its pool stays cheap with many calls
        # in flight, where httpx's does not.
        .request(
            AiohttpRequest(
                pool_size=tg.connection_pool_size,
                connect_timeout=tg.request_timeout_seconds,
                read_timeout=tg.request_timeout_seconds,
                write_timeout=tg.request_timeout_seconds,
                pool_timeout=tg.request_timeout_seconds,
            )
        )
        .get_updates_request(
            AiohttpRequest(
                pool_size=1,
                connect_timeout=tg.request_timeout_seconds,
                read_timeout=tg.poll_timeout_seconds + 10,
                write_timeout=tg.request_timeout_seconds,
                pool_timeout=tg.request_timeout_seconds,
            )
        )
        # No Updater: it acknowledges a batch of updates when it fetches the next one, done
        # or not. bot/intake.py stores each batch in the inbox first (start_bot below).
        .updater(None)
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

    broadcasts = Broadcasts(db, settings, directory)

    async def deliver(_: Any) -> None:
        if deliverer.busy:
            # The running pass goes round again; this tick ends at once, so ticks never pile
            # up behind a busy database (and the scheduler never warns that they did).
            await deliverer.run()
            return
        await deliverer.run()
        # A broadcast whose every message is settled now: its report goes to its admin.
        if await broadcasts.report():
            kick()

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
        staff=StaffDesk(db, settings, directory),
        kick=kick,
        broadcasts=broadcasts,
        limits=Limits(db, settings, directory),
    )
    application.bot_data["services"] = services
    application.bot_data["intake"] = Intake(application, db, settings)
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
    backup = Backups(db, settings)

    async def _backup(_: Any) -> None:
        await backup.tick()

    job_queue.run_repeating(
        _backup,
        interval=BACKUP_TICK_SECONDS,
        first=BACKUP_TICK_SECONDS,
        name=BACKUP_JOB,
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
    await _command_menus(application, services)
    log.info("bot @%s ready for %s", me.username, settings.community.name)


async def _command_menus(
    application: Application[Any, Any, Any, Any, Any, Any], services: Services
) -> None:
    """The command menus in every language, and each member of staff's own (their queue; an
    admin's tools, and /bind in the bound groups)."""
    from handlers.common import set_menus

    group_lang = services.settings.community.group_language
    plan = menus.general(group_lang)
    directory = services.directory.current
    for user_id in menus.staff_ids(directory):
        person = await services.people.get(user_id)
        plan += menus.personal(directory, user_id, person.lang if person else group_lang)
    await set_menus(application.bot, plan)


async def _tick(context: BotContext) -> None:
    """Deadlines, follow-ups and digests: whatever is due by the clock now."""
    if (await context.services.reminders.tick()).anything:
        context.services.kick()


async def _prune(context: BotContext) -> None:
    """Forget handled update ids after two days (Telegram keeps updates for one) and sent
    messages after `keep_sent_days`; refresh the query planner's statistics."""
    await context.services.people.prune(clock.now() - timedelta(days=2))
    await housekeep(context.services.db, context.services.settings)


async def start_bot(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Initialise, open the database, start the jobs, handle what the inbox holds from the last
    run, then take new updates (polling or webhook)."""
    await application.initialize()
    await _post_init(application)
    await application.start()
    await intake_of(application).start()


async def stop_bot(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Stop taking updates, let those in hand finish, stop the jobs, close the database."""
    intake = application.bot_data.get("intake")
    if isinstance(intake, Intake):
        await intake.stop()
    if application.running:
        await application.stop()
    await application.shutdown()
    await _post_shutdown(application)


def intake_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Intake:
    intake = application.bot_data["intake"]
    assert isinstance(intake, Intake)
    return intake


async def _post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    services = application.bot_data.get("services")
    if isinstance(services, Services):
        await services.db.close()
