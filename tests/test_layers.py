"""The package's layers point one way: a module imports only from its own layer or the layers below.

Read from the source with `ast` (every import, type-only ones included), so the layering cannot rot
unnoticed. To add a module or package, give it a place in LAYERS.
"""

from __future__ import annotations

import ast
from pathlib import Path

import emulator

ROOT = Path(emulator.__file__).parent

# Lowest first. Entries are modules or packages (a package covers everything under it).
LAYERS: list[tuple[str, ...]] = [
    ("errors", "ids", "objects", "tokens", "run_status", "signals", "traces", "settings", "sandbox_seed"),
    ("store",),
    ("llm",),                   # the model seam: every model call, through litellm
    ("tools",),                 # the hosted tools: code_interpreter, file_search
    ("recording",),             # record/replay wraps the model seam and the hosted tools
    ("runtime",),               # what every service shares, built from the settings
    ("agent",),                 # the protocol-neutral agent loop
    ("engine", "responses"),    # the faces on the loop: Assistants runs (thread.* events), responses (response.*)
    ("services",),              # what the routes call
    ("app_state",),             # the one typed object on app.state
    ("auth", "api"),            # HTTP
    ("inspector",),             # the inspector in the browser: its page and JSON, over the services
    ("assembly", "app", "serving", "testing", "pytest_plugin", "cli", "cli_local_llm", "cli_sandbox",
     "cli_scorecard", "scorecard", "local_models", "__main__", "__init__"),
]


def _unit(module: str) -> str:
    """The LAYERS entry a dotted module name (without `emulator.`) belongs to."""
    return module.split(".")[0]


RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    package = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            names = [target] if node.module or not node.level else [f"{target}.{a.name}" for a in node.names]
            found += [(node.lineno, n) for n in names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
    return [(line, name[len("emulator."):]) for line, name in found if name.startswith("emulator.")]


def test_every_module_has_a_layer():
    units = {p.relative_to(ROOT).with_suffix("").parts[0] for p in ROOT.rglob("*.py")}
    assert sorted(units - RANK.keys()) == []


def test_imports_point_down():
    wrong = []
    for path in sorted(ROOT.rglob("*.py")):
        own = _unit(path.relative_to(ROOT).with_suffix("").parts[0])
        for line, target in _imports(path):
            other = _unit(target)
            if RANK[other] > RANK[own]:
                wrong.append(f"{path.relative_to(ROOT.parent)}:{line} imports emulator.{target} "
                             f"({own} is layer {RANK[own]}, {other} is layer {RANK[other]})")
    assert wrong == [], "\n".join(wrong)
