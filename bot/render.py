"""Texts and buttons about a request, rendered from its current state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape

from bot import i18n
from bot.callbacks import Callback, Verb
from bot.directory import Directory, Staff
from bot.domain import Action
from bot.i18n import Markup, t
from bot.kinds import policy_of
from bot.limits import CAPTION_MAX, TEXT_MAX, clip, fit, plain, units
from bot.messages import Button, Keyboard, Outgoing
from bot.privacy import for_group
from bot.settings import Settings
from storage.requests import Event, Request
from storage.volunteers import Entry

# A card's caption may hold 1024 characters; leave room for the status lines.
CARD_DESCRIPTION_MAX = 600
# A page of a list or timeline: Telegram's limit, less room for the page line.
PAGE_BUDGET = TEXT_MAX - 96
MY_PAGE_SIZE = 5
STAFF_CLAIMS_SHOWN = 10


def when(settings: Settings, lang: str, moment: datetime | None) -> str:
    """Local date and time as the reader's language writes it (11月24日 03:06)."""
    if moment is None:
        return "—"
    return i18n.moment(lang, moment, settings.community.tz)


def category_name(directory: Directory, lang: str, kind: str, key: str) -> str:
    category = directory.category(kind, key)
    return category.name(lang) if category is not None else key


def status_name(lang: str, status: str) -> str:
    return t(lang, f"status.{status}")


def number(request: Request) -> str:
    return policy_of(request.kind).number(request.seq)


def card(
    settings: Settings,
    directory: Directory,
    request: Request,
    *,
    followers: int,
    via: str,
    lang: str,
    claimed_at: datetime | None,
) -> tuple[str, Keyboard]:
    """The card a grid sees: never the reporter's phone or unit."""
    policy = policy_of(request.kind)
    # An admin's public text as typed; the resident's own text without phones or units.
    shown = request.public_text or for_group(request.description, request.unit)
    description = clip(shown, CARD_DESCRIPTION_MAX)
    lines = [
        t(
            lang,
            policy.texts.card,
            number=number(request),
            category=category_name(directory, lang, request.kind, request.category),
            building=request.building,
            description=description,
        )
    ]
    if followers:
        lines.append(t(lang, "card.followers", n=followers))
    # Each status has its card line, which may use any of these; a request of a kind that is
    # rated but was closed without a rating says so.
    line = f"{policy.texts.card_status}.{request.status}"
    if request.status == "closed" and request.rating is None and policy.rule(Action.RATE):
        line += "_unrated"
    lines.append(
        t(
            lang,
            line,
            deadline=when(settings, lang, request.claim_due_at),
            name=request.assignee_name or "?",
            at=when(settings, lang, claimed_at),
            stars=request.rating or "?",
        )
    )
    if not policy.texts.via_lines:
        pass
    elif via == "workers":
        lines.append(t(lang, "card.via_workers"))
    elif via == "admin":
        lines.append(t(lang, "card.via_admin", grid=request.grid_id))
    elif via in ("workers_fallback", "admin_fallback", "admins_fallback"):
        lines.append(t(lang, "card.via_fallback", grid=request.grid_id))
    buttons = card_buttons(lang, request, via)
    # With a photo the card is a caption, which Telegram caps at 1024.
    return fit("\n".join(lines), CAPTION_MAX if request.photos else TEXT_MAX), buttons


def retired_copy(lang: str, request: Request, chat_id: int, message_id: int) -> Outgoing:
    """The edit that turns an out-of-date copy of a card into a pointer to the current one."""
    text = t(lang, "card.moved", number=number(request))
    return Outgoing(chat_id, text, kind="edit", message_id=message_id)


def worker_buttons(lang: str, request: Request) -> Keyboard:
    """The holder's buttons: those of the actions the request's status allows."""
    policy = policy_of(request.kind)
    texts = policy.texts
    rows: Keyboard = []
    if policy.allows(request.status, policy.finish):
        rows.append([Button(t(lang, texts.finish_button), Callback(Verb.RESOLVE, request.id))])
    second = []
    if policy.allows(request.status, Action.NOTE):
        second.append(Button(t(lang, "worker.add_note"), Callback(Verb.NOTE, request.id)))
    if policy.allows(request.status, policy.release):
        second.append(Button(t(lang, texts.release_button), Callback(Verb.HAND_BACK, request.id)))
    if second:
        rows.append(second)
    if policy.allows(request.status, Action.ASK):
        rows.append([Button(t(lang, "worker.ask"), Callback(Verb.ASK, request.id))])
    if any(policy.allows(request.status, a) for a in (Action.TRANSFER, Action.REASSIGN)):
        rows.append([Button(t(lang, "transfer.button"), Callback(Verb.TRANSFER, request.id))])
    return rows


