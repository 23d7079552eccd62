"""The three rates a hotline is judged by (响应率, 解决率, 满意率) and the figures around them,
computed from a request's events and the deadlines stored on it. Pure: no Telegram, no SQL.

Every figure is over the requests *received* (filed) in the period; the README's admin section
defines each one, and tests/test_kpi.py checks them on a data set with known answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from statistics import median

from storage.kpi import Facts

WITHDRAWN = frozenset({"cancelled", "duplicate", "rejected"})
OPEN = ("open", "claimed", "reopened")  # waiting for a worker, or being worked on
WAITING = frozenset({"open", "reopened"})
SATISFIED = 4  # stars from which a rating counts as satisfied
LONGEST_PERIOD = timedelta(days=366)


class Verdict(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    PENDING = "pending"  # still within its deadline: not counted yet
    EXCLUDED = "excluded"  # withdrawn before any deadline of it passed


@dataclass(frozen=True)
class Outcome:
    """What became of one request, as the rates count it."""

    id: int
    grid: str
    worker: tuple[int, str] | None  # who holds (or last held) it: its latest claim
    filed_at: datetime
    claimed_at: datetime | None  # its first claim
    resolved_at: datetime | None  # the resolution that stands (not one the resident rejected)
    response: Verdict
    resolution: Verdict
    rating: int | None


def resolve_deadline(facts: Facts, resolved_at: datetime) -> datetime | None:
    """The resolve deadline a resolution was held to: the one stored on the request (set at
    its latest claim, moved on by every answered question), moved on by the time a question
    still unanswered when it was resolved had stopped the clock."""
    due = facts.resolve_due_at
    if due is None:
        return None
    asked: datetime | None = None
    for step in facts.steps:
        if step.at > resolved_at:
            break
        if step.action == "claim":
            asked = None
        elif step.action == "ask" and asked is None:
            asked = step.at
        elif step.action == "answer":
            asked = None
    return due + (resolved_at - asked) if asked is not None else due


def overdue(facts: Facts, now: datetime) -> bool:
    """Open now and past its deadline: unclaimed past the claim deadline, or claimed past the
    resolve deadline with its clock running (not waiting for the resident's answer)."""
    if facts.status in WAITING:
        return facts.claim_due_at is not None and facts.claim_due_at <= now
    if facts.status == "claimed":
        return (
            facts.paused_at is None
            and facts.resolve_due_at is not None
            and facts.resolve_due_at <= now
        )
    return False


def outcome(facts: Facts, now: datetime) -> Outcome:
    filed_at = next((s.at for s in facts.steps if s.action == "filed"), None)
    assert filed_at is not None, "a request counted as received has its filed event"
    first_claim: datetime | None = None
    worker: tuple[int, str] | None = None
    resolved: datetime | None = None
    rating: int | None = None
    for step in facts.steps:
        if step.action == "claim":
            first_claim = first_claim or step.at
            if step.actor_id is not None:
                worker = (step.actor_id, step.actor_name or str(step.actor_id))
        elif step.action == "hand_back":
            worker = None
        elif step.action == "resolve":
            resolved = step.at
        elif step.action == "not_fixed":
            resolved = None
        elif step.action == "rate" and step.note and step.note.isdigit():
            rating = int(step.note)
    withdrawn_at = (
        next((s.at for s in reversed(facts.steps) if s.action in ("cancel", "merge")), now)
        if facts.status in WITHDRAWN
        else None
    )
    # 响应: claimed by the claim deadline.
    claim_due = facts.claim_due_at
    if first_claim is not None:
        in_time = claim_due is None or first_claim <= claim_due
        response = Verdict.ON_TIME if in_time else Verdict.LATE
    elif claim_due is not None and claim_due <= (withdrawn_at or now):
        response = Verdict.LATE  # nobody claimed it in time, withdrawn or not
    else:
        response = Verdict.EXCLUDED if withdrawn_at is not None else Verdict.PENDING
    # 解决: resolved by the resolve deadline (an open request past a deadline is late already).
    if resolved is not None:
        due = resolve_deadline(facts, resolved)
        resolution = Verdict.ON_TIME if due is None or resolved <= due else Verdict.LATE
    elif withdrawn_at is not None:
        resolution = Verdict.EXCLUDED
    elif facts.status in OPEN:
        resolution = Verdict.LATE if overdue(facts, now) else Verdict.PENDING
    else:
        resolution = Verdict.EXCLUDED
    return Outcome(
        facts.id,
        facts.grid_id,
        worker,
        filed_at,
        first_claim,
        resolved,
        response,
        resolution,
        rating,
    )


@dataclass(frozen=True)
class Rate:
    hits: int
    counted: int

    @property
    def percent(self) -> int | None:
        """Rounded to a whole percent; None when nothing is counted."""
        return round(100 * self.hits / self.counted) if self.counted else None


@dataclass(frozen=True)
class Figures:
    received: int
    response: Rate  # claimed in time, of those claimed or past their claim deadline
    resolution: Rate  # resolved in time, of those resolved or past a deadline
    satisfaction: Rate  # rated 4-5, of those rated
    to_claim: timedelta | None  # median from filing to the first claim
    to_resolve: timedelta | None  # median from filing to the resolution that stands


def _rate(verdicts: Iterable[Verdict]) -> Rate:
    counted = [v for v in verdicts if v in (Verdict.ON_TIME, Verdict.LATE)]
    return Rate(sum(v is Verdict.ON_TIME for v in counted), len(counted))


def _median(spans: list[timedelta]) -> timedelta | None:
    if not spans:
        return None
    return timedelta(seconds=round(median(s.total_seconds() for s in spans)))


def figures(outcomes: Sequence[Outcome]) -> Figures:
    rated = [o.rating for o in outcomes if o.rating is not None]
    return Figures(
        received=len(outcomes),
        response=_rate(o.response for o in outcomes),
        resolution=_rate(o.resolution for o in outcomes),
        satisfaction=Rate(sum(r >= SATISFIED for r in rated), len(rated)),
        to_claim=_median([o.claimed_at - o.filed_at for o in outcomes if o.claimed_at]),
        to_resolve=_median([o.resolved_at - o.filed_at for o in outcomes if o.resolved_at]),
    )


# --- periods -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    since: datetime  # aware, inclusive
    until: datetime  # aware, exclusive
    first: date  # local days, inclusive, for the text
    last: date


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_DAY = r"\d{4}-\d{1,2}-\d{1,2}"
_RANGE = re.compile(rf"^({_DAY})\s*(?:\.\.|–|—|~)\s*({_DAY})$")
_YEAR = re.compile(r"^\d{4}$")


def _day(text: str) -> date:
    year, month, day = (int(p) for p in text.split("-"))
    return date(year, month, day)


def _month_after(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def period_of(
    text: str, now: datetime, tz: tzinfo, week_words: Iterable[str], month_words: Iterable[str]
) -> Period | None:
    """'' or a month word: this month; a week word: this week (from Monday); 2026-11; 2026;
    2026-11-01..2026-11-30 (both days included); 2026-11-05. None if it is none of these or
    longer than a year."""
    words = text.strip().lower()
    today = now.astimezone(tz).date()
    try:
        if not words or words in {w.lower() for w in month_words}:
            first = today.replace(day=1)
            last = _month_after(first) - timedelta(days=1)
        elif words in {w.lower() for w in week_words}:
            first = today - timedelta(days=today.weekday())
            last = first + timedelta(days=6)
        elif match := _MONTH.match(words):
            first = date(int(match[1]), int(match[2]), 1)
            last = _month_after(first) - timedelta(days=1)
        elif _YEAR.match(words):
            first, last = date(int(words), 1, 1), date(int(words), 12, 31)
        elif match := _RANGE.match(words):
            first, last = _day(match[1]), _day(match[2])
        elif re.fullmatch(_DAY, words):
            first = last = _day(words)
        else:
            return None
    except ValueError:  # 2026-13, 2026-02-30
        return None
    if last < first or last - first >= LONGEST_PERIOD:
        return None
    since = datetime.combine(first, time(), tzinfo=tz)
    until = datetime.combine(last + timedelta(days=1), time(), tzinfo=tz)
    return Period(since, until, first, last)


def weeks(period: Period) -> list[date]:
    """The Mondays of the weeks the period touches."""
    monday = period.first - timedelta(days=period.first.weekday())
    found = []
    while monday <= period.last:
        found.append(monday)
        monday += timedelta(days=7)
    return found


def week_of(moment: datetime, tz: tzinfo) -> date:
    day = moment.astimezone(tz).date()
    return day - timedelta(days=day.weekday())
