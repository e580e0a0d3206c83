#!/usr/bin/env bash
# Creates ./.venv (if needed) and installs the emulator into it, with test extras when asked.
#   bash scripts/setup.sh          # to run the server
#   bash scripts/setup.sh test     # to run the tests too
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "assistants-emulator needs Python 3.11 or newer (found: $("$PYTHON" --version 2>&1))." >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
fi

extras=""
if [ "${1:-}" = "test" ]; then
    extras="[test,local-llm]"
    # The inspector's tests drive headless Chromium (Debian's chromium and chromium-driver, installed as root).
    bash scripts/ensure_browser.sh
fi
# A stamp skips the (slow) resolver when nothing the install depends on has changed.
stamp=".venv/.installed${extras}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras}"
    touch "$stamp"
fi
