"""The import graph, read from the source with `ast` (lazy imports inside functions included).

The stages of `rag/` stand in layers, each importing only from the layers below it (docs/ARCHITECTURE.md):

    core < index, embed < language < query < retrieval, evidence < read, generate < answer < rag.api

Stages on one layer do not import each other. `ingest` builds on core, index and embed only; `rag`
never imports ingest, ui or eval. No module imports another's private name, and no modules import
each other, directly or in a ring.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("rag", "ingest", "ui", "eval")


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    _module_name(path): path for package in PACKAGES for path in sorted((REPO / package).rglob("*.py"))
}


def _imports(path: Path) -> list[tuple[str, str | None, int]]:
    """(module, imported name or None, line) for every import of one of our packages."""
    found: list[tuple[str, str | None, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, None, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                if submodule in MODULES:
                    found.append((submodule, None, node.lineno))
                else:
                    found.append((node.module, alias.name, node.lineno))
    return [(m, n, line) for m, n, line in found if m.split(".")[0] in PACKAGES]


IMPORTS = {name: _imports(path) for name, path in MODULES.items()}


def _where(module: str, line: int) -> str:
    return f"{MODULES[module].relative_to(REPO)}:{line}"


LAYERS = {
    "core": 0, "index": 1, "embed": 1, "language": 2, "query": 3, "retrieval": 4, "evidence": 4,
    "read": 5, "generate": 5, "answer": 6,
}
FACADE = 7  # rag/__init__.py and rag/api.py
INGEST_MAY_USE = {"core", "index", "embed"}


def _stage(module: str) -> str | None:
    """`rag.query.profile` -> "query"; None for the facade and for other packages."""
    parts = module.split(".")
    return parts[1] if parts[0] == "rag" and len(parts) > 1 and parts[1] in LAYERS else None


def _layer(module: str) -> int:
    stage = _stage(module)
    return LAYERS[stage] if stage else FACADE


def _allowed(module: str, target: str) -> bool:
    """A rag module may import its own stage or any stage on a lower layer."""
    return _stage(module) == _stage(target) or _layer(target) < _layer(module)


def _rag_edges() -> list[tuple[str, str, int]]:
    return [(m, target, line) for m, found in IMPORTS.items() if m.split(".")[0] == "rag"
            for target, _, line in found]


def test_every_stage_is_in_a_layer() -> None:
    stages = {p.name for p in (REPO / "rag").iterdir() if (p / "__init__.py").exists()}
    assert stages == set(LAYERS)


def test_rag_never_imports_ingest_ui_or_eval() -> None:
    outward = [f"{_where(m, line)} imports {target}" for m, target, line in _rag_edges()
               if target.split(".")[0] != "rag"]
    assert not outward


def test_stages_import_only_layers_below() -> None:
    upward = [
        f"{_where(m, line)} imports {target}"
        for m, target, line in _rag_edges()
        if target.split(".")[0] == "rag" and not _allowed(m, target)
    ]
    assert not upward


def test_ingest_builds_on_core_index_and_embed_only() -> None:
    beyond = [
        f"{_where(m, line)} imports {target}"
        for m, found in IMPORTS.items() if m.split(".")[0] == "ingest"
        for target, _, line in found
        if target.split(".")[0] in ("rag", "ui", "eval") and _stage(target) not in INGEST_MAY_USE
    ]
    assert not beyond


@pytest.mark.parametrize(("module", "target", "allowed"), [
    ("rag.read.extractive", "rag.query.profile", True),
    ("rag.query.profile", "rag.read.extractive", False),
    ("rag.read.extractive", "rag.generate.client", False),
    ("rag.core.text", "rag.index.store", False),
    ("rag.api", "rag.evidence.refusal", True),
    ("rag.read.extractive", "rag.evidence.refusal", True),
    ("rag.retrieval.hybrid", "rag.evidence.refusal", False),
])
def test_layer_rule_reads_edges_as_intended(module: str, target: str, allowed: bool) -> None:
    assert _allowed(module, target) is allowed


def test_no_private_names_across_modules() -> None:
    borrowed = [
        f"{_where(m, line)} imports {target}.{name}"
        for m, found in IMPORTS.items()
        for target, name, line in found
        if target != m and (
            (name or "").startswith("_") or target.rsplit(".", 1)[-1].startswith("_")
            and target.rsplit(".", 1)[0] != m.rsplit(".", 1)[0]
        )
    ]
    assert not borrowed


def _graph() -> dict[str, set[str]]:
    """module -> the modules it imports; a package's `__init__` counts only for what it holds."""
    return {
        m: {target for target, _, _ in found if target in MODULES and target != m}
        for m, found in IMPORTS.items()
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import ring, if there is any (depth-first search for a back edge)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (ring := visit(nxt)):
                return ring
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (ring := visit(node)):
            return ring
    return None


def test_no_import_cycles() -> None:
    assert _cycle(_graph()) is None


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
    ],
)
def test_cycle_finder_finds_rings(graph: dict[str, set[str]], expected: list[str] | None) -> None:
    assert _cycle(graph) == expected
