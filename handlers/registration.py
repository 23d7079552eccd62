"""Registration: /start, building, unit, optional phone, confirm; /profile and /language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

from telegram import KeyboardButton, ReplyKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import callbacks, i18n, posters, render
from bot.callbacks import Callback, Verb
from bot.context import BotContext
from bot.domain import UNIT_MAX
from bot.i18n import every, t
from bot.limits import visible
from bot.messages import Button, Keyboard
from handlers.common import Flow, answer, in_private, lang_of, main_menu, say
from handlers.dialog import router
from storage.dialogs import Dialog

FLOW = "register"


class Step(StrEnum):
    BUILDING = "building"
    UNIT = "unit"
    PHONE = "phone"
    CONFIRM = "confirm"


def building_buttons(context: BotContext, nonce: int, own: str | None = None) -> Keyboard:
    """The buildings in use, three to a row; each button carries the building's id, so a press
    picks what it showed even after the list changed."""
    lang = lang_of(context)
    buildings = context.directory.active_buildings
    buttons = [
        Button(
            t(lang, "report.own_building", building=b.name) if b.name == own else b.name,
            Callback(Verb.BUILDING, b.id, nonce),
        )
        for b in buildings
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    names = [b.name for b in buildings]
    if own in names:
        # The resident's own building first: the usual answer is one tap away.
        mine = buttons[names.index(own)]
        rows = [[mine], *[[b for b in row if b is not mine] for row in rows]]
        rows = [row for row in rows if row]
    return rows


def chosen_building(context: BotContext, data: Callback) -> str | None:
    """The building a button names, or None if it is no longer in use."""
    building = context.directory.building(data.arg)
    return building.name if building is not None else None


async def start_registration(
    context: BotContext, user_id: int, then: dict[str, Any] | None = None, welcome: bool = True
) -> None:
    """Open the registration wizard; `then` is the wizard step (flow, step, data) to go on
    with afterwards."""
    dialog = await router(context).open(context, user_id, FLOW, Step.BUILDING, {"then": then})
    intro = None
    if welcome:
        key = "reg.first" if then else "reg.welcome"
        intro = t(lang_of(context), key, community=context.settings.community.name)
    await prompt(context, dialog, intro)


async def begin(
    context: BotContext, user_id: int, first: dict[str, Any], ask: Callable[..., Awaitable[None]]
) -> None:
    """A resident's journey from its first step (`first`: flow, step, data): an open wizard is
    asked again instead; someone not registered registers first and goes on with it after."""
    if await router(context).resume(context, user_id):
        return
    if context.person is None or not context.person.registered:
        await start_registration(context, user_id, then=first)
        return
    dialog = await router(context).open(
        context, user_id, first["flow"], first["step"], first["data"]
    )
    await ask(context, dialog)


async def prompt(context: BotContext, dialog: Dialog, intro: str | None = None) -> None:
    """Ask the question of the registration step the resident is on."""
    lang = lang_of(context)
    uid = dialog.user_id
    step = Step(dialog.step)
    if step is Step.BUILDING:
        question = t(lang, "reg.ask_building")
        text = f"{intro}\n\n{question}" if intro else question
        await say(context, uid, text, building_buttons(context, dialog.nonce))
    elif step is Step.UNIT:
        question = t(lang, "reg.ask_unit", building=dialog.data["building"])
        await say(context, uid, f"{intro}\n\n{question}" if intro else question)
    elif step is Step.PHONE:
        keyboard = ReplyKeyboardMarkup(
            [
                [KeyboardButton(t(lang, "reg.phone_button"), request_contact=True)],
                [KeyboardButton(t(lang, "btn.skip"))],
            ],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        await say(context, uid, t(lang, "reg.ask_phone"), reply_markup=keyboard)
    else:
        data = dialog.data
        text = t(
            lang,
            "reg.confirm",
            building=data["building"],
            unit=data["unit"],
            phone=data.get("phone") or t(lang, "reg.no_phone"),
        )
        buttons = [
            [
                Button(t(lang, "btn.confirm"), Callback(Verb.CONFIRM, 0, dialog.nonce)),
                Button(t(lang, "reg.redo"), Callback(Verb.REDO, 0, dialog.nonce)),
            ]
        ]
        await say(context, uid, text, buttons)


async def _advance(context: BotContext, dialog: Dialog, step: Step, **data: Any) -> None:
    await prompt(context, await context.services.people.advance(dialog, step, **data))


async def on_input(update: Update, context: BotContext, dialog: Dialog) -> None:
    """Typed answers: the unit, the phone (contact button or Skip); anything else re-asks."""
    message = update.effective_message
    assert message is not None
    lang = lang_of(context)
    step = Step(dialog.step)
    if step is Step.UNIT:
        unit = visible(message.text)
        if not unit or len(unit) > UNIT_MAX:
            await say(context, dialog.user_id, t(lang, "reg.unit_bad", max=UNIT_MAX))
            return
        await _advance(context, dialog, Step.PHONE, unit=unit)
    elif step in (Step.PHONE, Step.CONFIRM) and message.contact is not None:
        if message.contact.user_id != dialog.user_id:
            await say(context, dialog.user_id, t(lang, "reg.phone_bad"))
            return
        await _advance(context, dialog, Step.CONFIRM, phone=message.contact.phone_number)
    elif step is Step.PHONE and message.text in every("btn.skip"):
        await _advance(context, dialog, Step.CONFIRM, phone=None)
    elif step is Step.PHONE:
        await say(context, dialog.user_id, t(lang, "reg.phone_bad"))
    else:
        await prompt(context, dialog)


async def on_button(update: Update, context: BotContext, dialog: Dialog, data: Callback) -> None:
    """Building buttons, Confirm and Start over."""
    query = update.callback_query
    assert query is not None
    lang = lang_of(context)
    step = Step(dialog.step)
    if step is Step.BUILDING and data.verb is Verb.BUILDING:
        building = chosen_building(context, data)
        if building is None:  # no longer in use: the question again, with today's buildings
            await answer(query, t(lang, "error.stale_button"))
            await prompt(context, dialog)
            return
        await answer(query)
        await _advance(context, dialog, Step.UNIT, building=building)
    elif step is Step.CONFIRM and data.verb is Verb.CONFIRM:
        await answer(query)
        await _finish(context, dialog)
    elif step is Step.CONFIRM and data.verb is Verb.REDO:
        await answer(query)
        await _advance(context, dialog, Step.BUILDING)
    else:
        await answer(query, t(lang, "error.stale_button"))


async def _finish(context: BotContext, dialog: Dialog) -> None:
    data = dialog.data
    then = data.get("then")
    following = None
    if then:  # the wizard registration was started for (a report) goes on
        following = Dialog(dialog.user_id, then["flow"], then["step"], then["data"])
    opened = await context.services.people.register(
        dialog.user_id, data["building"], data["unit"], data.get("phone"), following
    )
    lang = lang_of(context)
    await say(context, dialog.user_id, t(lang, "reg.done"), reply_markup=main_menu(lang))
    if opened is not None and then:
        await router(context).ask(context, opened)
    elif opened is not None:
        await router(context).resume(context, dialog.user_id)


async def greet_staff(update: Update, context: BotContext) -> bool:
    """Greet a grid worker or admin by role: their grids, their open claims, what they can do.

    Asks nothing (staff are not residents); an open wizard of theirs is asked again after.
    False if the person is not staff.
    """
    user = update.effective_user
    assert user is not None
    staff = context.directory.staff(user.id)
    if staff is None:
        return False
    lang = lang_of(context)
    claims = await context.services.requests.claimed_by(user.id)
    registered = context.person is not None and context.person.registered
    text, buttons = render.staff_greeting(
        context.settings, context.directory, lang, user.first_name, staff, claims, registered
    )
    await say(context, user.id, text, buttons)
    await router(context).resume(context, user.id)
    return True


async def start(update: Update, context: BotContext) -> None:
    """/start: greet staff by role, greet a registered resident, or begin registration."""
    user = update.effective_user
    assert user is not None
    lang = lang_of(context)
    community = context.settings.community.name
    if await greet_staff(update, context):
        return
    # A building poster's QR code: /start b<building id>.
    poster = posters.building_of_payload(context.args[0]) if context.args else None
    if poster is not None and await _poster_answers(context, user.id, poster):
        return
    registered = context.person is not None and context.person.registered
    if poster is not None:
        if not await router(context).resume(context, user.id):
            await _from_poster(context, user.id, poster)
        return
    if context.directory.is_volunteer(user.id):
        # A volunteer, like staff, is greeted by role and not asked to register (they may,
        # from /profile); an open wizard of theirs is asked again after.
        hint = "" if registered else "\n" + t(lang, "staff.resident_hint")
        await say(context, user.id, t(lang, "volunteer.already") + hint)
        await router(context).resume(context, user.id)
        return
    if await router(context).resume(context, user.id):
        return
    if registered:
        await say(
            context, user.id, t(lang, "help", community=community), reply_markup=main_menu(lang)
        )
        return
    await start_registration(context, user.id)


async def _poster_answers(context: BotContext, user_id: int, building_id: int) -> bool:
    """A poster scanned while the building question is open answers it."""
    dialog = await context.services.people.dialog(user_id)
    building = context.directory.building(building_id)
    if dialog is None or dialog.flow != FLOW or dialog.step != Step.BUILDING or not building:
        return False
    await _advance(context, dialog, Step.UNIT, building=building.name)
    return True


async def _from_poster(context: BotContext, user_id: int, building_id: int) -> None:
    """/start from a building's poster: someone new registers there, asked the unit straight
    away (the building retired: asked the building, with an apology); someone registered is
    told where they are, and how to move to the poster's building."""
    lang = lang_of(context)
    person = context.person
    building = context.directory.building(building_id)
    welcome = t(lang, "reg.welcome", community=context.settings.community.name)
    if person is None or not person.registered:
        if building is None:
            dialog = await router(context).open(context, user_id, FLOW, Step.BUILDING, {})
            await prompt(context, dialog, f"{welcome}\n\n{t(lang, 'reg.poster_unknown')}")
            return
        data = {"then": None, "building": building.name}
        dialog = await router(context).open(context, user_id, FLOW, Step.UNIT, data)
        await prompt(context, dialog, welcome)
        return
    where = {"building": person.building or "", "unit": person.unit or ""}
    if building is None:
        community = context.settings.community.name
        await say(
            context, user_id, t(lang, "help", community=community), reply_markup=main_menu(lang)
        )
    elif building.name == person.building:
        await say(
            context, user_id, t(lang, "reg.poster_same", **where), reply_markup=main_menu(lang)
        )
    else:
        text = t(lang, "reg.poster_other", poster=building.name, **where)
        change = [[Button(t(lang, "profile.edit"), Callback(Verb.EDIT_PROFILE))]]
        await say(context, user_id, text, change)


