"""Transfer: the holder of a request (or an admin) moves it to another grid — by the building
it really is in, or by grid — or passes it to another worker of its grid, with a reason."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import callbacks, render
from bot.callbacks import Callback, Verb
from bot.context import BotContext
from bot.core import Actor
from bot.domain import NOTE_MAX, Action
from bot.i18n import t
from bot.limits import visible, visible_length
from bot.messages import Button, Keyboard
from bot.moves import Destination
from handlers.common import (
    Flow,
    actor_of,
    answer,
    explain,
    lang_of,
    private_press,
    say,
)
from handlers.dialog import router
from storage.dialogs import Dialog

FLOW = "transfer"


class Step(StrEnum):
    WHERE = "where"
    REASON = "reason"


async def _allowed(context: BotContext, actor: Actor, request_id: int) -> tuple[bool, bool, str]:
    """May the actor move the request to another grid, pass it to another worker; else why."""
    requests = context.services.requests
    grid = await requests.check(actor, request_id, Action.TRANSFER)
    worker = await requests.check(actor, request_id, Action.REASSIGN)
    why = "" if grid.ok or worker.ok else explain(lang_of(context), grid)
    return grid.ok, worker.ok, why


async def _open(context: BotContext, actor: Actor, request_id: int) -> str | None:
    """Open the wizard if the actor may move the request; else the refusal."""
    grid, worker, why = await _allowed(context, actor, request_id)
    if not (grid or worker):
        return why
    dialog = await router(context).open(
        context, actor.user_id, FLOW, Step.WHERE, {"request_id": request_id}
    )
    await prompt(context, dialog)
    return None


async def on_transfer_button(update: Update, context: BotContext) -> None:
    """🔀 Transfer on the holder's private message: asks where to, then why."""
    press = await private_press(update, context)
    if press is None:
        return
    query, actor, data = press.query, press.actor, press.data
    lang = lang_of(context)
    if await context.services.requests.get(data.arg) is None:
        await answer(query, t(lang, "error.stale_button"))
        return
    grid, worker, why = await _allowed(context, actor, data.arg)
    if not (grid or worker):
        await answer(query, why, alert=True)
        return
    await answer(query)
    await _open(context, actor, data.arg)


async def transfer_command(update: Update, context: BotContext) -> None:
    """/transfer R-0001: the same, by the request's number (for an admin, any request)."""
    actor = actor_of(update)
    assert actor is not None
    lang = lang_of(context)
    words = (update.effective_message.text or "").split() if update.effective_message else []
    request = await context.services.requests.by_number(words[1]) if len(words) == 2 else None
    if request is None:
        await say(context, actor.user_id, t(lang, "transfer.usage"))
        return
    refused = await _open(context, actor, request.id)
    if refused is not None:
        await say(context, actor.user_id, refused)


async def prompt(context: BotContext, dialog: Dialog) -> None:
    """Where to: the other grids, the buildings of other grids, the other workers of its
    grid (each as the policy allows now)."""
    lang = lang_of(context)
    request = await context.services.requests.get(dialog.data["request_id"])
    if request is None:
        return
    if dialog.step == Step.REASON:
        text = t(lang, "transfer.ask_reason", where=dialog.data["where"], max=NOTE_MAX)
        await say(context, dialog.user_id, text)
        return
    actor = Actor(dialog.user_id, "")
    may_grid, may_worker, why = await _allowed(context, actor, request.id)
    if not (may_grid or may_worker):  # asked again after it moved on: nothing left to choose
        await context.services.people.close_dialog(dialog.user_id)
        await say(context, dialog.user_id, why)
        return
    directory = context.directory
    rows: Keyboard = []
    if may_worker:
        grid = directory.grid(request.grid_id)
        workers = [w for w in (grid.workers if grid else ()) if w != request.assignee_id]
        for worker in workers:
            person = await context.services.people.get(worker)
            label = t(lang, "transfer.to_worker", name=person.name if person else str(worker))
            rows.append([Button(label, Callback(Verb.TR_WORKER, worker, dialog.nonce))])
    if may_grid:
        others = [g for g in directory.active_grids if g.id != request.grid_id and g.buildings]
        for grid in others:
            first = directory.building_named(grid.buildings[0])
            assert first is not None
            label = t(lang, "transfer.to_grid", grid=grid.name)
            rows.append([Button(label, Callback(Verb.TR_GRID, first.id, dialog.nonce))])
        buildings = [
            Button(
                t(lang, "transfer.to_building", building=b.name),
                Callback(Verb.TR_BUILDING, b.id, dialog.nonce),
            )
            for b in directory.active_buildings
            if b.grid != request.grid_id
        ]
        rows += [buildings[i : i + 3] for i in range(0, len(buildings), 3)]
    rows.append([Button(t(lang, "btn.cancel"), Callback(Verb.ABORT, 0, dialog.nonce))])
    text = t(lang, "transfer.ask_where", number=render.number(request))
    await say(context, dialog.user_id, text, rows)


