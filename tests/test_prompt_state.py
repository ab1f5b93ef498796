"""The saved prompt state is named after what it depends on, so no server is served a state made by
another build of the runtime (the prebuilt wheel against one built for this CPU)."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest

from rag.generate import prompt_state
from rag.generate.local_model import LocalModel


def test_the_runtime_build_names_the_version_and_the_native_library() -> None:
    build = prompt_state.runtime_build()
    release, *libraries = build.split("+")
    assert release == version("xllamacpp")
    assert len(libraries) == 1 and len(libraries[0]) == 43  # a SHA-256, urlsafe base64 as RECORD writes it


def test_another_build_of_the_same_version_gets_its_own_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF" + bytes(60))
    model = LocalModel(gguf, "tiny")
    monkeypatch.setattr(prompt_state, "runtime_build", lambda: "2026.10.11549+prebuilt")
    prebuilt = prompt_state.state_file(tmp_path, model, 4096)
    monkeypatch.setattr(prompt_state, "runtime_build", lambda: "2026.10.11549+native")
    native = prompt_state.state_file(tmp_path, model, 4096)
    assert prebuilt != native
    assert prebuilt.name.startswith("tiny-choose-") and native.parent == prebuilt.parent == tmp_path
    assert prompt_state.state_file(tmp_path, model, 2048) != native  # the context size counts too
