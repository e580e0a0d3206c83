#!/usr/bin/env bash
# Sets everything up, then runs the server: bash scripts/serve.sh [serve options]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# code_interpreter needs Docker and its sandbox image; the API works without them.
if bash scripts/ensure_docker.sh; then
    .venv/bin/assistants-emulator sandbox build >/dev/null || echo "warning: sandbox image build failed; code_interpreter will retry on first use" >&2
else
    echo "warning: no Docker engine; code_interpreter calls will report that they cannot run" >&2
fi
exec .venv/bin/assistants-emulator serve "$@"
