"""Rebuild the keyword folder of an existing index from its manifest: seconds and peak RSS.

Why: ingest ends every run with this build (`rag.index.keyword_files.save_current`), and so does
the first query of a process that finds no saved folder for its generation; its memory is what an
ingest of a large dump peaks at. Run it on a copy of a big index's `manifest.sqlite3` (the
keyword folder is written beside it), under `farm-bench` to compare two versions:

    farm-bench -n 3 --timeout 600 -- python -m eval.bench_keyword_build /tmp/copy/manifest.sqlite3
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from rag.index.keyword_files import save_current
from rag.index.manifest import Manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path, help="a manifest.sqlite3 (a copy: its keyword folder is rewritten)")
    args = parser.parse_args()
    manifest = Manifest(args.manifest)
    started = time.perf_counter()
    snapshot = save_current(manifest)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"chunks {snapshot.size:,}  articles {len(snapshot.article_starts):,}  "
          f"build and save {seconds:.1f} s  peak RSS {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
