"""Photo captions: told apart from body text by their photo credit, and kept out of the body.

A caption either carries its credit ("... Beijing. (AP Photo/Ng Han Guan, Pool)") or is followed by
a credit-only line ("Ng Han Guan | Afp | Getty Images"). Captions are stored with the credit and
any copyright notice stripped, so the same photo credited two ways collapses into one caption.
"""

from __future__ import annotations

import re

_AGENCY = (
    r"AP|AFP|Reuters|Getty Images|Getty|Pool|EPA|EFE|Shutterstock|Bloomberg|Xinhua|Alamy|UPI"
    r"|Anadolu|NurPhoto|Sipa|Imagn|Photo|Photograph|Courtesy"
)
_PAREN_CREDIT = re.compile(
    r"\s*\((?=[^()]*(?:Photo|Getty|AFP|Reuters|/Pool|Pool/|Shutterstock|EPA|Bloomberg|Xinhua))"
    r"[^()]{2,160}\)\s*$"
)
# A notice is short: "© 2024 Reuters", "Copyright 2024 The AP. All rights reserved". Text after it is
# not part of it ("© Copyright 2018, The Register. DES MOINES, Iowa – …" is a notice, then the story).
_NOTICE = r"(?:©\s*copyright|copyright\s*©?|©)\s*\d{4}\b[^.]{0,80}"  # up to the owner's name
_COPYRIGHT = re.compile(rf"\s*{_NOTICE}(?:\.\s*all rights reserved)?\.?\s*$", re.IGNORECASE)
_LEADING_COPYRIGHT = re.compile(rf"^{_NOTICE}\.(?:\s*all rights reserved\.)?\s+(?=\S)", re.IGNORECASE)
_TRAILING_CREDIT = re.compile(
    rf"(?<=[.!?\"”’])\s+[A-Z][^.]{{0,80}}?(?:/|\||\bvia\b)[^.]{{0,80}}?\b(?:{_AGENCY})\b[^.]{{0,40}}$"
)
_CREDIT_ONLY = re.compile(
    rf"(?:(?:photo(?:graph)?|credit|image)s?:\s*)?[^.!?]{{0,100}}\b(?:{_AGENCY})\b[^.!?]{{0,60}}",
    re.IGNORECASE,
)
_CREDIT_SHAPE = re.compile(r"/|\||\bvia\b|^(?:photo|credit|image)|getty images$", re.IGNORECASE)
_MAX_CREDIT_WORDS = 12


def is_credit_only(line: str) -> bool:
    """A line that is nothing but a photo credit, e.g. "Heather Diehl/Getty Images"."""
    text = line.strip()
    return (
        len(text.split()) <= _MAX_CREDIT_WORDS
        and bool(_CREDIT_ONLY.fullmatch(text))
        and bool(_CREDIT_SHAPE.search(text))
    )


def has_credit(line: str) -> bool:
    """A caption that carries its own credit or copyright notice at the end."""
    return strip_credit(line) != line.strip()


def strip_credit(line: str) -> str:
    """The caption without trailing credits and copyright notices."""
    text = line.strip()
    while True:
        stripped = _COPYRIGHT.sub("", text)
        stripped = _PAREN_CREDIT.sub("", stripped)
        stripped = _TRAILING_CREDIT.sub("", stripped).strip()
        if stripped == text:
            return text
        text = stripped


def without_leading_notice(line: str) -> str:
    """A body line without a copyright notice printed before the story's first words."""
    return _LEADING_COPYRIGHT.sub("", line.strip())


def split_captions(lines: list[str]) -> tuple[list[str], list[str]]:
    """Body lines and captions (credit stripped, duplicates collapsed), order kept."""
    body: list[str] = []
    captions: list[str] = []
    previous_was_body = False
    for line in lines:
        if is_credit_only(line):
            if previous_was_body and body:
                captions.append(body.pop())
            previous_was_body = False
        elif has_credit(line):
            captions.append(strip_credit(line))
            previous_was_body = False
        else:
            body.append(without_leading_notice(line))
            previous_was_body = True
    return body, dedupe(captions)


def dedupe(items: list[str]) -> list[str]:
    """Drop repeats, comparing case- and whitespace-insensitively."""
    seen: set[str] = set()
    kept: list[str] = []
    for item in items:
        key = " ".join(item.lower().split())
        if key and key not in seen:
            seen.add(key)
            kept.append(item)
    return kept
