"""Places outside tests/ that the tests read, found from this file rather than from each test module's."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "fixtures"
README = REPO_ROOT / "README.md"
SANDBOX_IMAGE_SOURCES = REPO_ROOT / "sandbox_image"
# ../shared beside the project (see shared/README.md there).
OPENAI_SPEC = REPO_ROOT.parent / "shared" / "openai-spec" / "openapi.nullable-fixed.json"