# A card's buttons: the action, its callback verb and its label.
CARD_BUTTONS: dict[Action, tuple[Verb, str]] = {
    Action.CLAIM: (Verb.CLAIM, "card.claim"),
    Action.PUBLISH: (Verb.PUBLISH, "card.publish"),
    Action.EDIT_TEXT: (Verb.EDIT_TEXT, "card.edit_text"),
    Action.REJECT: (Verb.REJECT, "card.reject"),
    Action.CLOSE: (Verb.CLOSE, "card.close"),
}


def card_buttons(lang: str, request: Request, via: str) -> Keyboard:
    """The buttons the kind shows on a card that came this way, for the actions its status
    allows; two to a row."""
    policy = policy_of(request.kind)
    way = via.removesuffix("_fallback")
    actions = next((a for v, a in policy.card_actions if v in (way, "")), ())
    shown = [
        Button(t(lang, CARD_BUTTONS[action][1]), Callback(CARD_BUTTONS[action][0], request.id))
        for action in actions
        if policy.allows(request.status, action)
    ]
    return [shown[i : i + 2] for i in range(0, len(shown), 2)]


def notice_buttons(lang: str, request_id: int, which: str | None) -> Keyboard:
    if which == "rating":
        return rating_buttons(lang, request_id)
    if which == "answer":
        return [[Button(t(lang, "question.answer_button"), Callback(Verb.ANSWER, request_id))]]
    if which == "confirm":
        return [
            [Button(t(lang, "wish.confirm_button"), Callback(Verb.CONFIRM_WISH, request_id))],
            [Button(t(lang, "wish.thank_button"), Callback(Verb.THANK, request_id))],
        ]
    return []


def rating_buttons(lang: str, request_id: int) -> Keyboard:
    stars = [Button("⭐" * n, Callback(Verb.RATE, request_id, n)) for n in range(1, 6)]
    return [
        stars[:3],
        stars[3:],
        [Button(t(lang, "btn.not_fixed"), Callback(Verb.NOT_FIXED, request_id))],
    ]


def event_line(settings: Settings, lang: str, event: Event) -> str:
    name = event.actor_name or "?"
    if event.actor_name is None and event.actor_id is not None:  # they asked to be forgotten
        name = t(lang, "privacy.erased_name")
    if event.action == "filed" and event.detail:  # by a worker for a resident (代办)
        body = t(lang, "event.filed_for", name=name, resident=event.detail)
    elif event.action == "filed":
        body = t(lang, "event.filed")
    elif event.action == "rate":
        body = t(lang, "event.rate", stars=event.note or "?")
    else:
        body = t(
            lang,
            f"event.{event.action}",
            name=name,
            note=event.note or "",
            where=event.detail or "",
        )
    return f"• {when(settings, lang, event.at)} {body}"


