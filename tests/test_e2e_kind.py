"""A second request kind, defined only here (a policy and its texts, no use-case code), is
filed, routed, claimed and resolved by the same core and handlers as repairs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import i18n
from bot.core import Actor, Draft
from bot.domain import Action, Status
from bot.kinds import register, unregister
from bot.policy import Notice, Policy, Rule, Texts, To, Who
from storage import dialogs
from storage import directory as directory_store
from storage.dialogs import Dialog
from tests.conftest import ADMIN, GROUP_A, WORKER_A1, WORKER_B, RunningBot
from tests.fakebot import FakeBotApi
from tests.journeys import press_and_wait, say_and_wait
from tests.journeys import register as register_resident

S, A = Status, Action

# An errand: a worker claims it and closes it when done; no rating, no hand back, no notes.
ERRAND = Policy(
    kind="errand",
    prefix="E",
    active=(S.OPEN, S.CLAIMED),
    rules=(
        Rule(
            A.CLAIM,
            frozenset({S.OPEN}),
            S.CLAIMED,
            Who.WORKER,
            refused_who="claim.refused",
            refused_status="claim.not_open",
            assign="actor",
            details=True,
            notices=(Notice(To.REPORTER, "errand.claimed"),),
        ),
        Rule(
            A.RESOLVE,
            frozenset({S.CLAIMED}),
            S.CLOSED,
            Who.ASSIGNEE,
            refused_who="worker.not_assignee",
            refused_status="worker.not_claimed",
            notices=(Notice(To.REPORTER, "errand.done"),),
        ),
        Rule(
            A.CANCEL,
            frozenset({S.OPEN}),
            S.CANCELLED,
            Who.REPORTER_OR_ADMIN,
            refused_who="cancel.not_yours",
            refused_status="cancel.refused",
        ),
    ),
    texts=Texts(
        card="errand.card",
        card_status="errand.card",
        saved="errand.saved",
        following="errand.saved",
        details="errand.details",
        resolved="errand.resolved",
    ),
)

TEXTS = {
    "errand.card": (
        "🛒 <b>{number}</b> 跑腿 · {building}\n{description}",
        "🛒 <b>{number}</b> errand · {building}\n{description}",
    ),
    "errand.card.open": ("等人接单", "Waiting for a runner"),
    "errand.card.claimed": ("{name} 在跑", "{name} is on it"),
    "errand.card.closed": ("已办完", "Done"),
    "errand.card.cancelled": ("已取消", "Cancelled"),
    "errand.saved": ("跑腿 {number} 已登记。", "Errand {number} is noted."),
    "errand.claimed": ("{name} 接了您的跑腿 {number}。", "{name} took your errand {number}."),
    "errand.done": ("跑腿 {number} 办完了:{note}", "Errand {number} is done: {note}"),
    "errand.resolved": ("{number} 已办完,谢谢!", "{number} is done and closed. Thank you!"),
    "errand.details": (
        "🛒 {number} · {building} {unit}\n{reporter} {phone}\n{description}",
        "🛒 {number} · {building} {unit}\n{reporter} {phone}\n{description}",
    ),
}


def _po(lang: str) -> str:
    entries = [f'msgid ""\nmsgstr "Language: {lang}\\n"\n']
    for key, (zh, en) in TEXTS.items():
        text = (zh if lang == "zh" else en).replace('"', '\\"').replace("\n", "\\n")
        entries.append(f'msgid "{key}"\nmsgstr "{text}"\n')
    return "\n".join(entries)


@pytest.fixture
def errand(tmp_path: Path) -> Iterator[Policy]:
    """The errand kind and its texts, for this test only."""
    catalogs = tmp_path / "errand-locales"
    catalogs.mkdir()
    for lang in ("zh", "en"):
        (catalogs / f"{lang}.po").write_text(_po(lang), "utf-8")
    register(ERRAND)
    i18n.add_catalogs(catalogs)
    try:
        yield ERRAND
    finally:
        unregister(ERRAND.kind)
        i18n.remove_catalogs(catalogs)


async def test_a_second_kind_is_filed_routed_claimed_and_resolved(
    server: FakeBotApi, errand: Policy, bot: RunningBot
) -> None:
    alice = server.user(1001, "Alice")
    await register_resident(server, alice, "1", "2-301", phone="13800000001")
    services = bot.services
    # Its category is added at runtime, by an admin: the directory is the database's.
    async with services.db.transaction() as conn:
        fields = {"name_zh": "买菜", "name_en": "Groceries", "claim_hours": 1, "resolve_hours": 4}
        await directory_store.put_category(conn, "errand", "groceries", fields, ADMIN)
        await directory_store.log_change(conn, "category groceries added", ADMIN, "admin")
        # What a wizard leaves at its last step.
        await dialogs.save(conn, Dialog(1001, "errand", "confirm", {}))
    await services.directory.reload()

    draft = Draft("errand", "groceries", "1", "Milk and bread, please")
    filed = await services.requests.file(Actor(1001, "Alice"), draft)
    assert filed.ok and filed.request is not None and filed.request.grid_id == "A"
    services.kick()
    await server.wait_for_message(1001, "Errand E-0001 is noted.")
    card = await server.wait_for_message(GROUP_A, "E-0001")
    assert "跑腿" in card.plain and "等人接单" in card.plain and "Milk and bread" in card.plain

    # Claimed from the card, by a worker of the building's grid only.
    b = server.user(WORKER_B, "Sun B")
    refused = await server.wait_for_answer(b.press(card, "认领"))
    assert refused["text"] == "Only workers of grid “Grid A” can claim this request."
    a1 = server.user(WORKER_A1, "Wang A1")
    await say_and_wait(server, a1, "/start", "You are a grid worker")
    answer = await server.wait_for_answer(a1.press(card, "认领"))
    assert str(answer["text"]).startswith("You claimed E-0001")
    details = await server.wait_for_message(WORKER_A1, "Milk and bread")
    assert "13800000001" in details.plain
    # Its policy has no notes and no hand back: the worker is offered only what it allows.
    assert [b.text for b in details.buttons] == ["✅ Resolved"]
    await server.wait_for_edit(GROUP_A, card.message_id, "Wang A1 在跑")
    await server.wait_for_message(1001, "Wang A1 took your errand E-0001.")

    # Resolved in private, with the note; the resident is told; the card says done.
    ask = await press_and_wait(server, a1, details, "Resolved", "E-0001")
    ask = await say_and_wait(server, a1, "Left it at the door", "photo")
    await press_and_wait(server, a1, ask, "Skip", "E-0001 is done and closed. Thank you!")
    done = await server.wait_for_message(1001, "Errand E-0001 is done: Left it at the door")
    assert done.buttons == []  # no rating in this kind
    closed = await server.wait_for_edit(GROUP_A, card.message_id, "已办完")
    assert closed.buttons == []
    mine = await say_and_wait(server, alice, "/my", "E-0001")
    assert "closed" in mine.plain