async def on_button(update: Update, context: BotContext, dialog: Dialog, data: Callback) -> None:
    """A worker, a grid or a building; or Cancel."""
    query = update.callback_query
    assert query is not None
    lang = lang_of(context)
    people = context.services.people
    directory = context.directory
    if data.verb is Verb.ABORT:
        await answer(query)
        _, restored = await people.close_dialog(dialog.user_id)
        await say(context, dialog.user_id, t(lang, "transfer.cancelled"))
        if restored is not None:
            await router(context).resume(context, dialog.user_id)
        return
    to: dict[str, Any] | None = None
    where = ""
    if dialog.step == Step.WHERE and data.verb is Verb.TR_WORKER:
        person = await people.get(data.arg)
        to, where = {"worker": data.arg}, person.name if person else str(data.arg)
    elif dialog.step == Step.WHERE and data.verb in (Verb.TR_GRID, Verb.TR_BUILDING):
        building = directory.building(data.arg)
        grid = directory.grid(building.grid) if building else None
        if building is not None and grid is not None and data.verb is Verb.TR_GRID:
            to, where = {"grid": grid.id}, grid.name
        elif building is not None and grid is not None:
            to, where = {"building": building.name}, f"{grid.name} · {building.name}"
    if to is None:
        await answer(query, t(lang, "error.stale_button"))
        await prompt(context, dialog)
        return
    await answer(query)
    await prompt(context, await people.advance(dialog, Step.REASON, to=to, where=where))


async def on_input(update: Update, context: BotContext, dialog: Dialog) -> None:
    """The reason: the request moves with it; blank or too long text is asked again."""
    message = update.effective_message
    actor = actor_of(update)
    assert message is not None and actor is not None
    lang = lang_of(context)
    if dialog.step != Step.REASON:
        await prompt(context, dialog)
        return
    reason = visible(message.text)
    if not reason or visible_length(reason) > NOTE_MAX:
        await say(context, actor.user_id, t(lang, "transfer.reason_bad", max=NOTE_MAX))
        return
    to = dialog.data["to"]
    action = Action.REASSIGN if "worker" in to else Action.TRANSFER
    outcome = await context.services.requests.apply(
        actor,
        dialog.data["request_id"],
        action,
        note=reason,
        to=Destination(to.get("grid"), to.get("building"), to.get("worker")),
        ends_wizard=True,
    )
    if not outcome.ok:  # it moved on meanwhile, or the choice is no longer possible
        await context.services.people.close_dialog(actor.user_id)
        await say(context, actor.user_id, explain(lang, outcome))
    else:
        context.services.kick()
        assert outcome.request is not None
        number = render.number(outcome.request)
        text = t(lang, "transfer.done", number=number, where=dialog.data["where"])
        await say(context, actor.user_id, text)
    await router(context).resume(context, actor.user_id)


TRANSFER = Flow(FLOW, prompt, on_input, on_button, interrupts=True)


def build_handlers() -> list[BaseHandler[Any, BotContext, Any]]:
    return [
        CommandHandler("transfer", transfer_command, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(on_transfer_button, pattern=callbacks.pattern_for(Verb.TRANSFER)),
    ]
