"""Person names in news text, without a model: runs of capitalised words that are not titles,
places or institutions. Good enough to tell "Jen Daskal" from "White House" or "Working Group"."""

from __future__ import annotations

import re

from rag.datewords import MONTHS, WEEKDAYS

_CAPITALISED_RUN = re.compile(
    r"\b[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)?(?:\s+(?:[A-Z]\.\s+)?[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)?)+\b"
)

_NOT_NAME_TEXT = """
    The A An And Of In On At For To By From With After Before When While During But As If This That These Those
    Mr Mrs Ms Dr President Vice Minister Deputy Assistant Advisor Adviser Secretary Director Chief Speaker Senator
    Representative Governor Mayor General Ambassador Spokesperson Spokesman Spokeswoman Leader Chairman Officer
    Public Security Homeland Foreign State States United Department Ministry House White Senate Congress Court Supreme
    Commission Committee Council Bureau Agency Institute Office Administration Group Working Counternarcotics
    Centers Center Control Prevention Disease Drug Enforcement National International Narcotics Lab Laboratory Forensic
    Science Guesthouse Diaoyutai Commerce Justice Treasury Institution Brookings Communist Party News Press Associated
    Times Photo Images Getty Pool Video Review Consider China Chinese America American
    Americans Beijing Washington Mexico Taiwan Xinjiang San Francisco Toronto Canada Europe European Ukraine Afghan
    Afghanistan Muslim Uyghurs Republicans Democrats Thanksgiving Metro Station Guard Zero Units
    CIA NATO Nato Wire Post Ledger Journal Herald Tribune Gazette Daily Republic Street Avenue Road City County
    University School Hospital Police Fire Army Navy Air Force
"""
NOT_NAME_WORDS = frozenset(_NOT_NAME_TEXT.split()) | frozenset(MONTHS) | frozenset(WEEKDAYS)


def person_names(text: str) -> list[str]:
    """Names in order of appearance, e.g. ['Jen Daskal', 'Wang Xiaohong']; title words are dropped."""
    names: list[str] = []
    for run in _CAPITALISED_RUN.finditer(text):
        kept: list[str] = []
        for word in run.group(0).split():
            if word.rstrip(".") in NOT_NAME_WORDS:
                if len(kept) >= 2:
                    break
                kept = []
            else:
                kept.append(word)
        if len(kept) >= 2 and kept[-1][-1] != ".":
            names.append(" ".join(kept[:3]))
    return names
