"""The suite's own layout: test modules import shared code from tests.helpers, never from one another.

Read with `ast`, so an import inside a function counts too, and code kept in a string (a user's test
file written out by pytester) does not.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def is_test_module(path: Path) -> bool:
    """What pytest collects or loads as a conftest (its default `python_files`), rather than imports."""
    return path.name == "conftest.py" or path.name.startswith("test_") or path.stem.endswith("_test")


def dotted(path: Path) -> str:
    return ".".join(path.relative_to(TESTS.parent).with_suffix("").parts)


def imported_names(path: Path) -> list[str]:
    """Every module this file imports, as a dotted name (relative imports resolved; for `from a import b`
    both `a` and `a.b`, since b may be a module)."""
    package = dotted(path).split(".")[:-1]
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names += [module] + [f"{module}.{alias.name}" for alias in node.names]
    return names


def test_no_module_of_the_suite_imports_a_test_module():
    sources = sorted(TESTS.rglob("*.py"))
    test_modules = {dotted(p) for p in sources if is_test_module(p)}
    # A bare `import test_x` finds a test module only by a sys.path entry pointed into tests/: caught by name.
    test_basenames = {p.stem for p in sources if is_test_module(p)}
    found = [f"{p.relative_to(TESTS.parent)} imports {name}"
             for p in sources for name in imported_names(p)
             if name in test_modules or name in test_basenames]
    assert not found, "shared code belongs in tests/helpers/, fixtures in a conftest.py: " + "; ".join(found)


def test_every_folder_of_the_suite_is_a_package():
    """Packages, so that two areas may hold test modules of the same name without clashing on import."""
    folders = {p.parent for p in TESTS.rglob("*.py")}
    missing = sorted(str(f.relative_to(TESTS.parent)) for f in folders if not (f / "__init__.py").exists())
    assert not missing, f"add an __init__.py to {missing}"
