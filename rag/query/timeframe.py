"""The stretch of time a question is about, from its time words and a reference date (`as_of`).

News questions say "this week", "on Tuesday", "last year", "in March": words that mean nothing
without the day they were asked. Retrieval uses the window resolved here as a soft preference
for articles published in it (`rag.retrieval.ranking.time_prior`); nothing is filtered out.

Conventions (a news quiz asks about the days just past, so ambiguous words read backwards):
    today / yesterday           that day
    this week / this weekend    the seven days up to `as_of` (a quiz on Friday means Mon-Fri
                                and the weekend before; a calendar week would cut that off)
    last week                   the seven days before that
    this / last / next month    the calendar month (this month: up to `as_of`)
    this / last / next year     the calendar year (this year: up to `as_of`)
    (on) Tuesday                the latest Tuesday on or before `as_of`; "next Tuesday" the
                                first one after it
    (in / last) March           the latest March that has begun by `as_of` (the current one if
                                `as_of` is in March); "next March" the first one after it
    March 2023, in 2023         that month, that year
    none of these               the `recent_days` up to `as_of`: news questions are about news

dateparser reads single dates from user input and has no notion of a window ("this week") or
of reading backwards from a quiz date, so these few conventions are written out here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from rag.core.datewords import MONTH_NAMES, MONTHS, WEEKDAY_NAMES, WEEKDAYS

RECENT_DAYS = 7  # the window of a question without time words
_YEAR = r"(?:19|20)\d\d"
_EXPRESSION = re.compile(
    rf"\b(?:(?P<day>today|tonight|yesterday)"
    rf"|(?P<rel>this|last|past|next|earlier this|later this) (?P<unit>week(?:end)?|month|year)"
    rf"|(?P<month>{MONTH_NAMES})(?:,? (?P<month_year>{_YEAR}))?"
    rf"|(?P<weekday>{WEEKDAY_NAMES})"
    rf"|(?:in|during|of) (?P<year>{_YEAR}))\b",
    re.IGNORECASE,
)
_RELATIVE_BEFORE = re.compile(r"\b(last|next|this|past)\s+$", re.IGNORECASE)


@dataclass(frozen=True)
class TimeWindow:
    """Inclusive dates; `expression` is the words it was read from ("" for the default window)."""

    start: date
    end: date
    expression: str = ""

    def gap_days(self, day: date) -> int:
        """Days from `day` to the nearest day of the window (0 inside it)."""
        if day < self.start:
            return (self.start - day).days
        if day > self.end:
            return (day - self.end).days
        return 0


def preferred_window(question: str, as_of: date | None, recent_days: int = RECENT_DAYS) -> TimeWindow | None:
    """The window the question's first time expression points at, read against `as_of`.

    None without `as_of`: then no time is preferred and retrieval behaves as without dates.
    """
    if as_of is None:
        return None
    return time_expression(question, as_of) or TimeWindow(as_of - timedelta(days=recent_days - 1), as_of)


def time_expression(question: str, as_of: date) -> TimeWindow | None:
    """The window of the question's first time expression ("this week", "in March"), if it has one."""
    for match in _EXPRESSION.finditer(question):
        window = _resolve(match, question, as_of)
        if window is not None:
            return window
    return None


def _resolve(m: re.Match[str], question: str, as_of: date) -> TimeWindow | None:
    words = m.group(0)
    before = _word_before(question[: m.start()])
    if m.group("day"):
        return _one_day(as_of - timedelta(days=1 if m.group("day").lower() == "yesterday" else 0), words)
    if m.group("unit"):
        return _relative(m.group("rel").lower(), m.group("unit").lower(), as_of, words)
    if m.group("month"):
        month = MONTHS.index(m.group("month").capitalize()) + 1
        if m.group("month_year"):
            return _month(int(m.group("month_year")), month, words)
        if not m.group("month")[0].isupper():
            return None  # "may", "march" as verbs
        year = as_of.year
        if before == "next":
            year += month <= as_of.month
        elif month > as_of.month or (before == "last" and month == as_of.month):
            year -= 1
        return _month(year, month, words)
    if m.group("weekday"):
        back = (as_of.weekday() - WEEKDAYS.index(m.group("weekday").capitalize())) % 7
        if before == "next":
            return _one_day(as_of + timedelta(days=7 - back), words)
        if before == "last" and back == 0:
            back = 7
        return _one_day(as_of - timedelta(days=back), words)
    year = int(m.group("year"))
    return TimeWindow(date(year, 1, 1), date(year, 12, 31), words)


def _relative(rel: str, unit: str, as_of: date, words: str) -> TimeWindow:
    """this / last / next / past week, weekend, month or year."""
    if rel == "past":  # "the past week": a span ending at as_of, not a calendar unit
        span = {"month": 30, "year": 365}.get(unit, 7)
        return TimeWindow(as_of - timedelta(days=span - 1), as_of, words)
    step = {"last": -1, "next": 1}.get(rel, 0)
    if unit.startswith("week"):
        end = as_of + timedelta(days=7 * step)
        return TimeWindow(end - timedelta(days=6), end, words)
    if unit == "month":
        year, month0 = divmod(as_of.year * 12 + as_of.month - 1 + step, 12)
        window = _month(year, month0 + 1, words)
    else:
        window = TimeWindow(date(as_of.year + step, 1, 1), date(as_of.year + step, 12, 31), words)
    if step == 0:  # this month / this year ("earlier this ..."): only what has happened by as_of
        return TimeWindow(window.start, min(window.end, as_of), words)
    return window


def _month(year: int, month: int, words: str) -> TimeWindow:
    following = date(year + month // 12, month % 12 + 1, 1)
    return TimeWindow(date(year, month, 1), following - timedelta(days=1), words)


def _one_day(day: date, words: str) -> TimeWindow:
    return TimeWindow(day, day, words)


def _word_before(text: str) -> str:
    """'last', 'next', 'this' or 'past' when it stands right before a weekday or month name."""
    found = _RELATIVE_BEFORE.search(text)
    return found.group(1).lower() if found else ""