async def help_command(update: Update, context: BotContext) -> None:
    """/help: what the bot does and its commands."""
    user = update.effective_user
    assert user is not None
    lang = lang_of(context)
    await say(context, user.id, t(lang, "help", community=context.settings.community.name))


async def language(update: Update, context: BotContext) -> None:
    """/language: offer every language there is a catalog for, each in its own words."""
    user = update.effective_user
    assert user is not None
    choices = [
        Button(t(lang, "lang.name"), Callback(Verb.LANGUAGE, i18n.language_id(lang)))
        for lang in i18n.LANGUAGES
    ]
    buttons = [choices[i : i + 3] for i in range(0, len(choices), 3)]
    await say(context, user.id, t(lang_of(context), "lang.choose"), buttons)


async def language_chosen(update: Update, context: BotContext) -> None:
    """A language button: switch and confirm in the new language."""
    query = update.callback_query
    assert query is not None
    data = callbacks.parse(query.data)
    lang = i18n.language_of(data.arg) if data is not None else None
    if lang is None or not in_private(update):
        await answer(query, t(lang_of(context), "error.stale_button"))
        return
    await context.services.people.set_lang(query.from_user.id, lang)
    await answer(query)
    registered = context.person is not None and context.person.registered
    await say(
        context,
        query.from_user.id,
        t(lang, "lang.set"),
        reply_markup=main_menu(lang) if registered else None,
    )


