"""Reporting a repair (/report wizard) and following it up (/my, timeline, cancel, rate)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import callbacks, render
from bot.callbacks import Callback, Verb
from bot.context import BotContext
from bot.core import Draft
from bot.domain import DESCRIPTION_MAX, DESCRIPTION_MIN, MAX_PHOTOS, Action
from bot.i18n import t
from bot.limits import visible, visible_length
from bot.messages import Button, Keyboard
from bot.proxied import for_resident, resident_of
from handlers.common import (
    Flow,
    actor_of,
    answer,
    drop_buttons,
    edit,
    explain,
    lang_of,
    main_menu,
    private_press,
    say,
)
from handlers.dialog import act_with_text, ask_for_text, no_buttons, router
from handlers.registration import begin, building_buttons, chosen_building
from storage.dialogs import Dialog

FLOW = "report"
ANSWER_FLOW = "answer"  # the resident's answer to the worker's question
KIND = "repair"


class Step(StrEnum):
    CATEGORY = "category"
    BUILDING = "building"
    DESCRIPTION = "description"
    PHOTOS = "photos"
    DUPLICATE = "duplicate"
    CONFIRM = "confirm"


# Where a report starts; registration goes on with it when a report sent the resident there.
FIRST_STEP: dict[str, Any] = {"flow": FLOW, "step": Step.CATEGORY, "data": {"photos": []}}


def _cancel_button(lang: str, dialog: Dialog) -> list[Button]:
    return [Button(t(lang, "btn.cancel"), Callback(Verb.ABORT, 0, dialog.nonce))]


async def prompt(context: BotContext, dialog: Dialog) -> None:
    """Ask the question of the report step the resident is on."""
    lang = lang_of(context)
    uid = dialog.user_id
    data = dialog.data
    step = Step(dialog.step)
    directory = context.directory
    if step is Step.CATEGORY:
        # Each button carries the category's id: a press picks what it showed.
        buttons = [
            Button(c.name(lang), Callback(Verb.CATEGORY, c.id, dialog.nonce))
            for c in directory.categories_of(KIND)
        ]
        rows: Keyboard = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        await say(
            context, uid, t(lang, "report.ask_category"), [*rows, _cancel_button(lang, dialog)]
        )
    elif step is Step.BUILDING:
        own = context.person.building if context.person else None
        if "proxy" in data:  # a worker filing for a resident: none is "mine"
            own = None
        rows = [*building_buttons(context, dialog.nonce, own), _cancel_button(lang, dialog)]
        await say(context, uid, t(lang, "report.ask_building"), rows)
    elif step is Step.DESCRIPTION:
        await say(
            context,
            uid,
            t(lang, "report.ask_description", min=DESCRIPTION_MIN, max=DESCRIPTION_MAX),
        )
    elif step is Step.PHOTOS:
        await say(
            context,
            uid,
            t(lang, "report.ask_photos", max=MAX_PHOTOS),
            _photo_buttons(lang, dialog),
        )
    elif step is Step.DUPLICATE:
        await _show_duplicate(context, dialog)
    else:
        text = for_resident(lang, data) + t(
            lang,
            "report.summary",
            category=render.category_name(directory, lang, KIND, data["category"]),
            building=data["building"],
            description=data["description"],
            photos=len(data["photos"]),
        )
        confirm: Keyboard = [
            [
                Button(t(lang, "btn.confirm"), Callback(Verb.CONFIRM, 0, dialog.nonce)),
                Button(t(lang, "btn.cancel"), Callback(Verb.ABORT, 0, dialog.nonce)),
            ]
        ]
        await say(context, uid, text, confirm)


def _photo_buttons(lang: str, dialog: Dialog) -> Keyboard:
    if dialog.data["photos"]:
        return [[Button(t(lang, "btn.done"), Callback(Verb.PHOTOS_DONE, 0, dialog.nonce))]]
    return [[Button(t(lang, "btn.skip"), Callback(Verb.SKIP, 0, dialog.nonce))]]


async def _show_duplicate(context: BotContext, dialog: Dialog) -> None:
    lang = lang_of(context)
    request = await context.services.requests.get(dialog.data["duplicate_of"])
    if request is None:
        await _advance(context, dialog, Step.CONFIRM)
        return
    text = t(
        lang,
        "report.duplicate",
        category=render.category_name(context.directory, lang, KIND, request.category),
        building=request.building,
        number=render.number(request),
        description=request.description,
        when=render.when(context.settings, lang, request.created_at),
        status=render.status_name(lang, request.status),
    )
    buttons = [
        [Button(t(lang, "report.same"), Callback(Verb.FOLLOW, request.id, dialog.nonce))],
        [Button(t(lang, "report.different"), Callback(Verb.DIFFERENT, 0, dialog.nonce))],
    ]
    await say(context, dialog.user_id, text, buttons)


async def _advance(context: BotContext, dialog: Dialog, step: Step, **data: Any) -> None:
    await prompt(context, await context.services.people.advance(dialog, step, **data))


async def _review(context: BotContext, dialog: Dialog) -> None:
    """After the photos: offer an open report of the same kind nearby, else the summary."""
    data = dialog.data
    similar = await context.services.requests.find_duplicate(
        KIND, data["category"], data["building"]
    )
    # A worker filing for a resident files it: following is for residents with an account.
    if similar is not None and "proxy" not in data:
        await _advance(context, dialog, Step.DUPLICATE, duplicate_of=similar.id)
    else:
        await _advance(context, dialog, Step.CONFIRM)


async def on_input(update: Update, context: BotContext, dialog: Dialog) -> None:
    """The description, then photos; anything unexpected gets the question again, politely."""
    message = update.effective_message
    assert message is not None
    lang = lang_of(context)
    uid = dialog.user_id
    step = Step(dialog.step)
    if step is Step.DESCRIPTION:
        if message.text is None:
            await say(
                context,
                uid,
                t(lang, "report.description_not_text", min=DESCRIPTION_MIN, max=DESCRIPTION_MAX),
            )
            return
        text = visible(message.text)
        length = visible_length(text)
        if not DESCRIPTION_MIN <= length <= DESCRIPTION_MAX:
            await say(
                context,
                uid,
                t(
                    lang,
                    "report.description_bad",
                    min=DESCRIPTION_MIN,
                    max=DESCRIPTION_MAX,
                    n=length,
                ),
            )
            return
        await _advance(context, dialog, Step.PHOTOS, description=text)
    elif step is Step.PHOTOS and message.photo:
        await _add_photo(context, dialog, message.photo[-1].file_id, message.media_group_id)
    elif step is Step.PHOTOS:
        await say(context, uid, t(lang, "report.photo_bad"), _photo_buttons(lang, dialog))
    else:
        await prompt(context, dialog)


async def _add_photo(context: BotContext, dialog: Dialog, file_id: str, album: str | None) -> None:
    """Keep the photo; at the most photos go on. An album gets one acknowledgement, edited as
    its photos arrive, instead of one message per photo."""
    lang = lang_of(context)
    people = context.services.people
    photos = [*dialog.data["photos"], file_id]
    if len(photos) >= MAX_PHOTOS:
        full = await people.advance(dialog, Step.PHOTOS, photos=photos[:MAX_PHOTOS])
        await _review(context, full)
        return
    saved = await people.advance(dialog, Step.PHOTOS, photos=photos, album=album)
    text = t(lang, "report.photo_added", n=len(photos), max=MAX_PHOTOS)
    same_album = album is not None and dialog.data.get("album") == album
    ack = saved.data.get("ack") if same_album else None
    buttons = _photo_buttons(lang, saved)
    if ack is not None and await edit(context, dialog.user_id, ack, text, buttons):
        return
    sent = await say(context, dialog.user_id, text, buttons)
    if album is not None and sent is not None:
        await people.keep(saved, ack=sent.message_id)


async def on_button(update: Update, context: BotContext, dialog: Dialog, data: Callback) -> None:
    """Category, building, Skip/Done, duplicate choice, Confirm and Cancel."""
    query = update.callback_query
    assert query is not None
    lang = lang_of(context)
    step = Step(dialog.step)
    if data.verb is Verb.ABORT:
        await answer(query)
        _, restored = await context.services.people.close_dialog(dialog.user_id)
        await say(
            context, dialog.user_id, t(lang, "report.cancelled"), reply_markup=main_menu(lang)
        )
        if restored is not None:
            await router(context).resume(context, dialog.user_id)
    elif step is Step.CATEGORY and data.verb is Verb.CATEGORY:
        category = context.directory.category_by_id(data.arg)
        if category is None or category.kind != KIND:  # retired: ask again with today's
            await answer(query, t(lang, "error.stale_button"))
            await prompt(context, dialog)
            return
        await answer(query)
        await _advance(context, dialog, Step.BUILDING, category=category.key)
    elif step is Step.BUILDING and data.verb is Verb.BUILDING:
        building = chosen_building(context, data)
        if building is None:  # no longer in use: the question again, with today's buildings
            await answer(query, t(lang, "error.stale_button"))
            await prompt(context, dialog)
            return
        await answer(query)
        await _advance(context, dialog, Step.DESCRIPTION, building=building)
    elif step is Step.PHOTOS and data.verb in (Verb.SKIP, Verb.PHOTOS_DONE):
        await answer(query)
        await _review(context, dialog)
    elif (
        step is Step.DUPLICATE
        and data.verb is Verb.FOLLOW
        and data.arg == dialog.data.get("duplicate_of")
    ):
        await _follow(update, context, dialog, data.arg)
    elif step is Step.DUPLICATE and data.verb is Verb.DIFFERENT:
        await answer(query)
        await _advance(context, dialog, Step.CONFIRM)
    elif step is Step.CONFIRM and data.verb is Verb.CONFIRM:
        await _confirm(update, context, dialog)
    else:
        await answer(query, t(lang, "error.stale_button"))


async def _follow(update: Update, context: BotContext, dialog: Dialog, request_id: int) -> None:
    query = update.callback_query
    actor = actor_of(update)
    assert query is not None and actor is not None
    outcome = await context.services.requests.follow(actor, request_id)
    await answer(query)
    if outcome.ok:
        context.services.kick()
        await router(context).resume(context, actor.user_id)
    elif outcome.reason == "error.stale_button":
        # It was closed meanwhile: carry on with the resident's own report.
        await _advance(context, dialog, Step.CONFIRM)
    else:
        await say(context, actor.user_id, explain(lang_of(context), outcome))


async def _confirm(update: Update, context: BotContext, dialog: Dialog) -> None:
    """Save the report; the number reaches the resident through the outbox after commit."""
    query = update.callback_query
    actor = actor_of(update)
    assert query is not None and actor is not None
    data = dialog.data
    draft = Draft(
        kind=KIND,
        category=data["category"],
        building=data["building"],
        description=data["description"],
        photos=tuple(data["photos"]),
        resident=resident_of(data),
    )
    outcome = await context.services.requests.file(actor, draft)
    await answer(query)
    if outcome.ok:
        context.services.kick()
        await router(context).resume(context, actor.user_id)
    else:
        await say(context, actor.user_id, explain(lang_of(context), outcome))


async def report(update: Update, context: BotContext) -> None:
    """/report or the menu button: resume an open wizard, register first, or start."""
    user = update.effective_user
    assert user is not None
    await begin(context, user.id, FIRST_STEP, prompt)


async def my_requests(update: Update, context: BotContext) -> None:
    """/my or the menu button: the resident's requests, a page at a time, with details and
    cancel buttons."""
    user = update.effective_user
    assert user is not None
    lang = lang_of(context)
    requests = await context.services.requests.mine(user.id)
    if not requests:
        await say(context, user.id, t(lang, "my.empty"))
        return
    text, buttons = render.my_requests(context.directory, lang, user.id, requests, 0)
    await say(context, user.id, text, buttons)


async def _show_page(update: Update, context: BotContext, text: str, buttons: Keyboard) -> None:
    """A page of a list: the pressed message turns to it (or it comes anew)."""
    query = update.callback_query
    assert query is not None and query.message is not None
    chat = query.message.chat.id
    if not await edit(context, chat, query.message.message_id, text, buttons):
        await say(context, chat, text, buttons)


async def on_request_button(update: Update, context: BotContext) -> None:
    """Timeline (paged), /my pages, cancel (with a second press to be sure), rate and
    not-fixed buttons: each acts only in the presser's private chat."""
    press = await private_press(update, context)
    if press is None:
        return
    query, actor, data = press.query, press.actor, press.data
    lang = lang_of(context)
    requests = context.services.requests
    if data.verb in (Verb.TIMELINE, Verb.TIMELINE_PAGE):
        found = await requests.timeline(actor.user_id, data.arg)
        await answer(query)
        if found is None:
            await say(context, actor.user_id, t(lang, "error.stale_button"))
            return
        request, events = found
        text, buttons = render.timeline(
            context.settings, context.directory, lang, request, events, data.arg2 or 0
        )
        if request.assignee_id == actor.user_id:
            buttons = [*buttons, *render.worker_buttons(lang, request)]
        if data.verb is Verb.TIMELINE:
            await say(context, actor.user_id, text, buttons)
        else:
            await _show_page(update, context, text, buttons)
        return
    if data.verb is Verb.MY_PAGE:
        await answer(query)
        mine = await requests.mine(actor.user_id)
        text, buttons = render.my_requests(context.directory, lang, actor.user_id, mine, data.arg)
        await _show_page(update, context, text, buttons)
        return
    if data.verb is Verb.ANSWER:
        await ask_for_text(
            update, context, data.arg, Action.ANSWER, ANSWER_FLOW, "text", answer_prompt
        )
        return
    if data.verb is Verb.CANCEL_REQUEST:
        yours = await requests.get(data.arg)
        await answer(query)
        if yours is None or yours.reporter_id != actor.user_id:
            await say(context, actor.user_id, t(lang, "error.stale_button"))
            return
        sure = [[Button(t(lang, "cancel.yes"), Callback(Verb.CANCEL_REQUEST_SURE, yours.id))]]
        text = t(lang, "cancel.sure", number=render.number(yours))
        await say(context, actor.user_id, text, sure)
        return
    if data.verb is Verb.CANCEL_REQUEST_SURE:
        outcome = await requests.apply(actor, data.arg, Action.CANCEL)
        done_key = "cancel.done"
    elif data.verb is Verb.RATE:
        outcome = await requests.apply(actor, data.arg, Action.RATE, stars=data.arg2)
        done_key = "rate.thanks"
    else:
        outcome = await requests.apply(actor, data.arg, Action.NOT_FIXED)
        done_key = "notfixed.ok"
    if not outcome.ok:
        await answer(query, explain(lang, outcome), alert=True)
        return
    await answer(query)
    await drop_buttons(update)
    assert outcome.request is not None
    context.services.kick()
    await say(
        context,
        actor.user_id,
        t(lang, done_key, number=render.number(outcome.request), stars=outcome.request.rating),
    )


