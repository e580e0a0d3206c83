#!/usr/bin/env bash
# Sets everything up, then runs the test suite: bash scripts/test.sh [pytest options]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
bash scripts/check.sh  # ruff and mypy; the import layers are a test (tests/test_layers.py)
# code_interpreter tests run real containers: a Docker engine and the sandbox image must be there.
bash scripts/ensure_docker.sh
.venv/bin/assistants-emulator sandbox build
exec .venv/bin/python -m pytest "$@"
