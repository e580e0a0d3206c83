"""`assistants-emulator sandbox ...`: manage the code_interpreter image, and sandboxes left behind."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


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


def sandbox_prune(args: argparse.Namespace) -> None:
    from emulator.tools.code_interpreter.docker import DockerError
    from emulator.tools.code_interpreter.prune import prune

    try:
        result = prune(args.data_dir)
    except (DockerError, OSError) as exc:
        print(f"sandbox prune failed: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    print(result.summary())


def add_commands(commands) -> None:
    sandbox = commands.add_parser("sandbox", help="the code_interpreter sandbox image and containers")
    actions = sandbox.add_subparsers(dest="action", required=True)
    build = actions.add_parser("build", help="build the sandbox image if missing (or --rebuild)")
    build.add_argument("--rebuild", action="store_true", help="build even if the image exists")
    build.set_defaults(handler=sandbox_build)
    prune = actions.add_parser("prune", help="remove sandbox containers (and their files) of servers that no "
                                             "longer run")
    prune.add_argument("--data-dir", type=Path, default=None,
                       help="only the sandboxes of the server with this data dir")
    prune.set_defaults(handler=sandbox_prune)
