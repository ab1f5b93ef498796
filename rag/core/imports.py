"""Importing a library without its optional integrations.

Why: some libraries import every optional companion that happens to be installed, whether or not
the feature is used. thinc (under spaCy) imports torch, and NLTK's package init imports
scipy.stats and scikit-learn; all three are here only because sentence-transformers needs them.
On a cold `rag ask` that is seconds spent on code the small spaCy pipeline and the Punkt sentence
splitter never run (`docs/perf/README.md`, cold start). Hiding them while the library loads makes
its own `try: import ... except ImportError` take the fallback it was written with.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()


@contextmanager
def without_optional(*modules: str) -> Iterator[None]:
    """Within the block, importing any of `modules` (not yet imported) raises ImportError; after
    it they import as usual. A module some code already imported is left as it is."""
    with _lock:
        hidden = [name for name in modules if name not in sys.modules]
        for name in hidden:
            sys.modules[name] = None  # type: ignore[assignment]  # the import system's "not importable"
        try:
            yield
        finally:
            for name in hidden:
                if sys.modules.get(name, 0) is None:
                    del sys.modules[name]
