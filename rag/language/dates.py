"""Resolve the relative dates news copy uses ("Tuesday", "last November", "earlier this month")
against the article's own date, so an answer can say which day it means.

dateparser is built for user input, not news: it reads "Tuesday" in a Tuesday article as a week
earlier and leaves "last November" unparsed, so these few news conventions are coded here.
"""

from __future__ import annotations

import functools
import re
from datetime import date, timedelta

from rag.core.datewords import MONTH_NAMES, MONTHS, WEEKDAY_NAMES, WEEKDAYS

_FUTURE = re.compile(r"\b(will|would be|to be held|scheduled|next|upcoming|plans? to)\b", re.IGNORECASE)
_EXPRESSION = re.compile(
    r"\b(?:(?P<rel>last|this|next|earlier this|later this) (?P<unit>week|month|year|"
    + MONTH_NAMES + r")|(?P<weekday>" + WEEKDAY_NAMES + r")|in (?P<month>" + MONTH_NAMES
    + r")(?! \d)(?!,? \d{4})|(?P<day>yesterday|today|tomorrow))\b"
)

RELATIVE_DATE = _EXPRESSION
"""Relative times as news and questions write them: "this week", "Tuesday", "in March", "yesterday"."""


def resolve(sentence: str, article_date: str) -> list[tuple[str, str]]:
    """[(expression as written, what it means)] for each relative date in the sentence."""
    try:
        base = date.fromisoformat(article_date)
    except ValueError:
        return []
    future = bool(_FUTURE.search(sentence))
    found = []
    for match in _EXPRESSION.finditer(sentence):
        meaning = _meaning(match, base, future)
        if meaning:
            found.append((match.group(0), meaning))
    return found


def annotate(sentence: str, article_date: str) -> str:
    """'… met Tuesday …' -> '… met Tuesday (30 January 2024) …'."""
    for expression, meaning in resolve(sentence, article_date):
        pattern = rf"\b{re.escape(expression)}(['’]s)?"
        sentence = re.sub(pattern, functools.partial(_with_meaning, meaning=meaning), sentence, count=1)
    return sentence


def _with_meaning(m: re.Match[str], meaning: str) -> str:
    return f"{m.group(0)} ({meaning})"


def _meaning(m: re.Match[str], base: date, future: bool) -> str | None:
    if m.group("weekday"):
        return _day(_nearest_weekday(base, WEEKDAYS.index(m.group("weekday")), future))
    if m.group("day"):
        return _day(base + timedelta(days={"yesterday": -1, "today": 0, "tomorrow": 1}[m.group("day")]))
    if m.group("month"):
        return _month(_nearest_month(base, MONTHS.index(m.group("month")) + 1, future))
    rel, unit = m.group("rel"), m.group("unit")
    if unit in MONTHS:
        return _month(_nearest_month(base, MONTHS.index(unit) + 1, rel == "next" or (rel == "this" and future)))
    if unit == "month":
        return _month(_shift_month(base, {"last": -1, "next": 1}.get(rel, 0)))
    if unit == "year":
        return str(base.year + {"last": -1, "next": 1}.get(rel, 0))
    return None  # weeks are left as written


def _nearest_weekday(base: date, weekday: int, future: bool) -> date:
    delta = (weekday - base.weekday()) % 7
    return base + timedelta(days=delta) if future else base - timedelta(days=(7 - delta) % 7)


def _nearest_month(base: date, month: int, future: bool) -> tuple[int, int]:
    if future:
        return (base.year if month > base.month else base.year + 1, month)
    return (base.year if month < base.month else base.year - 1, month)


def _shift_month(base: date, by: int) -> tuple[int, int]:
    index = base.year * 12 + base.month - 1 + by
    return index // 12, index % 12 + 1


def _day(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def _month(year_month: tuple[int, int]) -> str:
    return f"{MONTHS[year_month[1] - 1]} {year_month[0]}"
