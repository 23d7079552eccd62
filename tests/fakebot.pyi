# tests.fakebot is sandbox.api under its old name (see tests/__init__.py).
from sandbox.api import *  # noqa: F403
from sandbox.api import _INJECTED as _INJECTED
