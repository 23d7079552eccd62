"""Webhook mode: a small aiohttp server that takes Telegram's POSTs into the inbox.

Every request must carry the secret token given to setWebhook in Telegram's
X-Telegram-Bot-Api-Secret-Token header; without it (or with another) the answer is 403 and
nothing is stored. A valid update is stored (committed) before the 200 that tells Telegram it
arrived, and handled from the inbox like a polled one.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.settings import Settings
from storage import clock

if TYPE_CHECKING:
    from bot.intake import Intake

log = logging.getLogger(__name__)


async def start_webhook(intake: Intake, settings: Settings) -> web.AppRunner:
    from bot.intake import SECRET_HEADER, secret_ok

    tg = settings.telegram
    secret = tg.webhook_secret.get_secret_value()
    refused = 0

    async def take(request: web.Request) -> web.Response:
        nonlocal refused
        if not secret_ok(request.headers.get(SECRET_HEADER), secret):
            refused += 1
            if refused == 1 or refused % 100 == 0:
                log.warning(
                    "webhook request without the right secret refused (%s so far)", refused
                )
            return web.Response(status=403, text="Forbidden")
        try:
            body: Any = json.loads(await request.text())
        except ValueError:
            return web.Response(status=400, text="not JSON")
        if not isinstance(body, dict) or not isinstance(body.get("update_id"), int):
            return web.Response(status=400, text="not an update")
        await intake.receive([body])
        intake.last_webhook = clock.now()
        return web.Response(status=200, text="ok")

    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_post(tg.webhook_path, take)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, tg.webhook_listen, tg.webhook_port).start()
    return runner
