"""The fake Bot API server moved into the product (sandbox/api.py): the sandbox and the tests
share it. `tests.fakebot` stays its name for the tests; tests/fakebot.pyi tells mypy."""

import sys

from sandbox import api as _fakebot

sys.modules.setdefault("tests.fakebot", _fakebot)
fakebot = _fakebot
