"""Value types shared by the newswire generator: a story, a gold question, and text helpers.

Stories are built first and placed into page files later, so questions refer to stories by a
stable `key`; the file name and headline are filled in only when the gold file is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SMALL_NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@dataclass(frozen=True)
class Story:
    """One news item. `outlet=None` means "whoever publishes the page it lands on"."""

    key: str
    topic: str
    headline: str
    date: dt.date
    city: str
    paragraphs: tuple[str, ...]
    byline: str | None = None
    dateline_style: bool = False  # True: "CITY, March 3, 2021 (Outlet) —"; False: "Published ..." line
    outlet: str | None = None


@dataclass(frozen=True)
class Question:
    """A gold question before it is tied to files. `stories` are story keys, empty if unanswerable."""

    type: str
    question: str
    reference: str
    key_facts: tuple[str, ...]
    stories: tuple[str, ...] = ()
    history: tuple[str, ...] = ()

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"


@dataclass
class Batch:
    """What a story builder returns: stories plus the questions they can answer."""

    stories: list[Story] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)

    def extend(self, other: Batch) -> None:
        self.stories += other.stories
        self.questions += other.questions


def long_date(day: dt.date) -> str:
    """'March 3, 2021': spelled out by hand so the output never depends on the locale."""
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


def weekday(day: dt.date) -> str:
    return WEEKDAYS[day.weekday()]


def money_millions(amount: float) -> str:
    """'$4.2 million' / '$12 million' — one decimal only when it carries information."""
    text = f"{amount:.1f}".removesuffix(".0")
    return f"${text} million"


def count_words(number: int) -> str:
    """Wire style: numbers under ten in words, larger ones as digits with thousands commas."""
    return SMALL_NUMBERS[number] if 0 <= number < 10 else f"{number:,}"


def surname(person: str) -> str:
    return person.split()[-1]
