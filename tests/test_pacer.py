"""The pacer (bot/pacer.py): replies go first, a group gets its burst and then its pace, bulk
sends keep one chat's pace, and a 429 holds every paced send back."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.pacer import BULK, Pacer


class Calls:
    """Records the order in which the pacer let calls through."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self.refuse_next = False

    def call(self, name: str) -> Any:
        async def callback() -> bool:
            if self.refuse_next:
                self.refuse_next = False
                raise RetryAfter(timedelta(seconds=1))
            self.order.append(name)
            return True

        return callback


async def send(
    pacer: Pacer, calls: Calls, name: str, chat: int, bulk: bool, endpoint: str = "sendMessage"
) -> Any:
    return await pacer.process_request(
        calls.call(name), (), {}, endpoint, {"chat_id": chat}, BULK if bulk else None
    )


async def test_a_reply_goes_ahead_of_the_bulk_sends_waiting() -> None:
    pacer, calls = Pacer(40, 20, 60, 0), Calls()
    bulk = [asyncio.create_task(send(pacer, calls, f"n{i}", 1000 + i, True)) for i in range(20)]
    await asyncio.sleep(0.05)
    await send(pacer, calls, "reply", 7, False)
    assert calls.order.index("reply") <= 8  # the burst and what went while it was on its way
    await asyncio.gather(*bulk)
    assert len(calls.order) == 21


async def test_a_group_gets_its_burst_then_waits_for_its_pace() -> None:
    pacer, calls = Pacer(1000, 3, 60, 0), Calls()
    tasks = [asyncio.create_task(send(pacer, calls, f"c{i}", -100, True)) for i in range(4)]
    await asyncio.sleep(0.3)
    assert calls.order == ["c0", "c1", "c2"]
    assert pacer.free_in(-100) > 1
    assert pacer.free_in(-200) == 0  # another group has its own budget
    for task in tasks:
        task.cancel()


async def test_bulk_sends_keep_a_chat_s_pace_but_a_reply_does_not_wait_for_it() -> None:
    pacer, calls = Pacer(1000, 20, 60, 30), Calls()
    await send(pacer, calls, "first", 5, True)
    second = asyncio.create_task(send(pacer, calls, "second", 5, True))
    await send(pacer, calls, "reply", 5, False)
    await asyncio.sleep(0.2)
    assert calls.order == ["first", "reply"]
    second.cancel()


async def test_a_429_holds_every_paced_send_back_but_not_callback_answers() -> None:
    pacer, calls = Pacer(1000, 20, 60, 0), Calls()
    calls.refuse_next = True
    with pytest.raises(RetryAfter):
        await send(pacer, calls, "refused", 1, True)
    later = asyncio.create_task(send(pacer, calls, "other chat", 2, False))
    await send(pacer, calls, "answer", 3, False, endpoint="answerCallbackQuery")
    await asyncio.sleep(0.3)
    assert calls.order == ["answer"]
    assert pacer.free_in(4) > 0
    await later
    assert calls.order == ["answer", "other chat"]
