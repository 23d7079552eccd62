"""A safety net under every log line: the bot token (and a phone number) never reaches a log.

httpx logs request URLs (``…/bot<token>/getMe``), and PTB's and httpx's exceptions carry them
in their messages and tracebacks (a token refused at start, a network error). Rather than
trust every caller, each record is cleaned as it is made: its message with its arguments
filled in, and its traceback formatted and cleaned once.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

from bot.privacy import for_log

MASK = "[token]"
# What a Bot API token looks like (digits, a colon, 30+ URL-safe characters), known or not.
_TOKEN_LIKE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")

_secrets: set[str] = set()
_installed = False


def redact(text: str) -> str:
    """The text with every known token, anything shaped like one, and phone numbers hidden."""
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return for_log(_TOKEN_LIKE.sub(MASK, text))


def install(token: str) -> None:
    """Clean every log record from now on (idempotent; each token given is remembered)."""
    global _installed
    if token.strip():
        _secrets.add(token)
    if _installed:
        return
    _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _clean(record)
        return record

    logging.setLogRecordFactory(factory)


def _clean(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: leave it to logging to report
        return
    cleaned = redact(message)
    if cleaned != message or record.args:
        record.msg, record.args = cleaned, None
    if record.exc_info and record.exc_info[0] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_text = redact(text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
