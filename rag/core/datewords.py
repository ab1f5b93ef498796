"""The words for months and weekdays, written once for every regex that looks for dates.

Ingest reads dates out of pages, answering resolves "Tuesday" and checks that a date in an answer
is in its passage, and the name finder must not take "March" for a person: all use these lists.
"""

from __future__ import annotations

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_ABBREVIATIONS = tuple(m[:3] for m in MONTHS)
MONTH_NUMBERS = {abbreviation.lower(): n for n, abbreviation in enumerate(MONTH_ABBREVIATIONS, start=1)}
"""'jan' -> 1 ... 'dec' -> 12: a month written any way, cut to three lower-case letters."""

MONTH_NAMES = "|".join(MONTHS)
"""A regex alternation of the full month names."""
WEEKDAY_NAMES = "|".join(WEEKDAYS)
"""A regex alternation of the weekday names."""
MONTH_WORDS = "|".join(["Sept", *(f"{m[:3]}(?:{m[3:]})?" for m in MONTHS)])
"""A regex alternation of a month in full or cut to three letters ("Sept" too), without the dot."""
