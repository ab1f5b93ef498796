"""The stable id of an article that is not a file of its own: its URL, else a hash of its content.

Why: a feed is fetched again tomorrow with some items new and some gone, a dump grows by appending;
neither has file names to tell an item seen before from a new one. The article's address does,
once the parts that vary between copies of one link are taken off (scheme, `www.`, fragment,
tracking parameters, a trailing slash): a feed item, a dump row and a saved page of the same
story then share one id, so the index holds it once. Without a usable URL the id is a hash of
title and text, so the same row in a re-exported dump is still recognised.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

URL_PREFIX = "url:"
HASH_PREFIX = "sha256:"
_TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "cmpid", "ocid")


def url_key(url: str, *, front_page: bool = False) -> str | None:
    """`url:host/path?query` for an article's address; None for anything that is not one: no
    http(s) scheme or host, or a site's front page, which many pages give as their canonical
    (unless `front_page`: a page fetched by its address is that address, whatever it is)."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    path = parts.path.rstrip("/")
    if not path and not parts.query and not front_page:
        return None
    host = parts.hostname.lower().removeprefix("www.")
    port = f":{parts.port}" if parts.port not in (None, 80, 443) else ""
    query = urlencode(sorted(_untracked(parts.query)))
    return f"{URL_PREFIX}{host}{port}{path}" + (f"?{query}" if query else "")


def clean_url(url: str) -> str:
    """The address as a citation shows it: tracking parameters and fragment taken off."""
    parts = urlsplit(url.strip())
    return urlunsplit(parts._replace(query=urlencode(_untracked(parts.query)), fragment=""))


def _untracked(query: str) -> list[tuple[str, str]]:
    return [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not k.lower().startswith(_TRACKING)]


def content_key(title: str, text: str) -> str:
    """`sha256:…` of the title and the text with whitespace collapsed."""
    digest = hashlib.sha256(f"{' '.join(title.split())}\x1f{' '.join(text.split())}".encode()).hexdigest()
    return f"{HASH_PREFIX}{digest[:40]}"


def article_key(url: str, title: str, text: str) -> str:
    """The id an item keeps across re-ingests: its URL's key, else its content's."""
    return url_key(url) or content_key(title, text)



def names_a_file(key: str) -> bool:
    """True for a file's path, which no other form of an article can share; False for the ids made here."""
    return not key.startswith((URL_PREFIX, HASH_PREFIX))
