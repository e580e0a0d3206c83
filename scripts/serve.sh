#!/usr/bin/env bash
# Sets everything up, then runs the server: bash scripts/serve.sh [serve options]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/assistants-emulator serve "$@"
