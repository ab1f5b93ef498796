"""`rag ingest URL`: pages and feeds fetched from a real HTTP server on loopback, with every way a
fetch goes wrong named (404, timeout, too large, wrong content type, redirect loop)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ingest.fetch import FetchLimits
from ingest.pipeline import ingest
from ingest.sources import ReadOptions
from rag.core.settings import Settings
from rag.index.manifest import Manifest
from tests.index_checks import FORMATS, index_problems, manifest_articles

CAP = 64 * 1024
ROUTES = {  # path -> (status, content type, body)
    "/feed/": (200, "application/rss+xml; charset=UTF-8", (FORMATS / "merrin-courier-2024-03-06.rss").read_bytes()),
    "/2024/03/05/council-votes-to-rebuild-old-mill-bridge/":
        (200, "text/html; charset=UTF-8", (FORMATS / "old-mill-bridge.html").read_bytes()),
    "/release.pdf": (200, "application/pdf", (FORMATS / "harbor-ferry-release.pdf").read_bytes()),
    "/logo.png": (200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
    "/huge.html": (200, "text/html", b"<p>" + b"x" * (2 * CAP) + b"</p>"),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(1.5)
        if self.path in ("/loop", "/slow"):
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
            return
        if self.path == "/old-address":
            self.send_response(301)
            self.send_header("Location", "/2024/03/05/council-votes-to-rebuild-old-mill-bridge/")
            self.end_headers()
            return
        status, content_type, body = ROUTES.get(self.path, (404, "text/html", b"<h1>Not Found</h1>"))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_pages_and_feeds_come_in_and_every_failed_fetch_is_named(tmp_path, sample_rag, site: str) -> None:
    urls = [f"{site}{path}" for path in ("/feed/", "/old-address", "/release.pdf", "/missing", "/slow",
                                         "/logo.png", "/huge.html", "/loop")]
    settings = Settings(index_dir=tmp_path / "index")
    options = ReadOptions(fetch=FetchLimits(connect_s=2, read_s=0.5, max_bytes=CAP, max_redirects=3))
    report = ingest(urls, settings, options=options, embedder=sample_rag.embedder, progress=False)
    errors = dict(report.errors)
    assert errors.pop(f"{site}/missing") == "skipped: HTTP 404 Not Found"
    assert errors.pop(f"{site}/slow").startswith("skipped: timed out (ReadTimeout; limits 2 s to connect, 0.5 s")
    assert errors.pop(f"{site}/logo.png") == ("skipped: unsupported content type 'image/png' "
                                              "(pages, RSS/Atom feeds, PDF, Word and plain text are read)")
    assert errors.pop(f"{site}/huge.html") == f"skipped: too large ({2 * CAP + 7:,} bytes declared; the cap is {CAP:,})"
    assert errors.pop(f"{site}/loop") == "skipped: more than 3 redirects"
    assert errors == {}
    got = manifest_articles(settings)
    assert len(got) == 3 + 1  # the feed's three items (the bridge story once) and the PDF
    bridge = got["Council votes to rebuild Old Mill bridge by 2026"]
    # Fetched through a redirect, the page is its canonical address, the same as the feed item's link:
    # one article, with the page's full text rather than the feed's summary.
    assert bridge["source"] == f"{site}/2024/03/05/council-votes-to-rebuild-old-mill-bridge/"
    assert bridge["chunks"] >= 3
    again = ingest(urls[:3], settings, options=options, embedder=sample_rag.embedder, progress=False)
    assert (again.files, again.errors) == (0, [])
    assert index_problems(settings) == []


def test_a_page_without_a_canonical_address_is_keyed_by_its_address(tmp_path, sample_rag, site: str) -> None:
    settings = Settings(index_dir=tmp_path / "index")
    report = ingest([f"{site}/release.pdf"], settings, embedder=sample_rag.embedder, progress=False)
    assert (report.files, report.errors) == (1, [])
    manifest = Manifest(settings.manifest_path)
    try:
        assert list(manifest.files()) == [f"url:127.0.0.1:{site.rsplit(':', 1)[1]}/release.pdf"]
    finally:
        manifest.close()
