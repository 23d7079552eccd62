"""Texts and buttons about a request, rendered from its current state."""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.callbacks import Callback, Verb
from bot.domain import Status, request_number
from bot.i18n import Markup, t
from bot.messages import Button, Keyboard
from bot.settings import Settings
from storage.requests import Event, Request

# A card's caption may hold 1024 characters; leave room for the status lines.
CARD_DESCRIPTION_MAX = 600


def when(settings: Settings, moment: datetime | None) -> str:
    """Local date and time the way a notice board writes it: 11-23 14:30."""
    if moment is None:
        return "—"
    return moment.astimezone(settings.community.tz).strftime("%m-%d %H:%M")


def category_name(settings: Settings, lang: str, category_id: str) -> str:
    category = settings.category(category_id)
    if category is None:
        return category_id
    return category.name_zh if lang == "zh" else category.name_en


def status_name(lang: str, status: str) -> str:
    return t(lang, f"status.{status}")


def number(request: Request) -> str:
    return request_number(request.kind, request.seq)


def card(
    settings: Settings,
    request: Request,
    *,
    followers: int,
    via: str,
    lang: str,
    claimed_at: datetime | None,
) -> tuple[str, Keyboard]:
    """The card a grid sees: never the reporter's phone or unit."""
    description = request.description
    if len(description) > CARD_DESCRIPTION_MAX:
        description = description[: CARD_DESCRIPTION_MAX - 1] + "…"
    lines = [
        t(
            lang,
            "card.body",
            number=number(request),
            category=category_name(settings, lang, request.category),
            building=request.building,
            description=description,
        )
    ]
    if followers:
        lines.append(t(lang, "card.followers", n=followers))
    status = Status(request.status)
    if status is Status.OPEN:
        lines.append(t(lang, "card.open", deadline=when(settings, request.claim_due_at)))
    elif status is Status.REOPENED:
        lines.append(t(lang, "card.reopened"))
    elif status is Status.CLAIMED:
        lines.append(
            t(
                lang,
                "card.claimed",
                name=request.assignee_name or "?",
                at=when(settings, claimed_at),
            )
        )
    elif status is Status.RESOLVED:
        lines.append(t(lang, "card.resolved", name=request.assignee_name or "?"))
    elif status is Status.CLOSED:
        lines.append(t(lang, "card.closed", stars=request.rating or "?"))
    else:
        lines.append(t(lang, "card.cancelled"))
    if via == "workers":
        lines.append(t(lang, "card.via_workers"))
    elif via == "admin":
        lines.append(t(lang, "card.via_admin", grid=request.grid_id))
    buttons: Keyboard = []
    if status in (Status.OPEN, Status.REOPENED):
        buttons = [[Button(t(lang, "card.claim"), Callback(Verb.CLAIM, request.id))]]
    return "\n".join(lines), buttons


def worker_buttons(lang: str, request_id: int) -> Keyboard:
    return [
        [Button(t(lang, "worker.resolve"), Callback(Verb.RESOLVE, request_id))],
        [
            Button(t(lang, "worker.add_note"), Callback(Verb.NOTE, request_id)),
            Button(t(lang, "worker.hand_back"), Callback(Verb.HAND_BACK, request_id)),
        ],
    ]


def rating_buttons(lang: str, request_id: int) -> Keyboard:
    stars = [Button("⭐" * n, Callback(Verb.RATE, request_id, n)) for n in range(1, 6)]
    return [
        stars[:3],
        stars[3:],
        [Button(t(lang, "btn.not_fixed"), Callback(Verb.NOT_FIXED, request_id))],
    ]


def event_line(settings: Settings, lang: str, event: Event) -> str:
    name = event.actor_name or "?"
    if event.action == "filed":
        body = t(lang, "event.filed")
    elif event.action == "rate":
        body = t(lang, "event.rate", stars=event.note or "?")
    else:
        body = t(lang, f"event.{event.action}", name=name, note=event.note or "")
    return f"• {when(settings, event.at)} {body}"


def timeline(settings: Settings, lang: str, request: Request, events: list[Event]) -> str:
    head = t(
        lang,
        "timeline.header",
        number=number(request),
        category=category_name(settings, lang, request.category),
        building=request.building,
        description=request.description,
        status=status_name(lang, request.status),
    )
    return head + "\n".join(event_line(settings, lang, e) for e in events)


def mention(user_id: int, name: str) -> Markup:
    return Markup(f'<a href="tg://user?id={user_id}">{escape(name, quote=False)}</a>')
