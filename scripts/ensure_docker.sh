#!/usr/bin/env bash
# Makes sure a Docker engine answers. code_interpreter runs the model's code in Docker containers.
#  - An engine already running: nothing to do.
#  - Root on a Debian/Ubuntu machine with no engine (a CI machine): install docker.io and start dockerd.
#  - Anything else: say what to do, and fail.
set -euo pipefail

engine_up() { docker info >/dev/null 2>&1; }

if command -v docker >/dev/null 2>&1 && engine_up; then
    # An engine is up; root on Debian still gets debootstrap below if it is missing.
    if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1 || command -v debootstrap >/dev/null 2>&1; then
        exit 0
    fi
fi

if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    cat >&2 <<'MSG'
No Docker engine is reachable, and code_interpreter needs one.
  - Docker Desktop (macOS, Windows): start it.
  - Linux: install Docker Engine (https://docs.docker.com/engine/install/) and start it
    (`sudo systemctl start docker`), and let your user use it (`sudo usermod -aG docker $USER`).
Then check with `docker info`.
MSG
    exit 1
fi

# docker.io for the engine; debootstrap to make the sandbox's Debian base image where no image
# registry answers (see emulator/tools/code_interpreter/image.py).
missing=""
command -v dockerd >/dev/null 2>&1 || missing="$missing docker.io"
command -v debootstrap >/dev/null 2>&1 || missing="$missing debootstrap"
if [ -n "$missing" ]; then
    echo "Installing$missing ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq $missing >/dev/null
fi

if ! engine_up; then
    echo "Starting dockerd ..." >&2
    mkdir -p /var/log
    nohup dockerd >/var/log/assistants-emulator-dockerd.log 2>&1 &
    for _ in $(seq 1 60); do
        engine_up && break
        sleep 1
    done
fi

if ! engine_up; then
    echo "dockerd did not come up; see /var/log/assistants-emulator-dockerd.log" >&2
    tail -20 /var/log/assistants-emulator-dockerd.log >&2 || true
    exit 1
fi
