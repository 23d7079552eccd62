"""The callback data grammar: `v1:<verb>:<n>[:<m>]`, parsed in this one place.

Group-card buttons must keep working across restarts and releases, so the grammar is versioned
and carries only ids; what a press may do is decided from the database, never from the data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum, unique

VERSION = "v1"
MAX_BYTES = 64


@unique
class Verb(StrEnum):
    # request card and worker's private buttons
    CLAIM = "claim"
    RESOLVE = "done"
    HAND_BACK = "back"
    NOTE = "note"
    ASK = "ask"  # the holder asks the resident a question
    ANSWER = "ans"  # the resident answers it
    # resident's buttons on a request
    RATE = "rate"  # arg: request id, arg2: stars 1..5
    NOT_FIXED = "nfix"
    CANCEL_REQUEST = "cxl"
    CANCEL_REQUEST_SURE = "cxlok"
    TIMELINE = "tl"  # the first page
    TIMELINE_PAGE = "tlp"  # arg: request id, arg2: page
    MY_PAGE = "myp"  # arg: page of /my
    # a wish: the admins' card buttons, the resident's confirmation, a volunteer application
    PUBLISH = "pub"
    EDIT_TEXT = "wtxt"
    REJECT = "rej"
    CLOSE = "wclose"
    CONFIRM_WISH = "wok"
    THANK = "wthx"
    VOLUNTEER_AS = "vaff"  # arg: index of the affiliation
    VOLUNTEER_YES = "vyes"  # arg: the applicant's user id
    VOLUNTEER_NO = "vno"
    POINTS_PAGE = "ptp"  # arg: page of /points
    MYWISHES_PAGE = "mwp"  # arg: page of /mywishes
    # community events (arg: the series' id; arg2: the day, 20261116)
    EVENT_JOIN = "evj"
    EVENT_LEAVE = "evl"
    EVENT_MUTE = "evm"  # arg only
    EVENT_UNMUTE = "evu"
    # a worker's /queue
    QUEUE_CLAIM = "qclaim"  # arg: request id
    QUEUE_PAGE = "qp"  # arg: page
    # staff tools: an invite's Accept / No thanks (arg: invite id), /invites' Revoke and pages,
    # /staff's Remove (arg: the grant's ref, arg2: the person), its confirmation, and pages
    INVITE_ACCEPT = "iok"
    INVITE_DECLINE = "ino"
    INVITE_REVOKE = "irev"
    INVITES_PAGE = "ip"
    STAFF_REMOVE = "stdel"
    STAFF_REMOVE_SURE = "stdelok"
    STAFF_KEEP = "stkeep"
    STAFF_PAGE = "stp"
    # building posters: one building's (arg: building id), the buttons' page, all in a PDF
    POSTER = "po"
    POSTER_PAGE = "popg"
    POSTERS_PDF = "popdf"
    # wizard steps (arg: the id of the choice (building, category, request), or 0;
    # arg2: the step's nonce)
    BUILDING = "bld"
    CATEGORY = "cat"
    SKIP = "skip"
    PHOTOS_DONE = "phok"
    CONFIRM = "ok"
    ABORT = "abort"
    REDO = "redo"
    FOLLOW = "dupf"  # arg: request id to follow
    DIFFERENT = "dupn"
    LANGUAGE = "lang"  # arg: the language's code in base 36 (i18n.language_id)
    EDIT_PROFILE = "prof"
    # an admin's announcement: the audience (arg: 0, or the grid's number from grid_ids;
    # a building is Verb.BUILDING; arg2: the step's nonce)
    BC_EVERYONE = "bcall"
    BC_GRID = "bcgrid"
    BC_BUILDINGS = "bcbld"  # show the buildings to choose one
    BC_VOLUNTEERS = "bcvol"
    # staff tools: transfer a request (arg: request id); the transfer wizard's choices (arg:
    # a building id: that building, or that building's grid; a worker's user id); filing for
    # a resident without Telegram: a repair or a wish
    TRANSFER = "tr"
    TR_BUILDING = "trb"
    TR_GRID = "trg"
    TR_WORKER = "trw"
    PX_REPAIR = "pxr"
    PX_WISH = "pxw"


# Buttons of a wizard step: they carry the nonce of the step that showed them, so a press on an
# older message, or in another wizard, matches nothing.
WIZARD_VERBS = frozenset(
    {
        Verb.BUILDING,
        Verb.CATEGORY,
        Verb.SKIP,
        Verb.PHOTOS_DONE,
        Verb.CONFIRM,
        Verb.ABORT,
        Verb.REDO,
        Verb.FOLLOW,
        Verb.DIFFERENT,
        Verb.BC_EVERYONE,
        Verb.BC_GRID,
        Verb.BC_BUILDINGS,
        Verb.BC_VOLUNTEERS,
        Verb.TR_BUILDING,
        Verb.TR_GRID,
        Verb.TR_WORKER,
        Verb.PX_REPAIR,
        Verb.PX_WISH,
    }
)

# Verbs that carry a second number.
TWO_ARGS = frozenset({Verb.RATE, Verb.TIMELINE_PAGE, Verb.EVENT_JOIN, Verb.EVENT_LEAVE})
TWO_ARGS |= WIZARD_VERBS
TWO_ARGS |= {Verb.STAFF_REMOVE, Verb.STAFF_REMOVE_SURE}

PATTERN = re.compile(rf"^{VERSION}:")
_GRAMMAR = re.compile(rf"{VERSION}:([a-z]+):([0-9]{{1,12}})(?::([0-9]{{1,12}}))?")
_LIMIT = 10**12


@dataclass(frozen=True)
class Callback:
    verb: Verb
    arg: int = 0
    arg2: int | None = None

    def __post_init__(self) -> None:
        for number in (self.arg, self.arg2):
            if number is not None and number < 0:
                raise ValueError("callback numbers are never negative")
            if number is not None and number >= _LIMIT:
                raise ValueError("callback numbers have at most 12 digits")
        if (self.arg2 is not None) != (self.verb in TWO_ARGS):
            raise ValueError(f"{self.verb} takes {2 if self.verb in TWO_ARGS else 1} numbers")

    def pack(self) -> str:
        data = f"{VERSION}:{self.verb.value}:{self.arg}"
        if self.arg2 is not None:
            data += f":{self.arg2}"
        # The digit limit keeps every verb far below Telegram's 64 bytes.
        assert len(data.encode()) <= MAX_BYTES
        return data


def parse(data: str | None) -> Callback | None:
    """The callback, or None for anything that is not exactly our grammar (stale, forged)."""
    if not data:
        return None
    match = _GRAMMAR.fullmatch(data)
    if not match:
        return None
    try:
        verb = Verb(match.group(1))
        arg2 = int(match.group(3)) if match.group(3) is not None else None
        return Callback(verb, int(match.group(2)), arg2)
    except ValueError:
        return None


def pattern_for(*verbs: Verb) -> re.Pattern[str]:
    """The handler pattern for these verbs, built from the same grammar."""
    names = "|".join(re.escape(v.value) for v in verbs)
    return re.compile(rf"^{VERSION}:(?:{names}):")
