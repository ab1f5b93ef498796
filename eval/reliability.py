"""Reliability figures outside pytest: SIGKILLed ingests and 32-client load, printed as JSON.

Why: docs/RELIABILITY.md quotes figures; this reproduces them in one command on this machine.
It reuses the test suite's own trial and load code (tests/test_crash_safety.py, tests/test_load.py),
so the script and the tests measure the same thing.

    python -m eval.reliability [--trials 20] [--load-seconds 20] [--seed 20240130]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def use_test_suite() -> None:
    """Make the checkout's `tests` package importable from any working directory.

    The trial and load code is the test suite's (not installed with the package), and `rag bench`
    may run from anywhere, where `tests` is not on the import path."""
    root = Path(__file__).resolve().parents[1]
    if not (root / "tests" / "test_crash_safety.py").is_file():
        raise RuntimeError(f"crash and load figures need the test suite of a source checkout; none in {root}")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))


def crash_figures(workdir: Path, trials: int, seed: int, embedder: object) -> dict:
    use_test_suite()
    from tests.test_crash_safety import run_trials, summary

    results = run_trials(workdir / "crash", trials=trials, seed=seed, generated=100, changed=24, embedder=embedder)
    return {"summary": summary(results), "trials": [asdict(t) for t in results]}


def load_figures(workdir: Path, seconds: float, embedder: object) -> dict:
    use_test_suite()
    from ingest.pipeline import ingest_path
    from rag.api import Rag
    from rag.core.settings import Settings
    from tests.conftest import SAMPLE_CORPUS
    from tests.conftest import SAMPLE_QUESTIONS as QUESTIONS
    from tests.test_load import fingerprint, run_load
    from tests.uvicorn_thread import running_api

    settings = Settings(index_dir=workdir / "sample-index")
    ingest_path(SAMPLE_CORPUS, settings, embedder=embedder, progress=False)
    rag = Rag(settings, embedder=embedder)
    expected = {q: fingerprint(rag.ask(q).to_dict()) for q in QUESTIONS}
    with running_api(rag) as url:
        result = run_load(url, expected, seconds=seconds, per_client=1_000_000)
    return {**result.figures(), "error_samples": result.errors[:3], "mixed_samples": result.mixed[:3]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.reliability", description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20, help="SIGKILLed ingest trials (0 to skip)")
    parser.add_argument("--load-seconds", type=float, default=20.0, help="32-client load duration (0 to skip)")
    parser.add_argument("--seed", type=int, default=20240130)
    args = parser.parse_args(argv)
    from rag.core.settings import Settings
    from rag.embed.choose import get_embedder

    embedder = get_embedder(Settings())
    figures: dict = {}
    with tempfile.TemporaryDirectory(prefix="rag-reliability-") as tmp:
        if args.load_seconds > 0:
            figures["load"] = load_figures(Path(tmp), args.load_seconds, embedder)
            print(json.dumps({"load": figures["load"]}), flush=True)
        if args.trials > 0:
            figures["crash"] = crash_figures(Path(tmp), args.trials, args.seed, embedder)
            print(json.dumps({"crash": figures["crash"]["summary"]}), flush=True)
    print(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
