#!/usr/bin/env bash
# Static checks, run by the test command: ruff (lint and import order) and mypy (strict on the agent
# loop, the model seam and the store). The import layers are checked by tests/test_layers.py.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m ruff check emulator tests bench scripts
.venv/bin/python -m mypy
