"""The sandbox page in a real browser (the system's Chromium, driven by Playwright): a resident
registers and reports with a photo, the grid worker claims it in the group and resolves it, the
resident rates it; then a reset. Screenshots are kept in test-artifacts/."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.i18n import t

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("SANDBOX_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "test-artifacts"
GRID_A_GROUP = -1001111111111  # from config.example.toml
WORKER = 111111111
WAIT_MS = 20_000
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not CHROMIUM.exists():
    pytest.skip(
        f"the sandbox's browser test needs Chromium at {CHROMIUM} (apt-get install chromium)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="the sandbox's browser test needs playwright (pip install -e '.[dev]')",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def sandbox_url(tmp_path: Path) -> Iterator[str]:
    """`python -m bot sandbox` with the example community and a database of its own."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT__")}
    env["BOT__DATABASE__PATH"] = str(tmp_path / "data" / "community.sqlite3")
    config = ROOT / "config.example.toml"
    log = tmp_path / "sandbox.log"  # a file: a pipe nobody reads would stall its logging
    with log.open("w") as err:
        child = subprocess.Popen(
            [sys.executable, "-m", "bot", "--config", str(config), "--port", str(port), "sandbox"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line, line + log.read_text()[-3000:]
        yield f"http://127.0.0.1:{port}/"
    finally:
        child.terminate()
        try:
            child.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            raise AssertionError("the sandbox did not stop: " + log.read_text()[-3000:]) from None
        assert child.returncode == 0, log.read_text()[-3000:]
        assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


@pytest.fixture
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def test_one_person_plays_a_report_through(sandbox_url: str, browser: Any, tmp_path: Path) -> None:
    expect = sync_api.expect
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(sandbox_url)
    expect(page.locator("#me option")).not_to_have_count(0, timeout=WAIT_MS)
    expect(page.locator("#nextwhat")).to_contain_text("Next:", timeout=WAIT_MS)

    def chat(chat_id: int) -> Any:
        return page.locator(f'section.chat[data-chat="{chat_id}"]')

    def shows(chat_id: int, text: str) -> None:
        expect(chat(chat_id).locator(".log")).to_contain_text(text, timeout=WAIT_MS)

    def say(chat_id: int, text: str) -> None:
        box = chat(chat_id).locator("input[name=text]")
        box.fill(text)
        box.press("Enter")

    def press(chat_id: int, message: str, button: str) -> None:
        card = chat(chat_id).locator(".msg", has_text=message).last
        card.locator(".inline button", has_text=button).click()

    # A new resident, picked at once; their private chat with the bot.
    page.fill("#add input[name=name]", "Wang")
    page.click("#add button")
    expect(page.locator("#me")).to_have_value("7000001", timeout=WAIT_MS)
    me = 7000001
    say(me, "/start")
    shows(me, "Which building")
    press(me, "Which building", "1栋")
    shows(me, "type your unit")
    say(me, "3-301")
    shows(me, "share your phone")
    # The reply keyboard's contact button shares the resident's phone.
    chat(me).locator(".kbd button", has_text="Share my phone").click()
    shows(me, "Is this right?")
    press(me, "Is this right?", "Confirm")
    shows(me, "You are registered")

    # The command menu, as Telegram's Menu button shows it.
    chat(me).locator(".open-menu").click()
    chat(me).locator(".menu button", has_text="/report").click()
    shows(me, "Choose a category")
    press(me, "Choose a category", "Plumbing")
    press(me, "Which building is the problem in", "1栋")
    shows(me, "Describe the problem")
    say(me, "Pipe burst in the stairwell")
    shows(me, "Send up to 3 photos")
    photo = tmp_path / "pipe.png"
    Image.new("RGB", (320, 200), (47, 126, 193)).save(photo)
    chat(me).locator("input[type=file]").set_input_files(str(photo))
    shows(me, "Photo 1/3 received")
    expect(chat(me).locator(".msg.me img")).to_have_count(1, timeout=WAIT_MS)
    press(me, "Photo 1/3", "Done")
    shows(me, "Please check your report")
    press(me, "Please check your report", "Confirm")
    shows(me, "Saved as R-0001")
    # Bold as Telegram shows it, not as tags.
    expect(chat(me).locator(".msg b", has_text="R-0001")).to_have_count(1)

    # The grid worker sees the card, with the photo, in grid A's group.
    page.select_option("#me", str(WORKER))
    card = chat(GRID_A_GROUP).locator(".msg", has_text="R-0001").last
    expect(card).to_be_visible(timeout=WAIT_MS)
    expect(card.locator("img")).to_have_count(1)
    say(WORKER, "/start")
    shows(WORKER, "grid worker")
    card.locator(".inline button", has_text=t("zh", "card.claim")).click()
    # The card is edited in place: now it names who has it.
    expect(card).to_contain_text("已于", timeout=WAIT_MS)
    expect(card.locator(".edited")).to_have_count(1)
    shows(WORKER, "R-0001")
    press(WORKER, "R-0001", "Resolved")
    shows(WORKER, "What was done")
    say(WORKER, "Replaced the valve")
    shows(WORKER, "photo of the result")
    press(WORKER, "photo of the result", "Skip")
    shows(WORKER, "marked resolved")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sandbox-worker.png"), full_page=True)

    # Back as the resident: rate it.
    page.select_option("#me", str(me))
    shows(me, "Replaced the valve")
    press(me, "Replaced the valve", "⭐⭐⭐⭐⭐")
    shows(me, "closed with 5★")
    page.screenshot(path=str(ARTIFACTS / "sandbox-resident.png"), full_page=True)

    # On a phone's narrow screen the chats stack and nothing runs off the side.
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390, width
    page.screenshot(path=str(ARTIFACTS / "sandbox-phone.png"))

    # Reset: a fresh community, where the resident is gone and the group is empty.
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#reset")
    expect(page.locator("#me option", has_text="Wang")).to_have_count(0, timeout=WAIT_MS)
    page.select_option("#me", str(WORKER))
    expect(chat(GRID_A_GROUP).locator(".msg")).to_have_count(0, timeout=WAIT_MS)