def build_handlers() -> list[BaseHandler[Any, BotContext, Any]]:
    private = filters.ChatType.PRIVATE
    verbs = (
        Verb.TIMELINE,
        Verb.TIMELINE_PAGE,
        Verb.MY_PAGE,
        Verb.CANCEL_REQUEST,
        Verb.CANCEL_REQUEST_SURE,
        Verb.RATE,
        Verb.NOT_FIXED,
        Verb.ANSWER,
    )
    return [
        CommandHandler("report", report, filters=private),
        CommandHandler("my", my_requests, filters=private),
        CallbackQueryHandler(on_request_button, pattern=callbacks.pattern_for(*verbs)),
    ]


async def answer_prompt(context: BotContext, dialog: Dialog) -> None:
    request = await context.services.requests.get(dialog.data["request_id"])
    number = render.number(request) if request else "?"
    text = t(lang_of(context), "question.ask_answer", number=number, max=DESCRIPTION_MAX)
    await say(context, dialog.user_id, text)


async def answer_input(update: Update, context: BotContext, dialog: Dialog) -> None:
    """The resident's answer goes to the worker; the resolve clock goes on."""
    await act_with_text(
        update,
        context,
        dialog,
        Action.ANSWER,
        "question.answered",
        "question.bad",
        DESCRIPTION_MAX,
    )


REPORT = Flow(FLOW, prompt, on_input, on_button)
ANSWER = Flow(ANSWER_FLOW, answer_prompt, answer_input, no_buttons, interrupts=True)