async def profile(update: Update, context: BotContext) -> None:
    """/profile: show the registration with a Change button, or offer to register (staff who
    also live here register as residents from here)."""
    user = update.effective_user
    assert user is not None
    lang = lang_of(context)
    person = context.person
    if person is None or not person.registered:
        register = [[Button(t(lang, "profile.register"), Callback(Verb.EDIT_PROFILE))]]
        await say(context, user.id, t(lang, "profile.none"), register)
        return
    text = t(
        lang,
        "profile.show",
        name=person.name,
        building=person.building or "",
        unit=person.unit or "",
        phone=person.phone or t(lang, "reg.no_phone"),
        language=t(lang, "lang.name"),
    )
    await say(
        context, user.id, text, [[Button(t(lang, "profile.edit"), Callback(Verb.EDIT_PROFILE))]]
    )


async def edit_profile(update: Update, context: BotContext) -> None:
    """The Change / Register button: run registration (unless another wizard is open)."""
    query = update.callback_query
    assert query is not None
    if not in_private(update):
        await answer(query, t(lang_of(context), "error.stale_button"))
        return
    await answer(query)
    if await router(context).resume(context, query.from_user.id):
        return
    registered = context.person is not None and context.person.registered
    await start_registration(context, query.from_user.id, welcome=not registered)


REGISTRATION = Flow(FLOW, prompt, on_input, on_button)


def build_handlers() -> list[BaseHandler[Any, BotContext, Any]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("start", start, filters=private),
        CommandHandler("help", help_command, filters=private),
        CommandHandler("language", language, filters=private),
        CommandHandler("profile", profile, filters=private),
        CallbackQueryHandler(language_chosen, pattern=callbacks.pattern_for(Verb.LANGUAGE)),
        CallbackQueryHandler(edit_profile, pattern=callbacks.pattern_for(Verb.EDIT_PROFILE)),
    ]
