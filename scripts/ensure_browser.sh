#!/usr/bin/env bash
# Makes sure headless Chromium and its WebDriver are there: the inspector's tests (tests/inspector/) drive a
# real browser with selenium. No browser is downloaded at test time; Debian's packages are used.
#  - chromium and chromedriver already on PATH: nothing to do.
#  - Root on a Debian/Ubuntu machine (a CI machine): install `chromium` and `chromium-driver` with apt-get.
#  - Anything else: say what to do, and fail.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

if (have chromium || have chromium-browser) && have chromedriver; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! have apt-get; then
    cat >&2 <<'MSG'
The inspector's browser tests need Chromium and chromedriver on PATH.
  - Debian/Ubuntu: sudo apt-get install chromium chromium-driver
  - elsewhere: install Chromium (or Chrome) and the matching chromedriver.
MSG
    exit 1
fi
echo "Installing chromium and chromium-driver ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