def paginate(head: str, items: list[str], budget: int = PAGE_BUDGET) -> list[str]:
    """HTML items packed into pages under a head, every page within Telegram's limit.

    An item too long for a page of its own is cut, with a marker.
    """
    head = fit(head, budget // 2)
    room = budget - units(plain(head))
    pages: list[list[str]] = [[]]
    used = 0
    for item in items:
        item = fit(item, room)
        size = units(plain(item)) + 1  # and its line break
        if pages[-1] and used + size > room:
            pages.append([])
            used = 0
        pages[-1].append(item)
        used += size
    return [head + "\n".join(page) for page in pages]


def page_line(lang: str, page: int, count: int) -> str:
    return "" if count <= 1 else "\n\n" + t(lang, "page.of", page=page + 1, count=count)


def page_buttons(
    lang: str, page: int, count: int, callback: Callable[[int], Callback]
) -> list[Button]:
    """◀ / ▶ for a paged text; none when it fits one page."""
    row: list[Button] = []
    if page > 0:
        row.append(Button(t(lang, "page.previous"), callback(page - 1)))
    if page < count - 1:
        row.append(Button(t(lang, "page.next"), callback(page + 1)))
    return row


def timeline(
    settings: Settings,
    directory: Directory,
    lang: str,
    request: Request,
    events: list[Event],
    page: int = 0,
) -> tuple[str, Keyboard]:
    """One page of a request's history, with buttons to the others."""
    head = t(
        lang,
        "timeline.header",
        number=number(request),
        category=category_name(directory, lang, request.kind, request.category),
        building=request.building,
        description=request.description,
        status=status_name(lang, request.status),
    )
    pages = paginate(head, [event_line(settings, lang, e) for e in events])
    page = min(page, len(pages) - 1)
    nav = page_buttons(
        lang, page, len(pages), lambda p: Callback(Verb.TIMELINE_PAGE, request.id, p)
    )
    return pages[page] + page_line(lang, page, len(pages)), [nav] if nav else []


def my_requests(
    directory: Directory, lang: str, user_id: int, requests: list[Request], page: int
) -> tuple[str, Keyboard]:
    """A page of the resident's requests, each with details (and cancel) buttons."""
    count = max(1, -(-len(requests) // MY_PAGE_SIZE))
    page = min(page, count - 1)
    shown = requests[page * MY_PAGE_SIZE : (page + 1) * MY_PAGE_SIZE]
    lines = [t(lang, "my.header", n=len(requests))]
    buttons: Keyboard = []
    for request in shown:
        label = number(request)
        line = t(
            lang,
            "my.item",
            number=label,
            category=category_name(directory, lang, request.kind, request.category),
            building=request.building,
            status=status_name(lang, request.status),
        )
        if request.reporter_id != user_id:
            line += " " + t(lang, "my.following")
        lines.append(line)
        row = [Button(t(lang, "my.details", number=label), Callback(Verb.TIMELINE, request.id))]
        cancellable = policy_of(request.kind).allows(request.status, Action.CANCEL)
        if request.reporter_id == user_id and cancellable:
            row.append(
                Button(
                    t(lang, "my.cancel", number=label), Callback(Verb.CANCEL_REQUEST, request.id)
                )
            )
        buttons.append(row)
    nav = page_buttons(lang, page, count, lambda p: Callback(Verb.MY_PAGE, p))
    text = fit("\n\n".join(lines), PAGE_BUDGET) + page_line(lang, page, count)
    return text, [*buttons, nav] if nav else buttons


def staff_greeting(
    settings: Settings,
    directory: Directory,
    lang: str,
    name: str,
    staff: Staff,
    claims: list[Request],
    registered: bool,
) -> tuple[str, Keyboard]:
    """Start for a grid worker or admin: their role, their open claims, what they can do."""
    lines = [t(lang, "staff.hello", name=name)]
    for grid in staff.grids:
        key = "staff.worker_group" if grid.group_chat_id is not None else "staff.worker_private"
        lines.append(t(lang, key, grid=grid.name, buildings=", ".join(grid.buildings)))
    if staff.admin:
        lines.append(t(lang, "staff.admin"))
    buttons: Keyboard = []
    if claims:
        lines.append("\n" + t(lang, "staff.claims", n=len(claims)))
        items, buttons = _claims(settings, directory, lang, claims)
        lines.extend(items)
    else:
        lines.append("\n" + t(lang, "staff.no_claims"))
    lines.append("\n" + t(lang, "staff.can_do"))
    if not registered:
        lines.append(t(lang, "staff.resident_hint"))
    return fit("\n".join(lines)), buttons


def taken(
    directory: Directory, lang: str, requests: list[Request], page: int = 0
) -> tuple[str, Keyboard]:
    """A page of a volunteer's wishes: the newest first, each with its status and a 🔎 button."""
    newest = list(reversed(requests))
    count = max(1, -(-len(newest) // STAFF_CLAIMS_SHOWN))
    page = min(page, count - 1)
    shown = newest[page * STAFF_CLAIMS_SHOWN : (page + 1) * STAFF_CLAIMS_SHOWN]
    lines = [t(lang, "mywishes.header", n=len(requests))]
    buttons: Keyboard = []
    for request in shown:
        label = number(request)
        lines.append(
            t(
                lang,
                "mywishes.item",
                number=label,
                category=category_name(directory, lang, request.kind, request.category),
                status=status_name(lang, request.status),
            )
        )
        buttons.append(
            [Button(t(lang, "my.details", number=label), Callback(Verb.TIMELINE, request.id))]
        )
    nav = page_buttons(lang, page, count, lambda p: Callback(Verb.MYWISHES_PAGE, p))
    text = fit("\n".join(lines), PAGE_BUDGET) + page_line(lang, page, count)
    return text, [*buttons, nav] if nav else buttons


def passbook(
    settings: Settings,
    lang: str,
    balance: int,
    entries: list[Entry],
    numbers: dict[int, str],
    page: int = 0,
) -> tuple[str, Keyboard]:
    """A page of a volunteer's passbook: the balance, then its rows, newest first."""
    rows = [
        t(
            lang,
            f"points.{entry.reason}",
            when=when(settings, lang, entry.at),
            points=abs(entry.delta),
            number=numbers.get(entry.request_id or 0, ""),
            note=entry.note or "",
        )
        for entry in entries
    ]
    pages = paginate(t(lang, "points.balance", balance=balance) + "\n", rows)
    page = min(page, len(pages) - 1)
    nav = page_buttons(lang, page, len(pages), lambda p: Callback(Verb.POINTS_PAGE, p))
    return pages[page] + page_line(lang, page, len(pages)), [nav] if nav else []


def _claims(
    settings: Settings, directory: Directory, lang: str, claims: list[Request]
) -> tuple[list[str], Keyboard]:
    """A worker's claimed requests, the first few with their resolve deadline and a 🔎 button
    each, and how many more there are."""
    lines: list[str] = []
    buttons: Keyboard = []
    for request in claims[:STAFF_CLAIMS_SHOWN]:
        label = number(request)
        lines.append(
            t(
                lang,
                "staff.claim_item",
                number=label,
                category=category_name(directory, lang, request.kind, request.category),
                building=request.building,
                deadline=when(settings, lang, request.resolve_due_at),
            )
        )
        buttons.append(
            [Button(t(lang, "my.details", number=label), Callback(Verb.TIMELINE, request.id))]
        )
    if len(claims) > STAFF_CLAIMS_SHOWN:
        lines.append(t(lang, "staff.more", n=len(claims) - STAFF_CLAIMS_SHOWN))
    return lines, buttons


def mention(user_id: int, name: str) -> Markup:
    return Markup(f'<a href="tg://user?id={user_id}">{escape(name, quote=False)}</a>')


QUEUE_PAGE_SIZE = 8


def queue(
    settings: Settings,
    directory: Directory,
    lang: str,
    waiting: list[Request],
    mine: list[Request],
    page: int,
) -> tuple[str, Keyboard]:
    """A worker's queue: a page of the unclaimed requests they may claim, oldest first, each
    with a Claim button; then their own claimed ones, each with a Details button."""
    count = max(1, -(-len(waiting) // QUEUE_PAGE_SIZE))
    page = min(page, count - 1)
    shown = waiting[page * QUEUE_PAGE_SIZE : (page + 1) * QUEUE_PAGE_SIZE]
    lines = [t(lang, "queue.waiting", n=len(waiting))]
    buttons: Keyboard = []
    for request in shown:
        label = number(request)
        lines.append(
            t(
                lang,
                "queue.item",
                number=label,
                category=category_name(directory, lang, request.kind, request.category),
                building=request.building,
                filed=when(settings, lang, request.created_at),
                deadline=when(settings, lang, request.claim_due_at),
            )
        )
        buttons.append(
            [Button(t(lang, "queue.claim", number=label), Callback(Verb.QUEUE_CLAIM, request.id))]
        )
    lines.append("\n" + t(lang, "queue.mine", n=len(mine)))
    items, details = _claims(settings, directory, lang, mine)
    lines.extend(items)
    buttons.extend(details)
    nav = page_buttons(lang, page, count, lambda p: Callback(Verb.QUEUE_PAGE, p))
    text = fit("\n".join(lines), PAGE_BUDGET) + page_line(lang, page, count)
    return text, [*buttons, nav] if nav else buttons
