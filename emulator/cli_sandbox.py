"""`assistants-emulator sandbox ...`: manage the code_interpreter image."""

from __future__ import annotations

import argparse
import sys


def sandbox_build(args: argparse.Namespace) -> None:
    from emulator.settings import Settings
    from emulator.tools.code_interpreter.docker import DockerError
    from emulator.tools.code_interpreter.image import ensure_image

    try:
        tag = ensure_image(Settings(), rebuild=args.rebuild, verbose=True)
    except (DockerError, OSError) as exc:
        print(f"sandbox build failed: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    print(tag)


def add_commands(commands) -> None:
    sandbox = commands.add_parser("sandbox", help="the code_interpreter sandbox image")
    actions = sandbox.add_subparsers(dest="action", required=True)
    build = actions.add_parser("build", help="build the sandbox image if missing (or --rebuild)")
    build.add_argument("--rebuild", action="store_true", help="build even if the image exists")
    build.set_defaults(handler=sandbox_build)
